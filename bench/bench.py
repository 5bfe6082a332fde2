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
  Hqalt  Hq with the binary given by --hookgate-alt (A/B of a queue change)
  Hqralt Hqr with the binary given by --hookgate-alt (A/B of a Redis queue change)
  H2r    H2 with [state] on a redis-server this script starts (loopback, no persistence)
  H2down H2r with Redis configured but not running (breaker open; local limit, forward)
  Hq     H with delivery = "queue" to A: measures the 202 acknowledgement (durable append)
  Hq-slow  Hq whose upstream answers after --slow-ms (bench/slow_upstream.py)
  Ht001  H with [tracing] sample_ratio = 0.01, exporting to bench/otlp_sink.py (OTLP/HTTP)
  Ht1    H with [tracing] sample_ratio = 1.0, same sink
  Ht1alt Ht1 with the binary given by --hookgate-alt (A/B of a tracing change)
  Hqr    H with delivery = "queue" on Redis Streams ([queue] backend = "redis", a redis-server
         this script starts with appendonly yes, appendfsync everysec): the 202 is the XADD
  Hqr-slow Hqr whose upstream answers after --slow-ms: a backlog builds up in Redis, whose
         used_memory per queued message (over the charged bytes) is reported
For each measurement the server under test (except A, which every proxy uses) is started fresh,
warmed up for 1 s, then loaded with wrk -t1 -c32 -dD. Figures: req/s, p50/p99, errors (non-200 +
socket errors + duplicates/id reuse), CPU µs per request (utime+stime of all its processes from
/proc, before/after), RSS after load (sum of VmRSS), and the upstream's request count (nginx
stub_status) to check that forwarding proxies really delivered every request. With any of
H2r/H2down/Hq/Hq-slow/Ht001/Ht1, a second table gives their cost against H2 / H (same-round differences),
and Redis's used_memory per key after each H2r run.
"""
import argparse
import atexit
import json
import os
import shutil
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


def tracing_conf(sink_port, ratio):
    """[tracing] to the benchmark's OTLP sink; a queue large enough that nothing is dropped, so
    every sampled span's cost is counted."""
    return """
[tracing]
endpoint = "http://127.0.0.1:{sink}"
sample_ratio = {ratio}
max_queue = 262144
max_batch = 2048
export_interval = "1s"
""".format(sink=sink_port, ratio=ratio)


def hookgate_conf(port, admin, up, redis_port=None, queue_dir=None, queue_up=None,
                  queue_redis=None):
    state = ""
    on_error_rl = on_error_dd = ""
    if redis_port is not None:
        state = '[state]\nurl = "redis://127.0.0.1:%d"\nprefix = "bench"\n' % redis_port
        on_error_rl, on_error_dd = ', on_store_error = "local"', ', on_store_error = "forward"'
    queue = ""
    if queue_dir is not None or queue_redis is not None:
        store = ('dir = "%s"' % queue_dir) if queue_dir is not None else (
            'backend = "redis"\nurl = "redis://127.0.0.1:%d"\nprefix = "benchq"' % queue_redis)
        # max_bytes well above what a run appends: a full queue would answer 503
        queue = """
[queue]
{store}
max_bytes = "64GiB"

[[route]]
name = "bench-queue"
path = "/hook-queue"
upstream = "http://127.0.0.1:{qup}/hook"
provider = "hmac"
secrets = ["{secret}"]
signature = {{ header = "X-Signature", algorithm = "sha256", encoding = "hex" }}
delivery = "queue"
""".format(store=store, qup=queue_up, secret=SECRET)
    return state + """
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
dedup = {{ ttl = "1h", id = "json:/id"{dd} }}
rate_limit = {{ per_second = 10000000.0, burst = 10000000{rl} }}
""".format(port=port, admin=admin, up=up, secret=SECRET, dd=on_error_dd, rl=on_error_rl) + queue


# ---------------------------------------------------------------- servers

class Server:
    def __init__(self, proc, port, path, label):
        self.proc, self.port, self.path, self.label = proc, port, path, label
        self.redis = None       # (proc, port) of the redis-server started for H2r
        self.queue_dir = None   # removed after the measurement
        self.ok_status = 200

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
        body = {"small": 1536, "16k": 16384, "64k": 65536, "100k": 102400, "1m": 1048576}[size]
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
    if target in ("H", "H2", "Hlog", "Hnolog", "Halt", "H2r", "H2down", "Hq", "Hqalt", "Hq-slow",
                  "Hqr", "Hqralt", "Hqr-slow", "Ht001", "Ht1", "Ht1alt"):
        admin = free_port()
        d = os.path.join(workdir, "hookgate")
        os.makedirs(d, exist_ok=True)
        redis = None
        redis_port = queue_dir = None
        if target == "H2r":
            redis = start_redis(workdir)
            redis_port = redis[1]
        elif target == "H2down":
            redis_port = free_port()  # nothing listens there
        queue_redis = None
        if target in ("Hqr", "Hqralt", "Hqr-slow"):
            redis = start_redis(workdir, aof=True)
            queue_redis = redis[1]
        if target in ("Hq", "Hqalt", "Hq-slow"):
            queue_dir = os.path.join(workdir, "queue")
            shutil.rmtree(queue_dir, ignore_errors=True)
        queue_up = args.slow_port if target in ("Hq-slow", "Hqr-slow") else up_port
        conf = os.path.join(d, "gateway-%s.toml" % target)
        with open(conf, "w") as f:
            f.write(hookgate_conf(port, admin, up_port, redis_port, queue_dir, queue_up, queue_redis))
            if target in ("Ht001", "Ht1", "Ht1alt"):
                f.write(tracing_conf(args.sink_port, {"Ht001": 0.01, "Ht1": 1.0, "Ht1alt": 1.0}[target]))
        env = dict(os.environ)
        env.pop("HOOKGATE_LOG", None)
        if target == "Hnolog":
            env["HOOKGATE_LOG"] = "off"
        out = subprocess.DEVNULL
        if target == "Hlog":
            out = open(os.path.join(d, "audit.log"), "w")
        err = open(os.path.join(d, "stderr.log"), "a")
        binary = args.hookgate_alt if target in ("Halt", "Hqalt", "Hqralt", "Ht1alt") else args.hookgate
        p = spawn([binary, "run", "-c", conf], out, err, env=env)
        wait_port(port, p)
        path = {"H2": "/hook-dedup", "H2r": "/hook-dedup", "H2down": "/hook-dedup",
                "Hq": "/hook-queue", "Hqalt": "/hook-queue", "Hq-slow": "/hook-queue", "Hqr": "/hook-queue", "Hqralt": "/hook-queue",
                "Hqr-slow": "/hook-queue"}.get(target, "/hook")
        srv = Server(p, port, path, target)
        srv.redis, srv.queue_dir = redis, queue_dir
        if queue_dir is not None or queue_redis is not None:
            srv.ok_status = 202
        return srv
    raise ValueError(target)


def start_redis(workdir, aof=False):
    """A throw-away redis-server on loopback: no RDB, no AOF (or AOF with appendfsync
    everysec, no rewrites), its own directory."""
    port = free_port()
    d = os.path.join(workdir, "redis-%d" % port)
    os.makedirs(d, exist_ok=True)
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec",
                   "--auto-aof-rewrite-percentage", "0"] if aof else ["--appendonly", "no"]
    p = spawn(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--dir", d, "--logfile", os.path.join(d, "redis.log")] + persistence,
              subprocess.DEVNULL, subprocess.DEVNULL)
    wait_port(port, p)
    return p, port


def redis_memory(port):
    """(used_memory bytes, DBSIZE) from redis-cli."""
    def cli(*cmd):
        return subprocess.run(["redis-cli", "-p", str(port)] + list(cmd), capture_output=True,
                              text=True, timeout=10, check=True).stdout
    used = [l for l in cli("INFO", "memory").splitlines() if l.startswith("used_memory:")]
    return int(used[0].split(":")[1]), int(cli("DBSIZE").strip())


def redis_backlog(port):
    """Messages waiting in the bench queue's stream (Hqr targets)."""
    out = subprocess.run(["redis-cli", "-p", str(port), "XLEN", "{benchq:bench-queue}:s"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    return int(out.strip() or 0)


def start_slow_upstream(workdir, delay_ms):
    port = free_port()
    err = open(os.path.join(workdir, "slow-upstream.stderr.log"), "a")
    p = spawn([sys.executable, os.path.join(HERE, "slow_upstream.py"), str(port), str(delay_ms)],
              subprocess.DEVNULL, err)
    wait_port(port, p)
    return p, port


def start_otlp_sink(workdir):
    port = free_port()
    err = open(os.path.join(workdir, "otlp-sink.stderr.log"), "a")
    p = spawn([sys.executable, os.path.join(HERE, "otlp_sink.py"), str(port)], subprocess.DEVNULL, err)
    wait_port(port, p)
    return p, port


def wrk(args, url, size, duration, start, ok_status=200):
    lua = os.path.join(HERE, "post.lua")
    if size == "small":
        extra = ["cycle", args.data, str(start)]
    else:
        extra = ["fixed", os.path.join(args.data, "body_%s.json" % size),
                 os.path.join(args.data, "body_%s.sig" % size)]
    cmd = ["wrk", "-t1", "-c%d" % args.connections, "-d%ds" % duration, "--latency",
           "--timeout", "10s", "-s", lua, url, "--"] + extra
    env = dict(os.environ, BENCH_OK_STATUS=str(ok_status))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, env=env)
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
        mem0 = redis_memory(srv.redis[1]) if srv.redis else None
        # ids: warm-up uses [0, ...), the measured run starts far above it
        warm, _ = wrk(args, url, size, 1, 0, srv.ok_status)
        time.sleep(0.2)
        pids = srv.pids()
        up0 = upstream_count(status_port)
        c0 = cpu_ticks(pids)
        r0 = cpu_ticks([srv.redis[0].pid]) if srv.redis else 0
        res, raw = wrk(args, url, size, args.duration, args.n_small // 5, srv.ok_status)
        c1 = cpu_ticks(pids)
        r1 = cpu_ticks([srv.redis[0].pid]) if srv.redis else 0
        rss = rss_kib(srv.pids())
        up1 = upstream_count(status_port)
        mem1 = redis_memory(srv.redis[1]) if srv.redis else None
        backlog = redis_backlog(srv.redis[1]) if target in ("Hqr", "Hqralt", "Hqr-slow") else None
        alive = srv.proc.poll() is None
    finally:
        if fresh:
            stop(srv.proc)
        if srv.redis:
            stop(srv.redis[0])
        if srv.queue_dir:
            shutil.rmtree(srv.queue_dir, ignore_errors=True)
    reqs = res["requests"]
    sock_err = res["connect_err"] + res["read_err"] + res["write_err"] + res["timeout_err"]
    upstream_seen = up1 - up0 - 1  # minus the status request itself
    dedup = target in ("H2", "H2r", "H2down")
    errors = res["non200"] + sock_err + res["duplicates"] + (reqs if res["wraps"] and dedup else 0)
    # acknowledged before delivery: the upstream lags
    queued = target in ("Hq", "Hqalt", "Hq-slow", "Hqr", "Hqralt", "Hqr-slow")
    if target != "A" and not queued and upstream_seen < reqs - res["non200"]:
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
    if mem1 is not None:
        row["redis_keys"] = mem1[1]
        row["redis_bytes_per_key"] = (mem1[0] - mem0[0]) / max(mem1[1] - mem0[1], 1)
        row["redis_cpu_us_per_req"] = (r1 - r0) * 1e6 / CLK / max(reqs, 1)
    if backlog:
        row["redis_backlog"] = backlog
        row["redis_bytes_per_queued"] = (mem1[0] - mem0[0]) / backlog
    if target in ("Hq-slow", "Hqr-slow"):
        row["upstream_seen"] = None  # the slow upstream is not the counted nginx
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
    if kind == "ms":
        return "{:+.2f}".format(v)
    if kind == "int":
        return "{:,d}".format(int(v))
    return str(v)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def table(rows, sizes, targets_for, connections=32):
    out = []
    names = {"A": "A upstream direct (nginx return 200)",
             "B": "B nginx proxy_pass",
             "C": "C HAProxy 2.6 + hmac()",
             "H": "H hookgate verify+forward",
             "H2": "H2 hookgate + dedup + rate_limit",
             "Hlog": "H, audit log to a file",
             "Hnolog": "H, HOOKGATE_LOG=off",
             "Halt": "H, alternative binary (--hookgate-alt)",
             "Hqalt": "Hq, alternative binary (--hookgate-alt)",
             "Hqralt": "Hqr, alternative binary (--hookgate-alt)"}
    names.update(NAMES)
    for size in sizes:
        rs = [r for r in rows if r["size"] == size]
        if not rs:
            continue
        rounds = sorted(set(r["round"] for r in rs))
        out.append("\n### %s body (wrk -t1 -c%d; median of %d round(s); ratio = target / B in the same round, median)\n" % (LABEL[size], connections, len(rounds)))
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
            seen = [r["upstream_seen"] for r in tr if r["upstream_seen"] is not None]
            cells.append(fmt(sum(seen), "int") if seen else "-")
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


NAMES = {"H2r": "H2 with [state] on Redis (loopback)",
         "H2down": "H2 with [state], Redis down (breaker open)",
         "Hq": "H with delivery = \"queue\" (202 ack)",
         "Hq-slow": "Hq, upstream answering after --slow-ms",
         "Hqr": "H with delivery = \"queue\" on Redis (AOF everysec)",
         "Hqr-slow": "Hqr, upstream answering after --slow-ms",
         "Ht001": "H with [tracing] sample_ratio = 0.01",
         "Ht1": "H with [tracing] sample_ratio = 1.0",
         "Ht1alt": "Ht1, alternative binary (--hookgate-alt)"}
LABEL = {"small": "1.5 KiB", "16k": "16 KiB", "64k": "64 KiB", "100k": "100 KiB", "1m": "1 MiB"}
# (target, its baseline): the cost of shared state / queued delivery, measured in the same round
PAIRS = (("H2r", "H2"), ("H2down", "H2"), ("Hq", "H"), ("Hqalt", "H"), ("Hq", "Hqalt"), ("Hq-slow", "Hq"), ("Hqr", "H"), ("Hqralt", "H"), ("Hqr", "Hqralt"),
         ("Hqr", "Hq"), ("Hqr-slow", "Hqr"), ("Ht001", "H"), ("Ht1", "H"),
         ("Ht1alt", "Halt"), ("Ht1", "Ht1alt"))


def pairs_table(rows, sizes):
    """Same-round differences of each target in PAIRS to its baseline, median over rounds."""
    out = ["\n### Shared state and queued delivery against their baseline (same round; median over rounds)\n",
           "| body | target | baseline | req/s (×base) | p50 ms | added p50 ms | p99 ms | added p99 ms | CPU µs/req (×base) | errors / requests |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    n = 0
    for size in sizes:
        for t, b in PAIRS:
            tr = [r for r in rows if r["size"] == size and r["target"] == t]
            by_round = {r["round"]: r for r in rows if r["size"] == size and r["target"] == b}
            both = [(r, by_round[r["round"]]) for r in tr if r["round"] in by_round]
            if not both:
                continue
            n += 1
            out.append("| %s | %s | %s | %s (%.2f) | %.2f | %s | %.2f | %s | %s (%.2f) | %s / %s |" % (
                LABEL[size], t, b,
                fmt(med([r["rps"] for r, _ in both]), "rps"), med([r["rps"] / x["rps"] for r, x in both]),
                med([r["p50_us"] for r, _ in both]) / 1e3, fmt(med([(r["p50_us"] - x["p50_us"]) / 1e3 for r, x in both]), "ms"),
                med([r["p99_us"] for r, _ in both]) / 1e3, fmt(med([(r["p99_us"] - x["p99_us"]) / 1e3 for r, x in both]), "ms"),
                fmt(med([r["cpu_us_per_req"] for r, _ in both]), "cpu"),
                med([r["cpu_us_per_req"] / x["cpu_us_per_req"] for r, x in both]),
                fmt(sum(r["errors"] for r, _ in both), "int"), fmt(sum(r["requests"] for r, _ in both), "int")))
    redis = [r for r in rows if "redis_bytes_per_key" in r and r["target"] == "H2r"]
    queued = [r for r in rows if "redis_bytes_per_queued" in r]
    if queued:
        out.append("\nRedis queue (%s): used_memory delta / messages left in the stream, per run: %s "
                   "bytes per queued message (%s messages; the charged size is the body plus ~0.5 KiB "
                   "of head)." % (
                       ", ".join(sorted(set(r["target"] for r in queued))),
                       ", ".join("%s: %.0f" % (LABEL[r["size"]], r["redis_bytes_per_queued"]) for r in queued),
                       ", ".join(fmt(r["redis_backlog"], "int") for r in queued)))
    if redis:
        out.append("\nRedis (H2r): used_memory delta / keys added, per run: %s bytes per key (%s keys at the end "
                   "of each run); redis-server CPU %s µs per request (median), besides hookgate's." % (
                       ", ".join("%.0f" % r["redis_bytes_per_key"] for r in redis),
                       ", ".join(fmt(r["redis_keys"], "int") for r in redis),
                       fmt(med([r["redis_cpu_us_per_req"] for r in redis]), "cpu")))
    return "\n".join(out) if n or redis or queued else ""


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
    ap.add_argument("--big-targets", default="A,B,C,H",
                    help="comma list for the other body sizes (e.g. H,Hq,Hq-slow for 16k,100k)")
    ap.add_argument("--slow-ms", type=int, default=200,
                    help="Hq-slow: the upstream answers after this many ms")
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (3 if args.quick else 10)
    sizes = (args.sizes or ("small" if args.quick else "small,64k,1m")).split(",")
    small_targets = (args.targets or ("A,B,C,H,H2" if args.quick else "A,B,C,H,H2,Hlog,Hnolog")).split(",")

    def targets_for(size):
        return small_targets if size == "small" else args.big_targets.split(",")

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
    args.slow_port = None
    if any(t in targets_for(s) for s in sizes for t in ("Hq-slow", "Hqr-slow")):
        args.slow_port = start_slow_upstream(workdir, args.slow_ms)[1]
    args.sink_port = None
    if any(t in targets_for(s) for s in sizes for t in ("Ht001", "Ht1", "Ht1alt")):
        args.sink_port = start_otlp_sink(workdir)[1]

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
                        log("  %8.0f req/s  p50 %5d µs  p99 %6d µs  cpu %6.1f µs/req  rss %5.1f MiB  idle %5.1f MiB  errors %d  upstream %s/%d" % (
                            row["rps"], row["p50_us"], row["p99_us"], row["cpu_us_per_req"], row["rss_mib"],
                            row["idle_rss_mib"], row["errors"], row["upstream_seen"], row["requests"]))
    idle = [r["idle_rss_mib"] for r in rows if r["target"] == "H"]
    md = []
    md.append("## Results %s\n" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    md.append("Machine: %s, nproc %d. wrk, the upstream nginx and the server under test share these cores." % (cpu_model(), os.cpu_count()))
    md.append("Mode: %s, %d round(s) × %d s per target, interleaved.\n" % ("quick" if args.quick else "full", args.rounds, args.duration))
    md.append(table(rows, sizes, targets_for, args.connections))
    md.append(pairs_table(rows, sizes))
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
