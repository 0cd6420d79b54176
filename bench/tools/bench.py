#!/usr/bin/env python3
"""Runs corio's benchmarks once everything is built (ci/bench builds, then calls this).

  bench.py --out DIR --server NAME=PATH ... [--micro NAME=DIR ...] [--file-read NAME=PATH ...]
           [--loadgen PATH] [--reps N] [--duration T] [--warmup W] [--det-messages M]
           [--scale-server NAME=PATH ...] [--memory-server NAME=PATH [ARGS]...] [--skip echo,det,files,micro,scale,memory] [--smoke]

Echo throughput: every server pinned to CPU 0, the load generator to CPU 1, servers
interleaved (A B C ... A B C ...) for each scenario and repetition; medians reported.
Deterministic figures: for a fixed number of echoes, user-space instructions per message
(callgrind, counters zeroed after a warm-up) and system calls per message (kernel tracepoints
through perf stat -p, so the server runs at full speed; strace -f where tracepoints are not
available), counted over the measured echoes only. Files: corio's file_read per backend next to fio.
Scaling (issue 9): each --scale-server (an echo_server taking --threads N) with 1 and 2 server
threads (and 4 where the machine has 8 CPUs or more), interleaved; the ratio to 1 thread.
Writes DIR/echo.json, det.json, files.json, micro.json and prints markdown tables.
"""
import argparse
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REFERENCE = "liburing"  # the raw liburing peer: every ratio is against it

SCENARIOS = [  # name, connections, message size, paced rate (0: as fast as the server answers)
    ("50 x 64 B", 50, 64, 0),
    ("50 x 4 KiB", 50, 4096, 0),
    ("1000 x 64 B", 1000, 64, 0),
    # Below saturation, at the same load for every server: CPU per message is then a measure of
    # the server alone (at full speed both sides saturate and pace each other).
    ("50 x 64 B at 40k msg/s", 50, 64, 40000),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Ctx:
    def __init__(self, args):
        self.args = args
        self.rt = args.sched == "fifo"
        self.logdir = os.path.join(args.work, "logs")
        os.makedirs(self.logdir, exist_ok=True)

    def pin(self, cpu, rt=None):
        rt = self.rt if rt is None else rt
        p = ["taskset", "-c", str(cpu)]
        if rt:
            p += ["chrt", "-f", "1"]
        return p


# ---- servers ----------------------------------------------------------------------------------

class Server:
    """A server process started from argv; the port is read from its "listening on" line."""

    def __init__(self, ctx, name, argv, tag):
        self.name = name
        self.errpath = os.path.join(ctx.logdir, f"{tag}.stderr")
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        self.port = None
        line = b""
        deadline = time.time() + 30
        while time.time() < deadline:
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                c = os.read(self.p.stdout.fileno(), 4096)
                if not c:
                    break
                line += c
                m = re.search(rb"listening on .*:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    break
            elif self.p.poll() is not None:
                break
        if self.port is None:
            self.stop()
            raise RuntimeError(f"{name}: no 'listening on' line (see {self.errpath})")

    @property
    def pid(self):
        return self.p.pid

    def stop(self, sig=signal.SIGTERM, grace=6.0):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.p.stdout.close()
        self.err.close()


def loadgen(ctx, port, conns, size, extra, server_pid=None, label="", timeout=120):
    argv = ctx.pin(1) + [ctx.args.loadgen, "--port", str(port), "--conns", str(conns), "--size", str(size),
                         "--label", label] + extra
    if server_pid:
        argv += ["--server-pid", str(server_pid)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"loadgen failed for {label}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- echo throughput ---------------------------------------------------------------------------

def run_echo(ctx, servers):
    a = ctx.args
    runs = []
    scenarios = [SCENARIOS[0], SCENARIOS[-1]] if a.smoke else SCENARIOS
    for sc_name, conns, size, rate in scenarios:
        for rep in range(a.reps):
            order = list(servers.items())
            for name, path in order:
                tag = f"echo-{name}-{conns}x{size}-{rep}".replace("[", "_").replace("]", "").replace(" ", "_")
                try:
                    argv = path.split()  # PATH [ARGS...]
                    srv = Server(ctx, name, ctx.pin(0) + argv[:1] + ["--port", "0"] + argv[1:], tag)
                except RuntimeError as e:
                    log(f"  {e}")
                    runs.append({"server": name, "scenario": sc_name, "rep": rep, "error": str(e)})
                    continue
                rss0 = rss_kib(srv.pid)
                try:
                    extra = ["--warmup", str(a.warmup), "--duration", str(a.duration)]
                    if rate:
                        extra += ["--rate", str(rate)]
                    res = loadgen(ctx, srv.port, conns, size, extra, srv.pid, name)
                    res.update(server=name, scenario=sc_name, rep=rep, server_rss0_kib=rss0)
                    if res.get("server_rss_kib"):
                        res["server_rss_per_conn_bytes"] = (res["server_rss_kib"] - rss0) * 1024 / conns
                    log(f"  {sc_name:12} rep {rep} {name:16} {res['msgs_per_s']:>10.0f} msg/s  "
                        f"p99 {res['lat_us']['p99']:8.1f} us  cpu {res.get('server_cpu_us_per_msg', 0):.2f} us/msg "
                        f"(server {res.get('server_cpu_util', 0):.2f}, loadgen {res['loadgen_cpu_util']:.2f} of a core)")
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    log(f"  {name}: {e}")
                    res = {"server": name, "scenario": sc_name, "rep": rep, "error": str(e)}
                finally:
                    srv.stop()
                runs.append(res)
    # medians
    summary = {}
    for sc_name, conns, size, rate in scenarios:
        rows = {}
        for name in servers:
            rs = [r for r in runs if r["server"] == name and r["scenario"] == sc_name and "error" not in r]
            if not rs:
                rows[name] = {"error": next((r["error"] for r in runs if r["server"] == name and r["scenario"] == sc_name), "no run")}
                continue
            med = lambda key: statistics.median(r[key] for r in rs if key in r) if any(key in r for r in rs) else None
            rows[name] = {
                "msgs_per_s": med("msgs_per_s"),
                "msgs_per_s_min": min(r["msgs_per_s"] for r in rs),
                "msgs_per_s_max": max(r["msgs_per_s"] for r in rs),
                "p50_us": statistics.median(r["lat_us"]["p50"] for r in rs),
                "p99_us": statistics.median(r["lat_us"]["p99"] for r in rs),
                "server_cpu_us_per_msg": med("server_cpu_us_per_msg"),
                "server_sched_us_per_msg": med("server_sched_us_per_msg"),
                "server_cpu_util": med("server_cpu_util"),
                "loadgen_cpu_util": med("loadgen_cpu_util"),
                "server_rss_per_conn_bytes": med("server_rss_per_conn_bytes"),
                "reps": len(rs),
            }
        ref = rows.get(REFERENCE, {})
        for row in rows.values():
            if "error" in row or "error" in ref or not ref:
                continue
            row["ratio_msgs"] = row["msgs_per_s"] / ref["msgs_per_s"] if ref.get("msgs_per_s") else None
            if row.get("server_cpu_us_per_msg") and ref.get("server_cpu_us_per_msg"):
                row["ratio_cpu"] = row["server_cpu_us_per_msg"] / ref["server_cpu_us_per_msg"]
        summary[sc_name] = rows
    return {"runs": runs, "summary": summary}


def echo_table(echo):
    out = []
    for sc, rows in echo["summary"].items():
        out.append(f"\n#### {sc} (1 message in flight per connection)\n")
        out.append("| server | msgs/s | (min–max) | × liburing | p99 µs | server CPU µs/msg | × liburing "
                   "| server core busy | server RSS/conn |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows.items():
            if "error" in r:
                out.append(f"| {name} | failed: {r['error'][:60]} | | | | | | | |")
                continue
            f = lambda v, fmt: (fmt % v) if v is not None else "–"
            out.append(f"| {name} | {r['msgs_per_s']:,.0f} | {r['msgs_per_s_min'] / 1e3:,.0f}k–"
                       f"{r['msgs_per_s_max'] / 1e3:,.0f}k | {f(r.get('ratio_msgs'), '%.2f')} | {r['p99_us']:.0f} | "
                       f"{f(r.get('server_cpu_us_per_msg'), '%.2f')} | {f(r.get('ratio_cpu'), '%.2f')} | "
                       f"{f(r.get('server_cpu_util'), '%.2f')} | "
                       f"{f(r.get('server_rss_per_conn_bytes') and r['server_rss_per_conn_bytes'] / 1024, '%.1f KiB')} |")
    return "\n".join(out)


# ---- memory per idle connection (issue 16) ------------------------------------------------------

MEMORY_SCENARIO = ("10000 x 16 KiB, then idle", 10000, 16 * 1024)


def run_memory(ctx, servers):
    """Each of N connections exchanges one message of S bytes (loadgen --messages N), then waits
    with a read pending; the server's VmRSS growth over its idle start, divided by N, is the
    user-space memory an idle connection costs (pooled servers: their pool's pages included, as
    they get touched). One run per server: the figure moves by a few percent at most. Servers are
    NAME=PATH [ARGS...] (e.g. echo_server --pooled 256)."""
    sc_name, conns, size = MEMORY_SCENARIO
    if ctx.args.smoke:
        conns = 500
    rows = {}
    for name, cmd in servers.items():
        argv = cmd.split()
        tag = f"memory-{name}".replace("[", "_").replace("]", "").replace(" ", "_")
        try:
            srv = Server(ctx, name, ctx.pin(0) + argv[:1] + ["--port", "0"] + argv[1:], tag)
        except RuntimeError as e:
            log(f"  {e}")
            rows[name] = {"error": str(e)}
            continue
        try:
            time.sleep(0.2)
            rss0 = rss_kib(srv.pid)
            res = loadgen(ctx, srv.port, conns, size, ["--messages", str(conns)], srv.pid, name, timeout=300)
            rss = res.get("server_rss_kib", 0)
            rows[name] = {"conns": conns, "size": size, "rss0_kib": rss0, "rss_kib": rss,
                          "per_conn_bytes": (rss - rss0) * 1024 / conns if rss else None}
            log(f"  {sc_name} {name:24} RSS {rss0} -> {rss} KiB: {rows[name]['per_conn_bytes'] or 0:,.0f} B/connection")
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log(f"  {name}: {e}")
            rows[name] = {"error": str(e)}
        finally:
            srv.stop()
    return {"scenario": sc_name, "conns": conns, "size": size, "servers": rows}


def memory_table(memory):
    out = [f"\n#### Memory per idle connection: {memory['conns']} connections, each exchanges one "
           f"{memory['size'] // 1024} KiB message, then waits with a read pending (server RSS growth ÷ connections)\n",
           "| server | RSS idle → with connections | bytes per connection |", "| --- | ---: | ---: |"]
    for name, r in memory["servers"].items():
        if "error" in r:
            out.append(f"| {name} | failed: {r['error'][:60]} | |")
            continue
        per = r.get("per_conn_bytes")
        out.append(f"| {name} | {r['rss0_kib']:,} → {r['rss_kib']:,} KiB | {per:,.0f} |" if per is not None
                   else f"| {name} | {r['rss0_kib']:,} KiB → ? | – |")
    return "\n".join(out)


# ---- thread-per-core scaling (issue 9) ----------------------------------------------------------

SCALE_SCENARIO = ("100 x 64 B", 100, 64)  # enough connections for SO_REUSEPORT to spread them


def scale_threads():
    n = os.cpu_count() or 1
    return [1, 2] + ([4] if n >= 8 else [])


def run_scale(ctx, servers):
    """echo_server --threads N for each N: server threads on CPUs 0..N-1, the (single-threaded)
    load generator on the last CPU. With 2 CPUs the 2-thread server shares a core with the load
    generator, so the ratio says what a second runtime buys on this machine, not on a big one."""
    a = ctx.args
    sc_name, conns, size = SCALE_SCENARIO
    ncpu = os.cpu_count() or 1
    lg_cpu = ncpu - 1
    runs = []
    for rep in range(a.reps):
        for name, path in servers.items():
            for n in scale_threads():
                tag = f"scale-{name}-{n}t-{rep}".replace("[", "_").replace("]", "")
                cpus = ",".join(str(c) for c in range(n))
                argv = ["taskset", "-c", cpus] + (["chrt", "-f", "1"] if ctx.rt else []) + [path, "--port", "0"]
                if n > 1:
                    argv += ["--threads", str(n)]
                try:
                    srv = Server(ctx, name, argv, tag)
                except RuntimeError as e:
                    runs.append({"server": name, "threads": n, "rep": rep, "error": str(e)})
                    continue
                try:
                    extra = ["--warmup", str(a.warmup), "--duration", str(a.duration)]
                    argv_lg = ctx.pin(lg_cpu) + [a.loadgen, "--port", str(srv.port), "--conns", str(conns), "--size",
                                                 str(size), "--label", name, "--server-pid", str(srv.pid)] + extra
                    r = subprocess.run(argv_lg, capture_output=True, text=True, timeout=120)
                    if r.returncode != 0:
                        raise RuntimeError(r.stderr.strip())
                    res = json.loads(r.stdout)
                    res.update(server=name, threads=n, rep=rep)
                    log(f"  {sc_name} rep {rep} {name:16} {n} thread(s) {res['msgs_per_s']:>10.0f} msg/s  "
                        f"server {res.get('server_cpu_util', 0):.2f} cores, loadgen {res['loadgen_cpu_util']:.2f}")
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                    res = {"server": name, "threads": n, "rep": rep, "error": str(e)}
                    log(f"  {name} {n} threads: {e}")
                finally:
                    srv.stop()
                runs.append(res)
    summary = {}
    for name in servers:
        rows = {}
        for n in scale_threads():
            rs = [r for r in runs if r["server"] == name and r["threads"] == n and "error" not in r]
            if rs:
                rows[n] = {"msgs_per_s": statistics.median(r["msgs_per_s"] for r in rs),
                           "msgs_per_s_min": min(r["msgs_per_s"] for r in rs),
                           "msgs_per_s_max": max(r["msgs_per_s"] for r in rs),
                           "server_cpu_util": statistics.median(r.get("server_cpu_util", 0) for r in rs),
                           "loadgen_cpu_util": statistics.median(r["loadgen_cpu_util"] for r in rs),
                           "reps": len(rs)}
        base = rows.get(1, {}).get("msgs_per_s")
        for n, row in rows.items():
            row["ratio_to_1"] = row["msgs_per_s"] / base if base else None
        summary[name] = rows
    return {"scenario": sc_name, "cpus": ncpu, "loadgen_cpu": lg_cpu, "runs": runs, "summary": summary}


def scale_table(scale):
    out = [f"\n#### Thread-per-core scaling: echo_server --threads N, {scale['scenario']}, server threads on "
           f"CPUs 0..N-1, load generator (one thread) on CPU {scale['loadgen_cpu']} of {scale['cpus']}\n"]
    if scale["cpus"] <= 2:
        out.append("With 2 CPUs the 2-thread server shares a core with the load generator: the ratio is what a "
                   "second runtime buys here, a lower bound for a machine with spare cores.\n")
    out += ["| server | threads | msgs/s | (min–max) | × 1 thread | server cores busy | loadgen core busy |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, rows in scale["summary"].items():
        for n, r in rows.items():
            out.append(f"| {name} | {n} | {r['msgs_per_s']:,.0f} | {r['msgs_per_s_min'] / 1e3:,.0f}k–"
                       f"{r['msgs_per_s_max'] / 1e3:,.0f}k | {r['ratio_to_1']:.2f} | {r['server_cpu_util']:.2f} | "
                       f"{r['loadgen_cpu_util']:.2f} |")
    return "\n".join(out)


# ---- deterministic figures ---------------------------------------------------------------------

def parse_callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def det_callgrind(ctx, name, path, conns, size, messages, warm):
    work = tempfile.mkdtemp(prefix="cg-", dir=ctx.args.work)
    out = os.path.join(work, "cg.out")
    tag = f"det-cg-{name}-{conns}c".replace("[", "_").replace("]", "")
    srv = Server(ctx, name, ctx.pin(0, rt=False) + ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                                                    "--compress-strings=no", "--compress-pos=no",
                                                    path, "--port", "0"], tag)
    try:
        loadgen(ctx, srv.port, conns, size, ["--messages", str(warm)], label=name, timeout=600)
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], capture_output=True, check=True, timeout=60)
        loadgen(ctx, srv.port, conns, size, ["--messages", str(messages)], label=name, timeout=1200)
        subprocess.run(["callgrind_control", "-d", str(srv.pid)], capture_output=True, check=True, timeout=60)
        dumps = sorted(f for f in os.listdir(work) if f.startswith("cg.out."))
        if not dumps:
            raise RuntimeError(f"{name}: callgrind wrote no dump")
        dump = os.path.join(work, dumps[-1])
        total = parse_callgrind_total(dump)
    finally:
        srv.stop(signal.SIGKILL)  # valgrind holds signals while blocked in io_uring_enter
    keep = os.path.join(ctx.args.work, f"callgrind.{tag}.out")
    shutil.move(dump, keep)
    shutil.rmtree(work, ignore_errors=True)
    return total / messages, keep


STRACE_LINE = re.compile(r"^\d+\s+(\d+\.\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]")


def det_strace(ctx, name, path, conns, size, messages, warm):
    trace = os.path.join(ctx.args.work, f"strace.{name}.txt".replace("[", "_").replace("]", ""))
    tag = f"det-st-{name}-{conns}c".replace("[", "_").replace("]", "")
    srv = Server(ctx, name, ctx.pin(0, rt=False) + ["strace", "-f", "-ttt", "-qq", "-o", trace, path, "--port", "0"],
                 tag)
    try:
        loadgen(ctx, srv.port, conns, size, ["--messages", str(warm)], label=name, timeout=600)
        t0 = time.time()
        loadgen(ctx, srv.port, conns, size, ["--messages", str(messages)], label=name, timeout=1200)
        t1 = time.time()
        time.sleep(0.2)
    finally:
        # strace's tracee is its child: kill that, strace then exits
        for child in children_of(srv.pid):
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        srv.stop(signal.SIGTERM)
    counts = {}
    with open(trace) as f:
        for line in f:
            if "resumed>" in line:
                continue  # counted when it started
            m = STRACE_LINE.match(line)
            if not m:
                continue
            ts = float(m.group(1))
            if t0 <= ts <= t1:
                counts[m.group(2)] = counts.get(m.group(2), 0) + 1
    os.unlink(trace)
    total = sum(counts.values())
    per = {k: v / messages for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}
    return total / messages, per


SYSCALLS = ["io_uring_enter", "epoll_wait", "epoll_pwait", "epoll_ctl", "recvfrom", "sendto", "read", "write",
            "readv", "writev", "recvmsg", "sendmsg", "accept4", "close", "poll", "futex", "clock_gettime",
            "setsockopt", "getsockopt", "ioctl", "fcntl", "eventfd2"]


def perf_tracepoints_work():
    try:
        r = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "true"], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and "not supported" not in r.stderr and "raw_syscalls" in r.stderr


def det_perf(ctx, name, path, conns, size, messages, warm):
    """Syscalls of the server over exactly `messages` echoes, counted by kernel tracepoints
    (perf stat -p), so the server runs at full speed, unlike under strace."""
    tag = f"det-perf-{name}-{conns}c".replace("[", "_").replace("]", "")
    out = os.path.join(ctx.args.work, f"{tag}.csv")
    srv = Server(ctx, name, ctx.pin(0) + [path, "--port", "0"], tag)
    try:
        loadgen(ctx, srv.port, conns, size, ["--messages", str(warm)], label=name, timeout=600)
        events = ["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{s}" for s in SYSCALLS]
        perf = subprocess.Popen(["perf", "stat", "-x,", "-o", out, "-p", str(srv.pid), "-e", ",".join(events)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # perf attaches
        loadgen(ctx, srv.port, conns, size, ["--messages", str(messages)], label=name, timeout=1200)
        perf.send_signal(signal.SIGINT)
        perf.wait(30)
    finally:
        srv.stop()
    total, counts = None, {}
    with open(out) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) < 3 or not parts[0].strip().isdigit():
                continue
            n, ev = int(parts[0]), parts[2]
            if ev == "raw_syscalls:sys_enter":
                total = n
            elif n:
                counts[ev.replace("syscalls:sys_enter_", "")] = n
    os.unlink(out)
    if total is None:
        raise RuntimeError(f"{name}: perf counted nothing")
    named = sum(counts.values())
    if total > named:
        counts["other"] = total - named
    per = {k: v / messages for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}
    return total / messages, per


def children_of(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


DET_WORKLOADS = [  # connections, message size
    (1, 64),   # one message at a time: every loop turn handles one event, nothing is amortized
    (50, 64),  # completions batch per loop turn (how many depends on the server's speed)
]


def run_det(ctx, servers):
    a = ctx.args
    messages = a.det_messages
    use_perf = perf_tracepoints_work()
    res = {"messages": messages, "syscall_messages": a.syscall_messages if use_perf else messages,
           "syscall_method": "perf stat -e raw_syscalls:sys_enter -p (tracepoints, server at full speed)" if use_perf
           else "strace -f (the server is slowed: more completions per loop turn than at full speed)",
           "workloads": []}
    for conns, size in DET_WORKLOADS:
        warm = max(conns * 4, messages // 10)
        wl = {"conns": conns, "size": size, "warmup_messages": warm, "servers": {}}
        for name, path in servers.items():
            row = {}
            try:
                ipm, dump = det_callgrind(ctx, name, path, conns, size, messages, warm)
                row["instructions_per_msg"] = ipm
                row["callgrind_dump"] = dump
            except Exception as e:  # noqa: BLE001 - a failed tool run is reported, not fatal
                row["callgrind_error"] = str(e)
            try:
                if use_perf:
                    spm, per = det_perf(ctx, name, path, conns, size, a.syscall_messages, warm)
                else:
                    spm, per = det_strace(ctx, name, path, conns, size, messages, warm)
                row["syscalls_per_msg"] = spm
                row["syscalls_by_name"] = per
            except Exception as e:  # noqa: BLE001
                row["syscall_error"] = str(e)
            log(f"  {conns:4} x {size} B {name:16} {row.get('instructions_per_msg', float('nan')):8.0f} instructions/msg"
                f"  {row.get('syscalls_per_msg', float('nan')):.3f} syscalls/msg  "
                + " ".join(f"{k}={v:.3f}" for k, v in list(row.get("syscalls_by_name", {}).items())[:4]))
            wl["servers"][name] = row
        ref = wl["servers"].get(REFERENCE, {})
        for row in wl["servers"].values():
            if ref.get("instructions_per_msg") and row.get("instructions_per_msg"):
                row["ratio_instructions"] = row["instructions_per_msg"] / ref["instructions_per_msg"]
            if ref.get("syscalls_per_msg") and row.get("syscalls_per_msg"):
                row["ratio_syscalls"] = row["syscalls_per_msg"] / ref["syscalls_per_msg"]
        res["workloads"].append(wl)
    return res


def det_table(det):
    out = [f"\n#### Deterministic figures: user-space instructions per echo over {det['messages']:,} echoes "
           f"(callgrind, counters zeroed after a warm-up); system calls per echo over {det['syscall_messages']:,} "
           f"echoes ({det['syscall_method']})"]
    for wl in det["workloads"]:
        out += [f"\n{wl['conns']} connection(s) × {wl['size']} B, one message in flight each:\n",
                "| server | instructions/msg | × liburing | syscalls/msg | × liburing | syscalls per msg by name |",
                "| --- | ---: | ---: | ---: | ---: | --- |"]
        for name, r in wl["servers"].items():
            f = lambda v, fmt: (fmt % v) if v is not None else "–"
            top = ", ".join(f"{k} {v:.3f}" for k, v in list(r.get("syscalls_by_name", {}).items())[:4])
            out.append(f"| {name} | {f(r.get('instructions_per_msg'), '%.0f')} | "
                       f"{f(r.get('ratio_instructions'), '%.2f')} | {f(r.get('syscalls_per_msg'), '%.3f')} | "
                       f"{f(r.get('ratio_syscalls'), '%.2f')} | {top} |")
    return "\n".join(out)


# ---- files -------------------------------------------------------------------------------------

def ensure_file(path, size):
    if not os.path.exists(path) or os.path.getsize(path) != size:
        log(f"  creating {path} ({size >> 20} MiB)")
        chunk = os.urandom(1 << 20)
        with open(path, "wb") as f:
            for _ in range(size >> 20):
                f.write(chunk)
    # read it once so that it sits in the page cache
    with open(path, "rb") as f:
        while f.read(8 << 20):
            pass


def run_files(ctx, readers):
    a = ctx.args
    size = (64 << 20) if a.smoke else (1 << 30)
    path = os.path.join(a.work, f"randread-{size >> 20}M.dat")
    ensure_file(path, size)
    dur = str(a.file_duration)
    res = {"file_mib": size >> 20, "bs": 4096, "seconds": a.file_duration, "runs": []}
    qds = [1, 32]
    for qd in qds:
        for name, exe in readers.items():
            argv = ctx.pin(1) + [exe, "--file", path, "--qd", str(qd), "--duration", dur, "--warmup", "0.3",
                                 "--label", name]
            r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                res["runs"].append({"label": name, "qd": qd, "error": r.stderr.strip()[:300]})
                log(f"  {name} QD{qd}: failed: {r.stderr.strip()[:200]}")
                continue
            j = json.loads(r.stdout)
            res["runs"].append(j)
            log(f"  {name:16} QD{qd:<3} {j['iops']:>10.0f} IOPS  {j['cpu_us_per_read']:.2f} us CPU/read")
        if shutil.which("fio"):
            engines = [("fio io_uring", ["--ioengine=io_uring", f"--iodepth={qd}",
                                         f"--iodepth_batch_submit={min(16, qd)}",
                                         f"--iodepth_batch_complete_min={min(16, qd)}"])]
            if qd == 1:
                engines.append(("fio psync", ["--ioengine=psync"]))
            for label, eng in engines:
                argv = ctx.pin(1) + ["fio", "--name=randread", f"--filename={path}", "--rw=randread", "--bs=4k",
                                     "--direct=0", "--invalidate=0", "--norandommap", "--randrepeat=0",
                                     "--time_based", f"--runtime={a.file_duration}", "--ramp_time=0.3",
                                     "--output-format=json"] + eng
                r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
                try:
                    job = json.loads(r.stdout[r.stdout.index("{"):])["jobs"][0]
                    iops = job["read"]["iops"]
                    cpu = (job["usr_cpu"] + job["sys_cpu"]) / 100 * job["job_runtime"] / 1000 / max(1, job["read"]["total_ios"])
                    res["runs"].append({"label": label, "qd": qd, "iops": iops, "cpu_us_per_read": cpu * 1e6})
                    log(f"  {label:16} QD{qd:<3} {iops:>10.0f} IOPS  {cpu * 1e6:.2f} us CPU/read")
                except (ValueError, KeyError, IndexError):
                    res["runs"].append({"label": label, "qd": qd, "error": (r.stderr or r.stdout).strip()[:300]})
                    log(f"  {label} QD{qd}: failed")
    if not a.keep_file and a.smoke:
        os.unlink(path)
    return res


def files_table(files):
    out = [f"\n#### 4 KiB random reads, {files['file_mib']} MiB file in the page cache, one core\n",
           "| reader | QD | IOPS | × fio io_uring | CPU µs/read |", "| --- | ---: | ---: | ---: | ---: |"]
    ref = {r["qd"]: r["iops"] for r in files["runs"] if r.get("label") == "fio io_uring" and "iops" in r}
    for r in files["runs"]:
        if "error" in r:
            out.append(f"| {r['label']} | {r['qd']} | failed | | |")
            continue
        ratio = f"{r['iops'] / ref[r['qd']]:.2f}" if r["qd"] in ref else "–"
        out.append(f"| {r['label']} | {r['qd']} | {r['iops']:,.0f} | {ratio} | {r['cpu_us_per_read']:.2f} |")
    return "\n".join(out)


# ---- micro-benchmarks --------------------------------------------------------------------------

def run_micro(ctx, micro):
    a = ctx.args
    res = {}
    min_time = "0.01" if a.smoke else str(a.micro_min_time)
    for name, exe in micro.items():
        out = os.path.join(a.work, f"micro-{name}.json".replace("[", "_").replace("]", ""))
        argv = ctx.pin(0) + [exe, f"--benchmark_min_time={min_time}", "--benchmark_format=json",
                             f"--benchmark_out={out}", "--benchmark_out_format=json"]
        if not a.smoke:  # repetitions in random order, medians reported: neighbours share the noise
            argv += ["--benchmark_repetitions=3", "--benchmark_enable_random_interleaving=true",
                     "--benchmark_report_aggregates_only=true"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        if r.returncode != 0 or not os.path.exists(out):
            res[name] = {"error": r.stderr.strip()[:300]}
            log(f"  {name}: failed: {r.stderr.strip()[:200]}")
            continue
        with open(out) as f:
            data = json.load(f)
        rows = {}
        for b in data["benchmarks"]:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            b["name"] = b.get("run_name", b["name"])
            if b.get("error_occurred"):
                rows[b["name"]] = {"error": b.get("error_message", "")}
                continue
            row = {"ns_per_op": b["real_time"] if b["time_unit"] == "ns" else None,
                   "time": b["real_time"], "unit": b["time_unit"], "cpu_time": b["cpu_time"]}
            for k in ("allocs/op", "bytes/op", "bytes/task", "allocs/task", "bytes/conn", "allocs/conn"):
                if k in b:
                    row[k] = b[k]
            rows[b["name"]] = row
            extra = " ".join(f"{k}={row[k]:.1f}" for k in row if "/" in k)
            log(f"  {name:22} {b['name']:24} {b['real_time']:10.1f} {b['time_unit']}  {extra}")
        res[name] = rows
    return res


MICRO_ORDER = ["nop_roundtrip", "uring_nop_raw", "yield", "sleep_zero", "spawn_join", "task_await", "tcp_pingpong_64",
               "tcp_pingpong_64_all", "read_at_4k"]


def micro_key(name):
    base = name.split("/")[0]
    return (MICRO_ORDER.index(base) if base in MICRO_ORDER else len(MICRO_ORDER), name)


def micro_table(micro):
    out = ["\n#### Micro-benchmarks (median of 3 interleaved repetitions; heap allocations per operation)\n",
           "| build | benchmark | time | CPU time | allocs/op | bytes/op | memory |",
           "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for build, rows in micro.items():
        if "error" in rows:
            out.append(f"| {build} | failed | | | | | |")
            continue
        for bname, r in sorted(rows.items(), key=lambda kv: micro_key(kv[0])):
            if "error" in r:
                out.append(f"| {build} | {bname} | {r['error']} | | | | |")
                continue
            mem = ", ".join(f"{k} {r[k]:,.0f}" for k in ("bytes/task", "allocs/task", "bytes/conn", "allocs/conn") if k in r)
            t = f"{r['time']:.1f} {r['unit']} | {r['cpu_time']:.1f} {r['unit']}"
            out.append(f"| {build} | {bname} | {t} | {r.get('allocs/op', float('nan')):.2f} | "
                       f"{r.get('bytes/op', float('nan')):.1f} | {mem} |")
    return "\n".join(out)


# ---- issue 7's targets -------------------------------------------------------------------------

NOISE = 0.97  # "ties within noise count": within 3% of the best peer's median


def targets(echo, det, files, micro, scale=None, memory=None):
    rows = []

    def add(target, figure, met):
        rows.append({"target": target, "measured": figure, "met": met})

    if memory:
        peers = {n: r["per_conn_bytes"] for n, r in memory["servers"].items()
                 if not n.startswith("corio") and r.get("per_conn_bytes") is not None}
        for name, r in memory["servers"].items():
            if not (name.startswith("corio") and "pooled" in name) or r.get("per_conn_bytes") is None:
                continue
            plain = memory["servers"].get(name.replace(" pooled", ""), {}).get("per_conn_bytes")
            figure = f"{r['per_conn_bytes']:,.0f} B" + (f" (plain {plain:,.0f} B" if plain else "")
            if peers:
                best = min(peers.items(), key=lambda kv: kv[1])
                figure += f"{', ' if plain else ' ('}best peer {best[0]} {best[1]:,.0f} B)"
            elif plain:
                figure += ")"
            add(f"(issue 16) {name}: <= 1.5 KiB user RSS per idle connection, {memory['conns']} x "
                f"{memory['size'] // 1024} KiB", figure, r["per_conn_bytes"] <= 1536)

    if echo:
        peers = ["liburing", "asio[io_uring]", "epoll", "asio[epoll]", "libuv"]
        for sc, srv in echo["summary"].items():
            if " at " in sc:
                continue  # paced: every server delivers the same rate
            mine = srv.get("corio[io_uring]", {})
            me = mine.get("msgs_per_s")
            best = max(((srv[p]["msgs_per_s"], p) for p in peers if srv.get(p, {}).get("msgs_per_s")), default=None)
            if me and best:
                met = me >= NOISE * best[0]
                if not met and mine["msgs_per_s_max"] >= srv[best[1]]["msgs_per_s_min"]:
                    met = "tie"  # the repetitions' ranges overlap
                add(f"corio[io_uring] msgs/s >= every peer's, {sc}",
                    f"{me:,.0f} vs best peer {best[1]} {best[0]:,.0f} ({me / best[0]:.2f}x)", met)
            for mine, ref, k in (("corio[epoll]", "epoll", 0.95), ("corio[libuv]", "libuv", 0.9)):
                a, b = srv.get(mine, {}).get("msgs_per_s"), srv.get(ref, {}).get("msgs_per_s")
                if a and b:
                    met = a >= k * b
                    if not met and srv[mine]["msgs_per_s_max"] >= k * srv[ref]["msgs_per_s_min"]:
                        met = "tie"
                    add(f"{mine} msgs/s >= {k}x raw {ref}, {sc}", f"{a:,.0f} vs {b:,.0f} ({a / b:.2f}x)", met)
        for sc, srv in echo["summary"].items():
            if " at " not in sc:
                continue
            a, b = srv.get("corio[io_uring]", {}).get("server_cpu_us_per_msg"), srv.get("liburing", {}).get(
                "server_cpu_us_per_msg")
            if a and b:
                add(f"(extra) corio[io_uring] server CPU/msg vs raw liburing, {sc}", f"{a:.2f} vs {b:.2f} µs "
                    f"({a / b:.2f}x)", None)
    if det:
        for wl in det["workloads"]:
            sv = wl["servers"]
            tag = f"{wl['conns']} x {wl['size']} B"
            pairs_ = [("corio[io_uring]", "liburing", "syscalls_per_msg", 1.0, "syscalls/msg"),
                      ("corio[io_uring]", "liburing", "instructions_per_msg", 1.3, "user instructions/msg"),
                      ("corio[epoll]", "epoll", "syscalls_per_msg", 1.0, "syscalls/msg")]
            for mine, ref, key, k, what in pairs_:
                a, b = sv.get(mine, {}).get(key), sv.get(ref, {}).get(key)
                if a and b:
                    # 0.2% slack: a few syscalls of connection set-up fall in the counted window
                    add(f"{mine} {what} <= {k}x raw {ref}, {tag}", f"{a:.3f} vs {b:.3f} ({a / b:.3f}x)",
                        a <= k * b * 1.002)
        for wl in det["workloads"]:  # issue 9: choosing the driver at run time costs little
            a = wl["servers"].get("corio[auto]", {}).get("instructions_per_msg")
            b = wl["servers"].get("corio[io_uring]", {}).get("instructions_per_msg")
            if a and b:
                add(f"(issue 9) corio[auto] user instructions/msg <= 1.03x corio[io_uring], {wl['conns']} x {wl['size']} B",
                    f"{a:.0f} vs {b:.0f} ({a / b:.3f}x)", a <= 1.03 * b)
    if echo:
        for sc, srv in echo["summary"].items():
            a, b = srv.get("corio[auto]", {}).get("msgs_per_s"), srv.get("corio[io_uring]", {}).get("msgs_per_s")
            if a and b and " at " not in sc:
                met = a >= 0.97 * b or ("tie" if srv["corio[auto]"]["msgs_per_s_max"] >= srv["corio[io_uring]"]["msgs_per_s_min"] else False)
                add(f"(issue 9) corio[auto] msgs/s >= 0.97x corio[io_uring], {sc}", f"{a:,.0f} vs {b:,.0f} ({a / b:.3f}x)", met)
    if files:
        get = lambda label, qd: next((r["iops"] for r in files["runs"] if r.get("label") == label and r["qd"] == qd
                                      and "iops" in r), None)
        me, fio_u, psync = get("corio[io_uring]", 32), get("fio io_uring", 32), get("fio psync", 1)
        if me and fio_u:
            add("files: corio[io_uring] QD32 IOPS >= 0.9x fio io_uring (batch 16/16)",
                f"{me:,.0f} vs {fio_u:,.0f} ({me / fio_u:.2f}x)", me >= 0.9 * fio_u)
        if me and psync:
            add("files: corio[io_uring] QD32 IOPS above fio psync", f"{me:,.0f} vs {psync:,.0f} ({me / psync:.2f}x)",
                me > psync)
    if micro:
        nop = micro.get("micro_runtime[io_uring]", {}).get("nop_roundtrip", {}).get("cpu_time")
        raw = micro.get("micro_runtime[io_uring]", {}).get("uring_nop_raw", {}).get("cpu_time")
        if nop and raw:
            add("micro: nop round trip on io_uring <= 1.2x raw liburing nop loop (CPU time, same process)",
                f"{nop:.0f} ns vs {raw:.0f} ns ({nop / raw:.2f}x)", nop <= 1.2 * raw)
        for build, rs in micro.items():
            if not build.startswith("micro_") or "error" in rs:
                continue
            hot = {k: v.get("allocs/op") for k, v in rs.items() if isinstance(v, dict) and "allocs/op" in v
                   and k in ("nop_roundtrip", "sleep_zero", "yield", "tcp_pingpong_64", "read_at_4k")}
            if hot:
                add(f"zero heap allocations per hot-path op, {build}",
                    ", ".join(f"{k} {v:.2f}" for k, v in hot.items()), all(v < 0.01 for v in hot.values()))
            composed = rs.get("tcp_pingpong_64_all", {})
            if "allocs/op" in composed:
                add(f"zero heap allocations with write_all + read_exact (what examples/echo_server calls), {build}",
                    f"{composed['allocs/op']:.2f} allocs, {composed.get('bytes/op', 0):.0f} B per ping-pong "
                    "(client write_all + read_exact, server write_all)", composed["allocs/op"] < 0.01)
            mem = {k: v for k, v in rs.items() if isinstance(v, dict) and ("bytes/task" in v or "bytes/conn" in v)}
            for k, v in mem.items():
                what = "bytes/task" if "bytes/task" in v else "bytes/conn"
                add(f"memory (reported), {build} {k.split('/')[0]}", f"{v[what]:,.0f} heap {what}", None)
    if scale:
        for name, rows_ in scale["summary"].items():
            if rows_.get(2, {}).get("ratio_to_1"):
                add(f"(issue 9, reported) {name} 1 -> 2 server threads, {scale['scenario']}",
                    f"{rows_[1]['msgs_per_s']:,.0f} -> {rows_[2]['msgs_per_s']:,.0f} msgs/s ({rows_[2]['ratio_to_1']:.2f}x; "
                    f"{scale['cpus']} CPUs shared with the load generator)", None)
    return rows


def targets_table(rows):
    out = ["\n#### Issue 7 targets\n", "| target | measured | met |", "| --- | --- | --- |"]
    for r in rows:
        met = {None: "–", True: "yes", False: "**no**", "tie": "tie (run ranges overlap)"}[r["met"]]
        out.append(f"| {r['target']} | {r['measured']} | {met} |")
    return "\n".join(out)


# ---- main --------------------------------------------------------------------------------------

def pairs(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        out[k] = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="where the JSON results go")
    ap.add_argument("--work", default=None, help="scratch directory (logs, data file, callgrind dumps)")
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--server", action="append", help="NAME=PATH of an echo server (order = table order)")
    ap.add_argument("--det-server", action="append", help="NAME=PATH for the deterministic figures (default: --server)")
    ap.add_argument("--micro", action="append", help="NAME=PATH of a Google Benchmark executable")
    ap.add_argument("--file-read", action="append", help="NAME=PATH of a file_read executable")
    ap.add_argument("--scale-server", action="append", help="NAME=PATH of an echo server taking --threads N")
    ap.add_argument("--memory-server", action="append",
                    help="NAME=PATH [ARGS...] of an echo server for the memory per connection figure")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=1.5)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--det-messages", type=int, default=20000, help="echoes measured under callgrind")
    ap.add_argument("--syscall-messages", type=int, default=100000, help="echoes whose syscalls are counted")
    ap.add_argument("--file-duration", type=float, default=2.0)
    ap.add_argument("--micro-min-time", type=float, default=0.2)
    ap.add_argument("--skip", default="", help="comma-separated: echo,det,files,micro,scale,memory")
    ap.add_argument("--sched", choices=["fifo", "none"], default="none",
                    help="fifo: run servers and the load generator SCHED_FIFO (root), away from other load")
    ap.add_argument("--smoke", action="store_true", help="one short run of each piece")
    ap.add_argument("--keep-file", action="store_true")
    a = ap.parse_args()
    a.work = a.work or os.path.join(a.out, "work")
    os.makedirs(a.out, exist_ok=True)
    os.makedirs(a.work, exist_ok=True)
    if a.smoke:
        a.reps, a.duration, a.warmup, a.file_duration = 1, 0.5, 0.2, 0.5
        a.det_messages = min(a.det_messages, 1000)
        a.syscall_messages = min(a.syscall_messages, 5000)
    ctx = Ctx(a)
    skip = set(filter(None, a.skip.split(",")))
    servers = pairs(a.server)
    det_servers = pairs(a.det_server) or servers
    meta = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "kernel": os.uname().release, "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(), "sched": a.sched, "smoke": a.smoke, "reps": a.reps,
            "duration_s": a.duration, "warmup_s": a.warmup}
    failures = 0
    tables = []
    echo = det = files = micro = scale = memory = None
    t0 = time.time()
    if "echo" not in skip and servers:
        log(f"== echo throughput: {len(servers)} servers x {2 if a.smoke else len(SCENARIOS)} scenarios x {a.reps} reps")
        echo = run_echo(ctx, servers)
        echo["meta"] = meta
        failures += sum(1 for r in echo["runs"] if "error" in r)
        with open(os.path.join(a.out, "echo.json"), "w") as f:
            json.dump(echo, f, indent=1)
        tables.append(echo_table(echo))
        log(f"   ({time.time() - t0:.0f} s so far)")
    if "det" not in skip and det_servers:
        log(f"== deterministic figures: {a.det_messages} echoes per server under callgrind, "
            f"syscalls of {a.syscall_messages} echoes")
        det = run_det(ctx, det_servers)
        failures += sum(1 for wl in det["workloads"] for r in wl["servers"].values()
                        if "callgrind_error" in r or "syscall_error" in r)
        with open(os.path.join(a.out, "det.json"), "w") as f:
            json.dump(det, f, indent=1)
        tables.append(det_table(det))
        log(f"   ({time.time() - t0:.0f} s so far)")
    if "files" not in skip and a.file_read:
        log("== file reads")
        files = run_files(ctx, pairs(a.file_read))
        failures += sum(1 for r in files["runs"] if "error" in r)
        with open(os.path.join(a.out, "files.json"), "w") as f:
            json.dump(files, f, indent=1)
        tables.append(files_table(files))
        log(f"   ({time.time() - t0:.0f} s so far)")
    if "micro" not in skip and a.micro:
        log("== micro-benchmarks")
        micro = run_micro(ctx, pairs(a.micro))
        failures += sum(1 for r in micro.values() if "error" in r)
        failures += sum(1 for rows in micro.values() for r in rows.values() if isinstance(r, dict) and "error" in r)
        with open(os.path.join(a.out, "micro.json"), "w") as f:
            json.dump(micro, f, indent=1)
        tables.append(micro_table(micro))
    if "scale" not in skip and a.scale_server:
        log(f"== thread-per-core scaling: threads {scale_threads()} x {a.reps} reps")
        scale = run_scale(ctx, pairs(a.scale_server))
        scale["meta"] = meta
        failures += sum(1 for r in scale["runs"] if "error" in r)
        with open(os.path.join(a.out, "scale.json"), "w") as f:
            json.dump(scale, f, indent=1)
        tables.append(scale_table(scale))
    if "memory" not in skip and a.memory_server:
        log(f"== memory per idle connection: {MEMORY_SCENARIO[0]}")
        memory = run_memory(ctx, pairs(a.memory_server))
        failures += sum(1 for r in memory["servers"].values() if "error" in r)
        with open(os.path.join(a.out, "memory.json"), "w") as f:
            json.dump(memory, f, indent=1)
        tables.append(memory_table(memory))
        log(f"   ({time.time() - t0:.0f} s so far)")
    goal = targets(echo, det, files, micro, scale, memory)
    with open(os.path.join(a.out, "targets.json"), "w") as f:
        json.dump(goal, f, indent=1)
    tables.append(targets_table(goal))
    print(f"\n### corio benchmarks ({meta['when']}, kernel {meta['kernel']}, {meta['cpus']} CPUs, "
          f"load average at start {meta['loadavg_start'][0]:.1f}, {time.time() - t0:.0f} s)")
    print("\n".join(tables))
    if failures:
        log(f"{failures} benchmark run(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
