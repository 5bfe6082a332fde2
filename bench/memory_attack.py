#!/usr/bin/env python3
"""Gateway RSS under the slow-body attack of issue 10 item 8, before/after, in one run.

N connections each announce a `Content-Length: 1 MiB` body, send 1 MiB - 1 byte of it (no valid
signature needed) and wait. The gateway's RSS is read from /proc while they wait, and again after
they all close. Each binary is measured in turn, with the same config, on 127.0.0.1.

    bench/memory_attack.py --before OLD_BINARY --after NEW_BINARY [--conns 300]
    bench/memory_attack.py --after target/dist/hookgate --limit 64MiB   # a smaller budget

Prints one Markdown table; figures are MiB of VmRSS and counts of answers (503 = refused by
`body_memory_limit` before its body was read).
"""
import argparse
import os
import socket
import subprocess
import tempfile
import threading
import time

BODY = 1024 * 1024


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def settle(pid, seconds):
    """RSS once it stops moving (or after `seconds`)."""
    last, until = rss_mib(pid), time.time() + seconds
    while time.time() < until:
        time.sleep(0.5)
        now = rss_mib(pid)
        if abs(now - last) < 0.5:
            return now
        last = now
    return last


def start(binary, limit, workdir):
    port, admin = free_port(), free_port()
    server_extra = f'body_memory_limit = "{limit}"\n' if limit else ""
    config = os.path.join(workdir, f"gw-{port}.toml")
    with open(config, "w") as f:
        f.write(
            f'[server]\nlisten = "127.0.0.1:{port}"\nadmin_listen = "127.0.0.1:{admin}"\n'
            f'max_body = "1MiB"\nread_timeout = "60s"\n{server_extra}\n'
            f'[[route]]\nname = "r"\npath = "/hook"\nupstream = "http://127.0.0.1:9/"\n'
            f'provider = "hmac"\nsecrets = ["s"]\n'
            f'signature = {{ header = "X-Sig", algorithm = "sha256", encoding = "hex" }}\n'
        )
    err = open(os.path.join(workdir, f"gw-{port}.stderr"), "w")
    proc = subprocess.Popen([binary, "run", "-c", config], stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, port


def attack(port, conns):
    socks, answers, lock = [], {}, threading.Lock()
    head = (
        f"POST /hook HTTP/1.1\r\nHost: x\r\nX-Sig: 00\r\nContent-Length: {BODY}\r\n\r\n"
    ).encode()
    payload = b"a" * (BODY - 1)

    def one():
        s = socket.create_connection(("127.0.0.1", port))
        with lock:
            socks.append(s)
        try:
            s.sendall(head)
            s.sendall(payload)
        except OSError:
            pass
        s.settimeout(0.5)
        try:
            data = s.recv(64)
            status = data.split(b" ")[1].decode() if data else "closed"
        except socket.timeout:
            status = "waiting"
        except OSError:
            status = "reset"
        with lock:
            answers[status] = answers.get(status, 0) + 1

    threads = [threading.Thread(target=one) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return socks, answers


def measure(label, binary, limit, conns, workdir):
    proc, port = start(binary, limit, workdir)
    try:
        idle = settle(proc.pid, 3)
        socks, answers = attack(port, conns)
        during = settle(proc.pid, 10)
        for s in socks:
            s.close()
        after = settle(proc.pid, 10)
        time.sleep(5)
        later = rss_mib(proc.pid)
        return label, idle, during, after, later, answers
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="the pre-change binary")
    ap.add_argument("--after", required=True, help="the binary under test")
    ap.add_argument("--conns", type=int, default=300)
    ap.add_argument("--limit", action="append", default=[],
                    help="body_memory_limit for --after (repeatable; default: the built-in)")
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        if args.before:
            runs.append(measure("before", args.before, None, args.conns, workdir))
        runs.append(measure("after (default 256MiB)", args.after, None, args.conns, workdir))
        for limit in args.limit:
            runs.append(measure(f"after ({limit})", args.after, limit, args.conns, workdir))
    print(f"{args.conns} connections x (1 MiB - 1 byte) of a 1 MiB body; VmRSS in MiB\n")
    print("| binary | idle | under attack | 10 s after close | 15 s after close | answers |")
    print("|---|---:|---:|---:|---:|---|")
    for label, idle, during, after, later, answers in runs:
        ans = ", ".join(f"{k}: {v}" for k, v in sorted(answers.items()))
        print(f"| {label} | {idle:.1f} | {during:.1f} | {after:.1f} | {later:.1f} | {ans} |")


if __name__ == "__main__":
    main()
