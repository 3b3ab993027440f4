#!/usr/bin/python3
"""A canned twitterapi.io for bench/run: answers at once, for any ids.

  fast_upstream.py --port 0 --api-key KEY --template TWEET.json [--likes N]

GET /twitter/tweets?tweet_ids=ID1,ID2,... (header X-API-Key) answers every
asked id with a copy of the template Tweet object (a real one, from the
twitterapi stand-in) carrying that id and likeCount = N, so a lot of any
size is fetched without the stand-in's per-tweet Python work. Prints
"ready <port>". GET /_bench/stats gives the calls served and the time spent
serving them (from the parsed request to the last byte written), which
bench/run subtracts from a lot's time to get our own.
"""
import argparse
import json
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ID_MARK = "@@ID@@"


class State:
    def __init__(self, template, api_key):
        pre, post = template.split('"%s"' % ID_MARK, 1)
        self.pre, self.post = pre.encode(), post.encode()
        self.api_key = api_key
        self.lock = threading.Lock()
        self.calls = self.ids = 0
        self.ns = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as libcurl expects

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status, body):
        # Head and body in one write: written apart, Nagle's algorithm and the
        # client's delayed ACK held the body back 40 ms, a wait our server-side
        # timer did not see.
        head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (status, "OK" if status == 200 else "Error", len(body))).encode()
        self.wfile.write(head + body)
        self.wfile.flush()

    def do_GET(self):
        t0 = time.perf_counter_ns()
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_bench/stats":
            with st.lock:
                body = json.dumps({"calls": st.calls, "ids": st.ids, "ns": st.ns}).encode()
            return self._send(200, body)
        if url.path != "/twitter/tweets":
            return self._send(404, b'{"detail":"not found"}')
        if self.headers.get("X-API-Key") != st.api_key:
            return self._send(401, b'{"detail":"invalid api key"}')
        q = urllib.parse.parse_qs(url.query)
        ids = [i for i in (q.get("tweet_ids", [""])[0]).split(",") if i]
        parts = []
        for i in dict.fromkeys(ids):
            parts.append(st.pre + b'"' + i.encode() + b'"' + st.post)
        body = b'{"tweets":[' + b",".join(parts) + b'],"status":"success","msg":"success","code":0}'
        self._send(200, body)
        dt = time.perf_counter_ns() - t0
        with st.lock:
            st.calls += 1
            st.ids += len(ids)
            st.ns += dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--template", required=True, help="one Tweet object (JSON file)")
    ap.add_argument("--likes", type=int, default=1000)
    a = ap.parse_args()
    with open(a.template) as f:
        tw = json.load(f)
    tw["id"] = ID_MARK
    tw["likeCount"] = a.likes
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(json.dumps(tw, separators=(",", ":")), a.api_key)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
