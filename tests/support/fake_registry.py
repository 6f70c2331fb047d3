#!/usr/bin/env python3
"""A registry that only asks for credentials: every request without an Authorization header
gets 401 with a Basic challenge (as a registry behind `docker login` does); every request
with one has the header appended to LOG and gets 404 (no such manifest). Tests use it to
see which credentials the engine sends for a pull.

Usage: fake_registry.py PORT LOG
"""
import http.server
import sys

port, log = int(sys.argv[1]), sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        auth = self.headers.get("Authorization")
        if auth is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="varan-test"')
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        else:
            with open(log, "a") as f:
                f.write(auth + "\n")
            self.send_response(404)
            body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
