#!/usr/bin/env python3
"""A slow upstream for the queued-delivery benchmark (target Hq-slow): answers every request with
200 after DELAY_MS milliseconds, keep-alive, one thread per connection.

    python3 bench/slow_upstream.py PORT DELAY_MS
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            chunk = self.rfile.read(min(n, 65536))
            if not chunk:
                return
            n -= len(chunk)
        time.sleep(DELAY)
        body = b'{"ok":true}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


if __name__ == "__main__":
    PORT, DELAY = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", PORT), Slow).serve_forever()
