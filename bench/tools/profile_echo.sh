#!/usr/bin/env bash
# Profiles one echo server under callgrind: warm-up, counters zeroed, then exactly M echoes over
# C connections; prints instructions per echo and the top functions (inclusive of nothing: self
# cost). The figure bench.py reports as "instructions/msg", for quick before/after checks.
#   bench/tools/profile_echo.sh SERVER_BINARY [CONNS=1] [MESSAGES=20000] [LOADGEN]
set -euo pipefail
server=$1 conns=${2:-1} messages=${3:-20000}
loadgen=${4:-$(dirname "$server")/loadgen}
work=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$server" --port 0 >"$work/server.out" 2>"$work/server.err" &
pid=$!
for _ in $(seq 200); do grep -q "listening on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/server.out" | head -n1)
"$loadgen" --port "$port" --conns "$conns" --size 64 --messages 2000 >/dev/null
callgrind_control -z "$pid" >/dev/null 2>&1
"$loadgen" --port "$port" --conns "$conns" --size 64 --messages "$messages" >/dev/null
callgrind_control -d "$pid" >/dev/null 2>&1
dump=$(ls "$work"/cg.out.* | tail -n1)
total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$dump" | head -n1)
echo "instructions/echo: $(( total / messages ))  ($total over $messages echoes, $conns connection(s))"
callgrind_annotate --threshold=99 "$dump" 2>/dev/null | sed -n '/^Ir/,$p' | head -n 30
