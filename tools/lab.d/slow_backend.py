#!/usr/bin/env python3
"""A backend that answers 200 after a delay: GET /...?ms=N waits N ms
(default 1000).  The lab starts it in the gateway's namespace on
127.0.0.1:8084 behind nginx (backends.conf.in), one thread per request."""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        ms = int(q.get("ms", ["1000"])[0])
        time.sleep(ms / 1000)
        body = b"backend slow %d ms\n" % ms
        self.send_response(200)
        self.send_header("X-Backend", "slow")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
