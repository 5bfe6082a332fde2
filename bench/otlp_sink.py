#!/usr/bin/env python3
"""A stand-in OpenTelemetry collector for the tracing benchmark: accepts OTLP/HTTP exports
(POST /v1/traces) and answers 200 with an empty body (an empty ExportTraceServiceResponse), after
reading the body. It counts requests and bytes and prints them on SIGTERM. Its CPU is not the
gateway's: bench.py measures only the gateway's processes.

    otlp_sink.py PORT
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = {"requests": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        self.rfile.read(n)
        COUNT["requests"] += 1
        COUNT["bytes"] += n
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)

    def stop(*_):
        print("otlp sink: %(requests)d exports, %(bytes)d bytes" % COUNT, file=sys.stderr, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
