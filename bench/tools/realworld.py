#!/usr/bin/env python3
"""Real programs against real peers (issue 14): corio's HTTP server against nginx, corio's TCP
proxy against haproxy. ci/bench builds the programs and calls this.

  realworld.py --out DIR --work DIR --http NAME=PATH ... --proxy NAME=PATH ...
               [--reps N] [--duration T] [--sched fifo|none] [--smoke]

HTTP (wrk, one thread): keep-alive with 50 and 500 connections, and 50 connections pipelining
16 requests, against GET /plaintext ("Hello, World!"); nginx with worker_processes 1 and
access_log off returning the same body. TCP proxy: iperf3 through the proxy with 1 and 8
streams (upstream: an iperf3 server), and wrk with "Connection: close" through the proxy to
nginx (a new upstream connection per request); haproxy in mode tcp, nbthread 1, with its
default buffers and with tune.bufsize 65536. Servers and proxies on CPU 0, clients and
upstreams on CPU 1; every server of a scenario runs once per repetition, in turn
(interleaved); medians with ranges; ratios to the peer are taken within each repetition.
Server CPU per request (or per MiB) is its on-CPU time (schedstat, every thread and child
process) over the run. Writes DIR/realworld.json; prints markdown tables.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Ctx, Server, children_of, log, pairs  # noqa: E402

HTTP_SCENARIOS = [  # name, connections, pipelined requests per write
    ("keep-alive, 50 conns", 50, 1),
    ("keep-alive, 500 conns", 500, 1),
    ("pipelined x16, 50 conns", 50, 16),
]
PROXY_SCENARIOS = [  # name, kind, streams or connections
    ("iperf3, 1 stream", "iperf", 1),
    ("iperf3, 8 streams", "iperf", 8),
    ("Connection: close, 50 conns", "close", 50),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, limit=10.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def cpu_ns(pid):
    """On-CPU nanoseconds of every thread of pid and of its children (nginx's worker)."""
    total = 0
    for p in [pid] + children_of(pid):
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


class Peer:
    """A peer server started from a config file, on a port chosen here."""

    def __init__(self, ctx, name, argv, port, tag):
        self.name, self.port = name, port
        self.errpath = os.path.join(ctx.logdir, f"{tag}.stderr")
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.err, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        if not wait_port(port):
            self.stop()
            raise RuntimeError(f"{name}: not listening on {port} (see {self.errpath})")

    @property
    def pid(self):
        return self.p.pid

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(6)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.err.close()


def start_nginx(ctx, cpu, tag, rt=None):
    port = free_port()
    d = os.path.join(ctx.args.work, f"nginx-{tag}")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ default_type text/plain; return 200 "Hello, World!"; }}
  }}
}}
""")
    return Peer(ctx, "nginx", ctx.pin(cpu, rt) + ["nginx", "-p", d, "-c", conf], port, tag)


def start_haproxy(ctx, upstream_port, bufsize, tag):
    port = free_port()
    conf = os.path.join(ctx.args.work, f"haproxy-{tag}.cfg")
    tune = f"  tune.bufsize {bufsize}\n" if bufsize else ""
    with open(conf, "w") as f:
        f.write(f"""global
  nbthread 1
  maxconn 9000
{tune}defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend f
  bind 127.0.0.1:{port}
  default_backend b
backend b
  server u 127.0.0.1:{upstream_port}
""")
    name = "haproxy" + (f" (bufsize {bufsize // 1024}k)" if bufsize else "")
    return Peer(ctx, name, ctx.pin(0) + ["haproxy", "-db", "-f", conf], port, tag)


def parse_wrk(text):
    def seconds(v, unit):
        return float(v) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    total = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if not rps or not p99 or not total:
        raise RuntimeError("cannot parse wrk output: " + text[-400:])
    return {"rps": float(rps.group(1)), "p99_ms": seconds(p99.group(1), p99.group(2)) * 1e3,
            "requests": int(total.group(1)),
            "errors": (sum(int(x) for x in errors.groups()) if errors else 0) + (int(non2xx.group(1)) if non2xx else 0)}


def run_wrk(ctx, port, conns, pipeline, duration, close=False, rt=None):
    argv = ctx.pin(1, rt) + ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if close:
        argv += ["-H", "Connection: close"]
    if pipeline > 1:
        script = os.path.join(ctx.args.work, f"pipeline{pipeline}.lua")
        with open(script, "w") as f:
            f.write(f"""init = function(args)
  local r = {{}}
  for i = 1, {pipeline} do r[i] = wrk.format(nil, "/plaintext") end
  req = table.concat(r)
end
request = function() return req end
""")
        argv += ["-s", script]
    argv.append(f"http://127.0.0.1:{port}/plaintext")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if r.returncode != 0:
        raise RuntimeError(f"wrk failed: {r.stderr.strip()[-300:]}")
    return parse_wrk(r.stdout)


def run_iperf(ctx, port, streams, duration):
    argv = ctx.pin(1, False) + ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(duration), "-P", str(streams), "-J"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    out = json.loads(r.stdout or "{}")
    if r.returncode != 0 or "end" not in out:
        raise RuntimeError(f"iperf3 failed: {out.get('error', r.stderr.strip()[-300:])}")
    received = out["end"]["sum_received"]
    return {"gbit_s": received["bits_per_second"] / 1e9, "bytes": received["bytes"]}


def measured(server, fn):
    """Runs fn() against server; adds the server's CPU over the run and its descriptors after."""
    fds_before = fd_count(server.pid)
    c0 = cpu_ns(server.pid)
    r = fn()
    r["server_cpu_s"] = (cpu_ns(server.pid) - c0) / 1e9
    time.sleep(0.3)  # closes settle
    r["fds_left"] = fd_count(server.pid) - fds_before
    return r


def run_http(ctx, servers):
    runs = []
    for rep in range(ctx.args.reps):
        for scen, conns, pipeline in HTTP_SCENARIOS[: 1 if ctx.args.smoke else None]:
            for name in ["nginx"] + list(servers):
                row = {"scenario": scen, "server": name, "rep": rep}
                try:
                    tag = f"http-{name}-{rep}-{conns}-{pipeline}".replace("[", "").replace("]", "")
                    srv = (start_nginx(ctx, 0, tag) if name == "nginx"
                           else Server(ctx, name, ctx.pin(0) + [servers[name], "--port", "0"], tag))
                    try:
                        row.update(measured(srv, lambda: run_wrk(ctx, srv.port, conns, pipeline, ctx.args.duration)))
                        row["cpu_us_per_req"] = row["server_cpu_s"] / max(row["requests"], 1) * 1e6
                    finally:
                        srv.stop()
                except Exception as e:  # noqa: BLE001
                    row["error"] = str(e)
                    log(f"   {scen} {name}: {e}")
                runs.append(row)
                log(f"   {scen:<26} {name:<16} rep {rep}: "
                    + (f"{row['rps']:>10.0f} req/s  p99 {row['p99_ms']:.2f} ms" if "rps" in row else "failed"))
    return {"runs": runs}


def run_proxy(ctx, proxies):
    runs = []
    # The client and the upstream share CPU 1 and stay off SCHED_FIFO: at equal FIFO priority an
    # iperf3 that never blocks would starve its upstream (every run timed out). Proxies keep it.
    iperf = Peer(ctx, "iperf3", ctx.pin(1, False) + ["iperf3", "-s", "-p", str(port := free_port())], port, "iperf3")
    nginx = start_nginx(ctx, 1, "upstream", rt=False)
    names = ["haproxy", "haproxy (bufsize 64k)"] + list(proxies)
    try:
        for rep in range(ctx.args.reps):
            for scen, kind, n in PROXY_SCENARIOS[: 1 if ctx.args.smoke else None]:
                upstream = iperf.port if kind == "iperf" else nginx.port
                for name in names:
                    row = {"scenario": scen, "server": name, "rep": rep}
                    try:
                        tag = f"proxy-{name}-{rep}-{kind}{n}".replace(" ", "").replace("[", "").replace("]", "")
                        if name.startswith("haproxy"):
                            px = start_haproxy(ctx, upstream, 65536 if "64k" in name else 0, tag)
                        else:
                            px = Server(ctx, name, ctx.pin(0) + [proxies[name], "--port", "0", "--upstream",
                                                                 f"127.0.0.1:{upstream}"], tag)
                        try:
                            if kind == "iperf":
                                row.update(measured(px, lambda: run_iperf(ctx, px.port, n, ctx.args.duration)))
                                row["cpu_ms_per_gib"] = row["server_cpu_s"] * 1e3 / max(row["bytes"] / 2**30, 1e-9)
                            else:
                                row.update(measured(px, lambda: run_wrk(ctx, px.port, n, 1, ctx.args.duration, close=True, rt=False)))
                                row["cpu_us_per_req"] = row["server_cpu_s"] / max(row["requests"], 1) * 1e6
                        finally:
                            px.stop()
                    except Exception as e:  # noqa: BLE001
                        row["error"] = str(e)
                        log(f"   {scen} {name}: {e}")
                    runs.append(row)
                    value = (f"{row['gbit_s']:.2f} Gbit/s" if "gbit_s" in row else
                             f"{row['rps']:.0f} req/s p99 {row['p99_ms']:.2f} ms" if "rps" in row else "failed")
                    log(f"   {scen:<28} {name:<22} rep {rep}: {value}")
    finally:
        iperf.stop()
        nginx.stop()
    return {"runs": runs}


def summarize(runs, metric, peers):
    """{scenario: {server: {median, min, max, ratio (median of per-rep ratios to the best peer)}}}"""
    out = {}
    for scen in dict.fromkeys(r["scenario"] for r in runs):
        rows = [r for r in runs if r["scenario"] == scen and metric in r]
        by_rep = {}
        for r in rows:
            by_rep.setdefault(r["rep"], {})[r["server"]] = r
        table = {}
        for name in dict.fromkeys(r["server"] for r in rows):
            vals = [r[metric] for r in rows if r["server"] == name]
            ratios = []
            for rep in by_rep.values():
                best = max((rep[p][metric] for p in peers if p in rep), default=None)
                if name in rep and best:
                    ratios.append(rep[name][metric] / best)
            entry = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                     "ratio": statistics.median(ratios) if ratios else None, "ratios": ratios}
            for extra in ("p99_ms", "cpu_us_per_req", "cpu_ms_per_gib", "fds_left", "errors"):
                xs = [r[extra] for r in rows if r["server"] == name and extra in r]
                if xs:
                    entry[extra] = statistics.median(xs) if extra not in ("fds_left", "errors") else max(xs)
                    if extra == "p99_ms":
                        entry["p99_all"] = xs
            table[name] = entry
        out[scen] = table
    return out


def table(title, summary, unit, fmt, cpu_key, cpu_unit, peer_label):
    lines = [f"\n#### {title}\n", f"| scenario | server | {unit} (median, range) | × {peer_label} | p99 ms (each rep) | server CPU {cpu_unit} | fds left |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for scen, rows in summary.items():
        for name, e in rows.items():
            ratio = f"{e['ratio']:.2f}×" if e["ratio"] is not None else ""
            p99 = " / ".join(f"{x:.1f}" for x in e.get("p99_all", [])) or "—"
            cpu = f"{e[cpu_key]:.1f}" if cpu_key in e else "—"
            lines.append(f"| {scen} | {name} | {fmt(e['median'])} ({fmt(e['min'])}–{fmt(e['max'])}) | {ratio} | {p99} | "
                         f"{cpu} | {e.get('fds_left', '—')} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--http", action="append", help="NAME=PATH of an http_server build")
    ap.add_argument("--proxy", action="append", help="NAME=PATH of a tcp_proxy build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--sched", choices=["fifo", "none"], default="none")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)  # nginx reads -c relative to its -p prefix
    if a.smoke:
        a.reps, a.duration = 1, 1
    os.makedirs(a.out, exist_ok=True)
    os.makedirs(a.work, exist_ok=True)
    ctx = Ctx(a)
    t0 = time.time()
    result = {"meta": {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "kernel": os.uname().release,
                       "reps": a.reps, "duration_s": a.duration, "loadavg_start": os.getloadavg()}}
    tables = []
    if a.http:
        log(f"== HTTP: nginx and {len(a.http)} corio builds x {len(HTTP_SCENARIOS)} scenarios x {a.reps} reps")
        result["http"] = run_http(ctx, pairs(a.http))
        result["http"]["summary"] = summarize(result["http"]["runs"], "rps", ["nginx"])
        tables.append(table("HTTP/1.1 plaintext (wrk) — corio http_server vs nginx", result["http"]["summary"],
                            "requests/s", lambda v: f"{v:,.0f}", "cpu_us_per_req", "µs/request", "nginx"))
    if a.proxy:
        log(f"== TCP proxy: haproxy (2 configs) and {len(a.proxy)} corio builds x {len(PROXY_SCENARIOS)} scenarios x {a.reps} reps")
        result["proxy"] = run_proxy(ctx, pairs(a.proxy))
        peers = ["haproxy", "haproxy (bufsize 64k)"]
        runs = result["proxy"]["runs"]
        s_iperf = summarize([r for r in runs if "gbit_s" in r], "gbit_s", peers)
        s_close = summarize([r for r in runs if "rps" in r], "rps", peers)
        result["proxy"]["summary"] = {**s_iperf, **s_close}
        tables.append(table("TCP proxy, iperf3 through it — corio tcp_proxy vs haproxy", s_iperf, "Gbit/s",
                            lambda v: f"{v:.2f}", "cpu_ms_per_gib", "ms/GiB", "best haproxy"))
        tables.append(table("TCP proxy, a new connection per request (wrk → proxy → nginx)", s_close, "requests/s",
                            lambda v: f"{v:,.0f}", "cpu_us_per_req", "µs/request", "best haproxy"))
    with open(os.path.join(a.out, "realworld.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"\n### real programs against real peers ({result['meta']['when']}, {a.reps} reps of {a.duration} s, "
          f"{time.time() - t0:.0f} s)")
    print("\n".join(tables))
    failed = sum(1 for part in ("http", "proxy") for r in result.get(part, {}).get("runs", []) if "error" in r)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
