#!/usr/bin/env python3
"""A backend that answers whatever status STATUS_FILE holds (200 when it
is unreadable), for tests, the demo and the bench of the breakers: they
flip it between 200 and 500 with `echo 500 >STATUS_FILE`.  Every request
it answers is one line "STATUS PATH" in LOG_FILE (its own access log, to
show what got past the edge), and every answer names it in X-Backend.

    flip_backend.py PORT STATUS_FILE LOG_FILE     (listens on 127.0.0.1)
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, status, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with open(status) as f:
                code = int(f.read().strip())
        except (OSError, ValueError):
            code = 200
        with open(log, "a") as f:
            f.write("%d %s\n" % (code, self.path))
        body = b"flip %d\n" % code
        self.send_response(code)
        self.send_header("X-Backend", "flip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
