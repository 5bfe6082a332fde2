#!/usr/bin/env python3
"""Profiles hookgate (target H, H2, H2r, H2down, Hq or Hq-slow) under the same load as bench.py with `perf record`
(cpu-clock sampling: this VM has no hardware counters), then prints perf's report.

    python3 bench/profile.py --hookgate BIN --data bench/results/data-600000 --n-small 600000 \
        --out /tmp/prof [--target H] [--size small|16k|100k] [--duration 10] [--callgraph dwarf]
"""
import argparse
import os
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
    args = ap.parse_args()
    import atexit
    import signal
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
    srv = bench.start_target(args, work, args.target, args.size, up)
    url = "http://127.0.0.1:%d%s" % (srv.port, srv.path)
    bench.wrk(args, url, args.size, 1, 0, srv.ok_status)
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


if __name__ == "__main__":
    main()
