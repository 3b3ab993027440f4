"""Shared plumbing for the project's protocol stand-ins (stdlib only).

A threaded HTTP/1.1 server bound to 127.0.0.1, a request handler base class
with body reading, JSON answers and one stderr line per request, and a run
loop that prints "ready <port>" once listening and exits cleanly on
SIGTERM/SIGINT.  Used by qstash.py and twitterapi.py.
"""

import json
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 16 * 1024 * 1024


class StandinServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a deeper accept queue and a back-pointer to
    the stand-in state object (handlers reach it as self.server.app)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port, handler_cls, app, host="127.0.0.1"):
        self.app = app
        super().__init__((host, port), handler_cls)

    @property
    def port(self):
        return self.server_address[1]


def log_line(name, text):
    """One line on stderr, prefixed with the stand-in's name and a UTC time."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    try:
        sys.stderr.write("%s.%03dZ %s %s\n" % (stamp, int(now * 1000) % 1000, name, text))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class BodyError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class StandinHandler(BaseHTTPRequestHandler):
    """Base handler: subclasses implement route(method, path, query)."""

    protocol_version = "HTTP/1.1"
    standin_name = "standin"
    server_version = "standin/1.0"
    sys_version = ""

    # --- plumbing -------------------------------------------------------
    def _dispatch(self, method):
        self._t0 = time.monotonic()
        self._logged = False
        # One handler object serves every request of a keep-alive connection:
        # the body cached by read_body belongs to this request only.
        self._body = None
        # http.server collapses a leading "//" in self.path; route on the raw
        # request-target so that a base URL with a trailing "/" is visible (404).
        parts = (self.requestline or "").split(" ")
        if len(parts) >= 2 and parts[1].startswith("/"):
            self.path = parts[1]
        path, _, query = self.path.partition("?")
        try:
            self.route(method, path, query)
        except BodyError as e:
            self.send_json(e.status, self.error_body(e.message))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.log_event("client went away")
        except Exception:  # pragma: no cover - a stand-in bug
            log_line(self.standin_name, "handler error:\n" + traceback.format_exc())
            try:
                self.send_json(500, self.error_body("stand-in internal error"))
            except OSError:
                self.close_connection = True

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def route(self, method, path, query):  # pragma: no cover - abstract
        self.send_json(404, self.error_body("not found"))

    def error_body(self, message):
        return {"error": message}

    # --- request body ---------------------------------------------------
    def read_body(self, limit=MAX_BODY):
        """Read the raw request body (Content-Length or chunked)."""
        if getattr(self, "_body", None) is not None:
            return self._body
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise BodyError(400, "truncated chunked body")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > limit:
                    self.close_connection = True
                    raise BodyError(413, "body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            self._body = b"".join(chunks)
            return self._body
        length = self.headers.get("Content-Length")
        if not length:
            self._body = b""
            return self._body
        try:
            n = int(length)
        except ValueError:
            self.close_connection = True
            raise BodyError(400, "bad Content-Length")
        if n < 0 or n > limit:
            self.close_connection = True
            raise BodyError(413, "body too large")
        self._body = self.rfile.read(n)
        return self._body

    def read_json(self, default=None):
        raw = self.read_body()
        if not raw.strip():
            return default
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise BodyError(400, "invalid JSON body: %s" % e)

    # --- answers ----------------------------------------------------------
    def send_bytes(self, status, data, content_type="application/json", headers=None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_bytes(status, data, "application/json", headers)

    def drop_connection(self):
        """Close the connection without writing any answer."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        self.log_event("dropped connection without answer")

    # --- logging ---------------------------------------------------------
    def log_request(self, code="-", size="-"):
        ms = (time.monotonic() - getattr(self, "_t0", time.monotonic())) * 1000.0
        self._logged = True
        log_line(self.standin_name, '%s "%s %s" %s %.1fms'
                 % (self.client_address[0], self.command, self.log_path(), code, ms))

    def log_event(self, what):
        ms = (time.monotonic() - getattr(self, "_t0", time.monotonic())) * 1000.0
        log_line(self.standin_name, '%s "%s %s" %s %.1fms'
                 % (self.client_address[0], self.command, self.log_path(), what, ms))

    def log_path(self):
        p = self.path or ""
        return p if len(p) <= 300 else p[:300] + "...(%d chars)" % len(p)

    def log_message(self, fmt, *args):
        log_line(self.standin_name, fmt % args)


def parse_query(query):
    from urllib.parse import parse_qs
    return parse_qs(query, keep_blank_values=True)


def run_forever(httpd, name, on_stop=None):
    """Serve until SIGTERM/SIGINT; print 'ready <port>' once listening."""
    stop = threading.Event()

    def _on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         name=name + "-http", daemon=True)
    t.start()
    log_line(name, "listening on 127.0.0.1:%d" % httpd.port)
    sys.stdout.write("ready %d\n" % httpd.port)
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    log_line(name, "stopping")
    httpd.shutdown()
    httpd.server_close()
    if on_stop:
        on_stop()
    log_line(name, "stopped")
    return 0
