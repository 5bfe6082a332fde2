#!/usr/bin/env python3
"""hookgate vs nginx vs HAProxy, interleaved, on 127.0.0.1. Driven by bench/run.sh.

Targets (every server on 1 worker process / thread):
  A   upstream nginx answering a fixed 200 directly (the floor)
  B   nginx proxy_pass to A, upstream keepalive, no verification (the reference: ratios are to B)
  C   HAProxy 2.6, option http-buffer-request, HMAC-SHA256 of the body checked with hmac()
  H   hookgate, provider = "hmac" route: verify + forward (audit log to /dev/null)
  H2  hookgate, same + dedup (json:/id, unique ids) + rate_limit that never triggers
  Hlog   (full run) H with its audit log written to a file
  Hnolog (full run) H with HOOKGATE_LOG=off (no audit line formatted)
  Halt   H with the binary given by --hookgate-alt (for A/B-testing a local change)
For each measurement the server under test (except A, which every proxy uses) is started fresh,
warmed up for 1 s, then loaded with wrk -t1 -c32 -dD. Figures: req/s, p50/p99, errors (non-200 +
socket errors + duplicates/id reuse), CPU µs per request (utime+stime of all its processes from
/proc, before/after), RSS after load (sum of VmRSS), and the upstream's request count (nginx
stub_status) to check that forwarding proxies really delivered every request.
"""
import argparse
import atexit
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK = os.sysconf("SC_CLK_TCK")
SECRET = "bench-webhook-secret-0123456789"
PROCS = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cleanup():
    for p in PROCS:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.time() + 5
    for p in PROCS:
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    PROCS.clear()


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("process exited early (rc=%s)" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not listening after %ds" % (port, timeout))


def spawn(cmd, stdout, stderr, env=None):
    p = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
    PROCS.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)
    if p in PROCS:
        PROCS.remove(p)


def tree(pid):
    """pid and all its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        x = todo.pop()
        out.append(x)
        todo.extend(children.get(x, []))
    return out


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def upstream_count(status_port):
    s = socket.create_connection(("127.0.0.1", status_port), timeout=5)
    s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    # "Active connections: 1\nserver accepts handled requests\n 1 1 1\n..."
    lines = data.split(b"\r\n\r\n", 1)[1].decode().splitlines()
    return int(lines[2].split()[2])


# ---------------------------------------------------------------- configs

NGINX_COMMON = """
user root;
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
"""

NGINX_TEMPS = """
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
"""


def upstream_conf(d, port, status_port):
    return (NGINX_COMMON + """
http {{
  access_log off;
""" + NGINX_TEMPS + """
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_max_body_size 4m;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{{"ok":true}}\\n'; }}
  }}
  server {{
    listen 127.0.0.1:{status_port};
    location / {{ stub_status; }}
  }}
}}
""").format(dir=d, port=port, status_port=status_port)


def nginx_proxy_conf(d, port, up):
    return (NGINX_COMMON + """
http {{
  access_log off;
""" + NGINX_TEMPS + """
  keepalive_requests 1000000;
  client_max_body_size 4m;
  # keep bodies up to 2 MiB in memory (the default 16k spills 64 KiB / 1 MiB bodies to temp files)
  client_body_buffer_size 2m;
  upstream up {{ server 127.0.0.1:{up}; keepalive 64; keepalive_requests 1000000; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
""").format(dir=d, port=port, up=up)


def haproxy_conf(port, up, bufsize):
    import base64
    key_b64 = base64.b64encode(SECRET.encode()).decode()
    return """
global
  nbthread 1
  maxconn 4096
  tune.bufsize {bufsize}
  # hmac() takes a base64 key, here from a variable
  set-var proc.hmac_key str({key})

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-request 10s
  option http-keep-alive

frontend webhooks
  bind 127.0.0.1:{port}
  option http-buffer-request
  http-request set-var(txn.sig) req.hdr(x-signature),lower
  http-request set-var(txn.mac) req.body,hmac(sha256,proc.hmac_key),hex,lower
  http-request deny deny_status 401 unless {{ var(txn.mac),strcmp(txn.sig) eq 0 }}
  default_backend app

backend app
  http-reuse always
  server up 127.0.0.1:{up}
""".format(bufsize=bufsize, key=key_b64, port=port, up=up)


def hookgate_conf(port, admin, up):
    return """
[server]
listen = "127.0.0.1:{port}"
admin_listen = "127.0.0.1:{admin}"
threads = 1
max_body = "2MiB"

[[route]]
name = "bench"
path = "/hook"
upstream = "http://127.0.0.1:{up}/hook"
provider = "hmac"
secrets = ["{secret}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}

[[route]]
name = "bench-dedup"
path = "/hook-dedup"
upstream = "http://127.0.0.1:{up}/hook"
provider = "hmac"
secrets = ["{secret}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
dedup = {{ ttl = "1h", id = "json:/id" }}
rate_limit = {{ per_second = 10000000.0, burst = 10000000 }}
""".format(port=port, admin=admin, up=up, secret=SECRET)


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, proc, port, path, label):
        self.proc, self.port, self.path, self.label = proc, port, path, label

    def pids(self):
        return tree(self.proc.pid)


def start_nginx(workdir, name, conf_text, port):
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    err = open(os.path.join(d, "stderr.log"), "a")
    p = spawn(["nginx", "-p", d, "-c", conf], subprocess.DEVNULL, err)
    wait_port(port, p)
    return p


def start_target(args, workdir, target, size, up_port):
    port = free_port()
    if target == "B":
        p = start_nginx(workdir, "nginx-proxy", nginx_proxy_conf(os.path.join(workdir, "nginx-proxy"), port, up_port), port)
        return Server(p, port, "/hook", target)
    if target == "C":
        body = {"small": 1536, "64k": 65536, "1m": 1048576}[size]
        # the whole request (head + body) must fit in one buffer, plus tune.maxrewrite (1024)
        bufsize = max(16384, body + 16384)
        d = os.path.join(workdir, "haproxy")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "haproxy-%s.cfg" % size)
        with open(conf, "w") as f:
            f.write(haproxy_conf(port, up_port, bufsize))
        err = open(os.path.join(d, "stderr.log"), "a")
        p = spawn(["haproxy", "-db", "-f", conf], subprocess.DEVNULL, err)
        wait_port(port, p)
        return Server(p, port, "/hook", target)
    if target in ("H", "H2", "Hlog", "Hnolog", "Halt"):
        admin = free_port()
        d = os.path.join(workdir, "hookgate")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "gateway.toml")
        with open(conf, "w") as f:
            f.write(hookgate_conf(port, admin, up_port))
        env = dict(os.environ)
        env.pop("HOOKGATE_LOG", None)
        if target == "Hnolog":
            env["HOOKGATE_LOG"] = "off"
        out = subprocess.DEVNULL
        if target == "Hlog":
            out = open(os.path.join(d, "audit.log"), "w")
        err = open(os.path.join(d, "stderr.log"), "a")
        binary = args.hookgate_alt if target == "Halt" else args.hookgate
        p = spawn([binary, "run", "-c", conf], out, err, env=env)
        wait_port(port, p)
        return Server(p, port, "/hook-dedup" if target == "H2" else "/hook", target)
    raise ValueError(target)


def wrk(args, url, size, duration, start):
    lua = os.path.join(HERE, "post.lua")
    if size == "small":
        extra = ["cycle", args.data, str(start)]
    else:
        extra = ["fixed", os.path.join(args.data, "body_%s.json" % size),
                 os.path.join(args.data, "body_%s.sig" % size)]
    cmd = ["wrk", "-t1", "-c%d" % args.connections, "-d%ds" % duration, "--latency",
           "--timeout", "10s", "-s", lua, url, "--"] + extra
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    for line in r.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):]), r.stdout
    raise RuntimeError("wrk gave no result: rc=%d\n%s\n%s" % (r.returncode, r.stdout, r.stderr))


def measure(args, workdir, target, size, upstream, status_port, up_port, rnd):
    if target == "A":
        srv = Server(upstream, up_port, "/hook", "A")
        fresh = False
    else:
        srv = start_target(args, workdir, target, size, up_port)
        fresh = True
    try:
        time.sleep(0.5)
        pids = srv.pids()
        idle_rss = rss_kib(pids)
        url = "http://127.0.0.1:%d%s" % (srv.port, srv.path)
        # ids: warm-up uses [0, ...), the measured run starts far above it
        warm, _ = wrk(args, url, size, 1, 0)
        time.sleep(0.2)
        pids = srv.pids()
        up0 = upstream_count(status_port)
        c0 = cpu_ticks(pids)
        res, raw = wrk(args, url, size, args.duration, args.n_small // 5)
        c1 = cpu_ticks(pids)
        rss = rss_kib(srv.pids())
        up1 = upstream_count(status_port)
        alive = srv.proc.poll() is None
    finally:
        if fresh:
            stop(srv.proc)
    reqs = res["requests"]
    sock_err = res["connect_err"] + res["read_err"] + res["write_err"] + res["timeout_err"]
    upstream_seen = up1 - up0 - 1  # minus the status request itself
    errors = res["non200"] + sock_err + res["duplicates"] + (reqs if res["wraps"] and target == "H2" else 0)
    if target != "A" and upstream_seen < reqs - res["non200"]:
        # a 200 that never reached the upstream would be a fake success
        errors += (reqs - res["non200"]) - upstream_seen
    row = {
        "round": rnd, "size": size, "target": target,
        "requests": reqs, "rps": reqs / (res["duration_us"] / 1e6),
        "p50_us": res["p50_us"], "p99_us": res["p99_us"], "max_us": res["max_us"],
        "errors": errors, "non200": res["non200"], "socket_errors": sock_err,
        "duplicates": res["duplicates"], "wraps": res["wraps"],
        "upstream_seen": upstream_seen,
        "cpu_us_per_req": (c1 - c0) * 1e6 / CLK / max(reqs, 1),
        "cpu_util": (c1 - c0) / CLK / (res["duration_us"] / 1e6),
        "rss_mib": rss / 1024.0, "idle_rss_mib": idle_rss / 1024.0,
        "warmup_requests": warm["requests"], "alive": alive,
    }
    return row


def fmt(v, kind):
    if v is None:
        return "-"
    if kind == "rps":
        return "{:,.0f}".format(v)
    if kind == "us":
        return "{:,.0f}".format(v)
    if kind == "cpu":
        return "{:.1f}".format(v)
    if kind == "mib":
        return "{:.1f}".format(v)
    if kind == "int":
        return "{:,d}".format(int(v))
    return str(v)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def table(rows, sizes, targets_for):
    out = []
    names = {"A": "A upstream direct (nginx return 200)",
             "B": "B nginx proxy_pass",
             "C": "C HAProxy 2.6 + hmac()",
             "H": "H hookgate verify+forward",
             "H2": "H2 hookgate + dedup + rate_limit",
             "Hlog": "H, audit log to a file",
             "Hnolog": "H, HOOKGATE_LOG=off",
             "Halt": "H, alternative binary (--hookgate-alt)"}
    label = {"small": "1.5 KiB", "64k": "64 KiB", "1m": "1 MiB"}
    for size in sizes:
        rs = [r for r in rows if r["size"] == size]
        if not rs:
            continue
        rounds = sorted(set(r["round"] for r in rs))
        out.append("\n### %s body (wrk -t1 -c32; median of %d round(s); ratio = target / B in the same round, median)\n" % (label[size], len(rounds)))
        out.append("| target | req/s | ×B | p50 µs | ×B | p99 µs | ×B | CPU µs/req | ×B | RSS MiB after load | ×B | errors / requests | upstream saw |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for t in targets_for(size):
            tr = [r for r in rs if r["target"] == t]
            if not tr:
                continue
            cells = ["%s" % names[t]]
            for key, kind in (("rps", "rps"), ("p50_us", "us"), ("p99_us", "us"), ("cpu_us_per_req", "cpu"), ("rss_mib", "mib")):
                cells.append(fmt(med([r[key] for r in tr]), kind))
                ratios = []
                for r in tr:
                    b = [x for x in rs if x["target"] == "B" and x["round"] == r["round"]]
                    if b and b[0][key]:
                        ratios.append(r[key] / b[0][key])
                m = med(ratios)
                cells.append("-" if m is None else "%.2f" % m)
            cells.append("%s / %s" % (fmt(sum(r["errors"] for r in tr), "int"), fmt(sum(r["requests"] for r in tr), "int")))
            cells.append(fmt(sum(r["upstream_seen"] for r in tr), "int"))
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--hookgate", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--n-small", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hookgate-alt", default=None,
                    help="a second hookgate binary (e.g. with a local change), measured as target Halt")
    ap.add_argument("--sizes", default=None, help="comma list of small,64k,1m")
    ap.add_argument("--targets", default=None, help="comma list for the 1.5 KiB body")
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (3 if args.quick else 10)
    sizes = (args.sizes or ("small" if args.quick else "small,64k,1m")).split(",")
    small_targets = (args.targets or ("A,B,C,H,H2" if args.quick else "A,B,C,H,H2,Hlog,Hnolog")).split(",")

    def targets_for(size):
        return small_targets if size == "small" else ["A", "B", "C", "H"]

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(cleanup)
    args.out = os.path.abspath(args.out)
    args.data = os.path.abspath(args.data)
    os.makedirs(args.out, exist_ok=True)
    workdir = os.path.join(args.out, "work")
    os.makedirs(workdir, exist_ok=True)

    up_port, status_port = free_port(), free_port()
    upstream = start_nginx(workdir, "nginx-upstream", upstream_conf(os.path.join(workdir, "nginx-upstream"), up_port, status_port), up_port)
    wait_port(status_port, upstream)

    rows = []
    raw_path = os.path.join(args.out, "raw.jsonl")
    with open(raw_path, "w") as raw:
        for rnd in range(1, args.rounds + 1):
            for size in sizes:
                for t in targets_for(size):
                    log("round %d/%d  %-5s  %-6s ..." % (rnd, args.rounds, size, t))
                    try:
                        row = measure(args, workdir, t, size, upstream, status_port, up_port, rnd)
                    except Exception as e:  # report, keep going
                        log("  FAILED: %s" % e)
                        row = {"round": rnd, "size": size, "target": t, "failed": str(e)}
                    raw.write(json.dumps(row) + "\n")
                    raw.flush()
                    if "failed" not in row:
                        rows.append(row)
                        log("  %8.0f req/s  p50 %5d µs  p99 %6d µs  cpu %6.1f µs/req  rss %5.1f MiB  idle %5.1f MiB  errors %d  upstream %d/%d" % (
                            row["rps"], row["p50_us"], row["p99_us"], row["cpu_us_per_req"], row["rss_mib"],
                            row["idle_rss_mib"], row["errors"], row["upstream_seen"], row["requests"]))
    idle = [r["idle_rss_mib"] for r in rows if r["target"] == "H"]
    md = []
    md.append("## Results %s\n" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    md.append("Machine: %s, nproc %d. wrk, the upstream nginx and the server under test share these cores." % (cpu_model(), os.cpu_count()))
    md.append("Mode: %s, %d round(s) × %d s per target, interleaved.\n" % ("quick" if args.quick else "full", args.rounds, args.duration))
    md.append(table(rows, sizes, targets_for))
    md.append("\nhookgate idle RSS after start (median of %d starts): %.1f MiB" % (len(idle), med(idle) or 0))
    failed = []
    with open(raw_path) as f:
        for line in f:
            r = json.loads(line)
            if "failed" in r:
                failed.append("%s/%s round %s: %s" % (r["size"], r["target"], r["round"], r["failed"].splitlines()[0]))
    if failed:
        md.append("\nFailed measurements:\n" + "\n".join("- " + x for x in failed))
    text = "\n".join(md) + "\n"
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(text)
    print(text)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
