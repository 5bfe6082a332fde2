#!/usr/bin/env python3
"""Profiles hookgate (target H, H2, H2r, H2down, Hq, Hq-slow, Ht001 or Ht1) under the same load as bench.py with `perf record`
(cpu-clock sampling: this VM has no hardware counters), then prints perf's report.

    python3 bench/profile.py --hookgate BIN --data bench/results/data-600000 --n-small 600000 \
        --out /tmp/prof [--target H] [--size small|16k|100k] [--duration 10] [--callgraph dwarf]

With --strace, counts system calls per request instead (`strace -c -f` attached to the server's
processes over the measured run; any bench.py target, B for nginx proxy_pass): a count the
machine's load does not move (strace slows the server; the count per request is what matters).

    python3 bench/profile.py --strace --target B ... ; python3 bench/profile.py --strace --target H ...
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hookgate", required=True)
    ap.add_argument("--hookgate-alt", default=None)
    ap.add_argument("--data", required=True)
    ap.add_argument("--n-small", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--target", default="H")
    ap.add_argument("--size", default="small")
    ap.add_argument("--slow-ms", type=int, default=200)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--callgraph", default="dwarf,32768")
    ap.add_argument("--freq", type=int, default=999)
    ap.add_argument("--strace", action="store_true", help="count syscalls per request instead")
    args = ap.parse_args()
    import atexit

    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    atexit.register(bench.cleanup)
    args.out = os.path.abspath(args.out)
    args.data = os.path.abspath(args.data)
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    up, st = bench.free_port(), bench.free_port()
    bench.start_nginx(work, "nginx-upstream", bench.upstream_conf(os.path.join(work, "nginx-upstream"), up, st), up)
    args.slow_port = None
    if args.target == "Hq-slow":
        args.slow_port = bench.start_slow_upstream(work, args.slow_ms)[1]
    if args.target in ("Ht001", "Ht1"):
        args.sink_port = bench.start_otlp_sink(work)[1]
    srv = bench.start_target(args, work, args.target, args.size, up)
    url = "http://127.0.0.1:%d%s" % (srv.port, srv.path)
    bench.wrk(args, url, args.size, 1, 0, srv.ok_status)
    if args.strace:
        return count_syscalls(args, srv, url)
    data = os.path.join(args.out, "perf.data")
    perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", str(args.freq), "--call-graph",
                             args.callgraph, "-o", data, "-p", str(srv.proc.pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    bench.PROCS.append(perf)
    time.sleep(0.5)
    res, _ = bench.wrk(args, url, args.size, args.duration, args.n_small // 5, srv.ok_status)
    perf.send_signal(signal.SIGINT)
    perf.wait(timeout=60)
    bench.PROCS.remove(perf)
    print("wrk: %d requests, %.0f req/s, errors non200=%d" % (res["requests"], res["requests"] / (res["duration_us"] / 1e6), res["non200"]))
    print("perf data:", data)


def count_syscalls(args, srv, url):
    """`strace -c -f` on every process of the server (nginx: master and worker) over one wrk run;
    prints calls per request, in total and per syscall."""
    out = os.path.join(args.out, "strace-%s.txt" % args.target)
    cmd = ["strace", "-c", "-f", "-q", "-o", out]
    for pid in srv.pids():
        cmd += ["-p", str(pid)]
    st = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True)
    bench.PROCS.append(st)
    time.sleep(1.0)  # attached to every thread
    if srv.redis is not None:
        redis_cli(srv, "CONFIG", "RESETSTAT")
    res, _ = bench.wrk(args, url, args.size, args.duration, args.n_small // 5, srv.ok_status)
    time.sleep(0.5)
    st.send_signal(signal.SIGINT)
    st.wait(timeout=60)
    bench.PROCS.remove(st)
    reqs = res["requests"]
    rows = []
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[3].isdigit():
                rows.append((parts[-1], int(parts[3])))
    total = dict(rows).pop("total", sum(c for _, c in rows))
    print("target %s: %d requests (non200=%d), %.2f syscalls per request" % (
        args.target, reqs, res["non200"], total / max(reqs, 1)))
    for name, calls in sorted(rows, key=lambda r: -r[1]):
        if name != "total" and calls / max(reqs, 1) >= 0.01:
            print("  %-16s %.2f" % (name, calls / max(reqs, 1)))
    print("strace summary:", out)
    if srv.redis is not None:
        print_redis_calls(srv, reqs)


def redis_cli(srv, *cmd):
    return subprocess.run(["redis-cli", "-p", str(srv.redis[1])] + list(cmd), capture_output=True,
                          text=True, timeout=10, check=True).stdout


def print_redis_calls(srv, reqs):
    """Commands Redis ran per request over the measured run (`INFO commandstats`): a script's
    own calls are counted beside its EVALSHA, so round trips are the top-level commands."""
    time.sleep(1.0)  # the deliveries of the last requests
    print("redis commands per request:")
    for line in redis_cli(srv, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            calls = int(rest.split(",")[0].split("=")[1])
            if calls / max(reqs, 1) >= 0.01:
                print("  %-16s %.2f" % (name, calls / max(reqs, 1)))


if __name__ == "__main__":
    main()
