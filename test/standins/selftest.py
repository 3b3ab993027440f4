#!/usr/bin/python3
"""Self-test of the QStash and twitterapi.io stand-ins (stdlib only).

Starts both stand-ins as subprocesses on free ports plus a tiny in-process
receiver, and checks the wire behaviour the product relies on.

    /usr/bin/python3 test/standins/selftest.py [-v] [unittest args]

Set ET_QSTASH_VECTORS=/path/to/qstash-signature-vectors.json to also check
that the stand-in's signer reproduces the reference tokens byte for byte.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import qstash  # noqa: E402  (importable module, used for helpers and in-process checks)
import twitterapi  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TOKEN = qstash.DEV_TOKEN
CUR = qstash.DEV_CURRENT_KEY
NXT = qstash.DEV_NEXT_KEY
API_KEY = "selftest-api-key-%s" % uuid.uuid4().hex[:8]
CREATED_AT_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                           r"Oct|Nov|Dec) \d\d \d\d:\d\d:\d\d \+0000 \d{4}$")

QS = None  # base URL of the QStash stand-in
TW = None  # base URL of the twitterapi stand-in
RECV = None  # the receiver
PROCS = []


# --------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------
class StandinProcess:
    def __init__(self, script, args):
        self.log = tempfile.NamedTemporaryFile(prefix="standin-%s-" % script.split(".")[0],
                                               suffix=".log", delete=False)
        self.proc = subprocess.Popen([PY, os.path.join(HERE, script), "--port", "0"] + args,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        line = []
        t = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(10)
        if not line or not line[0].startswith(b"ready "):
            self.proc.kill()
            raise RuntimeError("%s did not become ready: %r\n%s" % (script, line, self.tail()))
        self.port = int(line[0].split()[1])
        self.url = "http://127.0.0.1:%d" % self.port
        self.name = script

    def tail(self, n=80):
        try:
            with open(self.log.name, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


class Receiver:
    """Records every request; answers from a per-path plan of responses."""

    def __init__(self):
        self.cond = threading.Condition()
        self.requests = []
        self.plans = {}  # path (without query) -> list of (status, headers, delay)
        recv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                path = self.path.split("?")[0]
                with recv.cond:
                    recv.requests.append({"method": self.command, "path": self.path,
                                          "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body, "t": time.time()})
                    plan = recv.plans.get(path) or []
                    status, headers, delay = plan.pop(0) if plan else (200, {}, 0)
                    recv.cond.notify_all()
                if delay:
                    time.sleep(delay)
                out = b'{"ok":true}'
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    self.close_connection = True

            do_PUT = do_POST

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def new_path(self, plan=None):
        p = "/r/" + uuid.uuid4().hex[:12]
        if plan:
            with self.cond:
                self.plans[p] = list(plan)
        return p

    def got(self, path):
        with self.cond:
            return [r for r in self.requests if r["path"].split("?")[0] == path]

    def wait(self, path, n, timeout=5.0):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                got = [r for r in self.requests if r["path"].split("?")[0] == path]
                if len(got) >= n:
                    return got
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("receiver got %d/%d requests on %s" % (len(got), n, path))
                self.cond.wait(left)


def call(method, url, body=None, headers=None, timeout=5.0):
    """-> (status, headers dict lower-case, body bytes)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
    elif isinstance(body, str):
        body = body.encode("utf-8")
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def jcall(method, url, body=None, headers=None, timeout=5.0):
    s, h, b = call(method, url, body, headers, timeout)
    return s, json.loads(b.decode("utf-8")) if b else None


def wait_until(pred, timeout=5.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token, key, body, url):
    """Independent verifier (what the product must do). Returns claims or raises."""
    h, p, s = token.split(".")
    mac = hmac.new(key.encode("utf-8"), (h + "." + p).encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(mac, b64url_decode(s)):
        raise ValueError("bad signature")
    header = json.loads(b64url_decode(h))
    if header != {"alg": "HS256", "typ": "JWT"}:
        raise ValueError("bad header %r" % header)
    c = json.loads(b64url_decode(p))
    now = time.time()
    want_body = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode()
    if c["iss"] != "Upstash" or c["sub"] != url or c["exp"] < now or c["nbf"] > now:
        raise ValueError("bad claims %r" % c)
    if c["body"].rstrip("=") != want_body.rstrip("="):
        raise ValueError("bad body hash")
    return c


def setUpModule():
    global QS, TW, RECV
    q = StandinProcess("qstash.py", ["--time-scale", "0.001", "--retry-backoff", "0.2",
                                     "--max-retry-after", "0.3", "--delivery-timeout", "1"])
    PROCS.append(q)
    t = StandinProcess("twitterapi.py", ["--api-key", API_KEY, "--seed", "7",
                                         "--slow-seconds", "0.4"])
    PROCS.append(t)
    QS, TW = q.url, t.url
    RECV = Receiver()


def tearDownModule():
    codes = {p.name: p.stop() for p in PROCS}
    if RECV is not None:
        RECV.httpd.shutdown()
        RECV.httpd.server_close()
    bad = {k: v for k, v in codes.items() if v != 0}
    if bad:
        raise AssertionError("stand-ins did not exit cleanly on SIGTERM: %r" % bad)


# --------------------------------------------------------------------------
# QStash
# --------------------------------------------------------------------------
class QStashTest(unittest.TestCase):
    def setUp(self):
        s, _ = jcall("POST", QS + "/_standin/reset", {})
        self.assertEqual(s, 200)

    def publish(self, dest, body=b"{}", headers=None, token=TOKEN):
        h = {"Content-Type": "application/json"}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        return jcall("POST", QS + "/v2/publish/" + dest, body, h)

    def message(self, mid):
        return jcall("GET", QS + "/_standin/messages/" + mid)[1]

    def stats(self):
        return jcall("GET", QS + "/_standin/stats")[1]

    def test_publish_and_signed_delivery(self):
        path = RECV.new_path()
        dest = RECV.url + path + "?x=1"
        body = json.dumps({"lotId": "lot_1_ab", "tweetDbIds": [1, 2], "updateNumber": 1,
                           "zoneId": 3, "note": "é 🚀"}, ensure_ascii=False).encode("utf-8")
        s, j = self.publish(dest, body, {"Upstash-Forward-X-Trace": "t-1"})
        self.assertEqual(s, 200)
        self.assertEqual(list(j), ["messageId"])
        self.assertTrue(j["messageId"].startswith("msg_"))
        r = RECV.wait(path, 1)[0]
        self.assertEqual(r["method"], "POST")
        self.assertEqual(r["path"], path + "?x=1")
        self.assertEqual(r["body"], body)
        h = r["headers"]
        self.assertEqual(h["upstash-message-id"], j["messageId"])
        self.assertEqual(h["upstash-retried"], "0")
        self.assertEqual(h["user-agent"], "Upstash-QStash")
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(h["x-trace"], "t-1")
        self.assertNotIn("authorization", h)
        tok = h["upstash-signature"]
        c = verify_jwt(tok, CUR, body, dest)
        self.assertEqual(list(c), ["iss", "sub", "exp", "nbf", "iat", "jti", "body"])
        self.assertEqual(c["nbf"], 0)
        self.assertLess(abs(c["iat"] - time.time()), 5)
        self.assertEqual(c["exp"], c["iat"] + 300)
        self.assertTrue(c["jti"])
        self.assertTrue(c["body"].endswith("="), "body claim is sent padded")
        with self.assertRaises(ValueError):
            verify_jwt(tok, NXT, body, dest)
        with self.assertRaises(ValueError):
            verify_jwt(tok, CUR, body + b" ", dest)
        m = wait_until(lambda: (lambda m: m if m["state"] == "delivered" else None)(
            self.message(j["messageId"])), what="delivered state")
        self.assertEqual(m["attempts"], 1)
        self.assertEqual(m["last_status"], 200)
        self.assertEqual(m["body"], body.decode("utf-8"))
        self.assertEqual(m["destination"], dest)
        self.assertEqual(m["headers"]["Authorization"], "Bearer ***")
        self.assertEqual(self.stats()["delivered"], 1)

    def test_auth_and_validation(self):
        dest = RECV.url + RECV.new_path()
        s, j = self.publish(dest, token=None)
        self.assertEqual(s, 401)
        self.assertIn("error", j)
        self.assertEqual(self.publish(dest, token="nope")[0], 401)
        for bad in ("ftp://127.0.0.1/x", "127.0.0.1:1/x", "http%3A%2F%2F127.0.0.1%2Fx", "http://"):
            s, j = self.publish(bad)
            self.assertEqual(s, 400, bad)
            self.assertIsInstance(j["error"], str)
        for hdr, val in (("Upstash-Delay", "10x"), ("Upstash-Delay", "3600"),
                         ("Upstash-Delay", "3600ms"), ("Upstash-Delay", "-5s"),
                         ("Upstash-Not-Before", "soon"), ("Upstash-Not-Before", "1.5"),
                         ("Upstash-Retries", "x")):
            s, j = self.publish(dest, headers={hdr: val})
            self.assertEqual(s, 400, (hdr, val))
            self.assertIn("error", j)
        self.assertEqual(call("POST", QS + "//v2/publish/" + dest, b"{}",
                              {"Authorization": "Bearer " + TOKEN})[0], 404)
        st = self.stats()
        self.assertEqual(st["published"], 0)
        self.assertEqual(st["failed_publishes"], 13)
        self.assertEqual(jcall("GET", QS + "/_standin/messages")[1], [])

    def test_delay_with_time_scale(self):
        path = RECV.new_path()
        t0 = time.time()
        s, j = self.publish(RECV.url + path, headers={"Upstash-Delay": "800s"})
        self.assertEqual(s, 200)
        m = self.message(j["messageId"])
        self.assertEqual(m["delay_header"], "800s")
        self.assertAlmostEqual(m["not_before"] - m["created_at"], 0.8, delta=0.05)
        time.sleep(0.4)
        self.assertEqual(RECV.got(path), [])
        self.assertEqual(self.message(j["messageId"])["state"], "pending")
        r = RECV.wait(path, 1, timeout=3)[0]
        self.assertGreaterEqual(r["t"] - t0, 0.75)

    def test_not_before_overrides_delay(self):
        path = RECV.new_path()
        nb = int(time.time()) + 300  # 0.3 s at time scale 0.001
        s, j = self.publish(RECV.url + path, headers={"Upstash-Delay": "1d",
                                                      "Upstash-Not-Before": str(nb)})
        self.assertEqual(s, 200)
        RECV.wait(path, 1, timeout=2)
        self.assertEqual(self.message(j["messageId"])["not_before_header"], str(nb))

    def test_deduplication(self):
        path = RECV.new_path()
        h = {"Upstash-Deduplication-Id": "lot_1_abc-1"}
        s1, j1 = self.publish(RECV.url + path, b'{"n":1}', h)
        s2, j2 = self.publish(RECV.url + path, b'{"n":2}', h)
        self.assertEqual(s1, 200)
        self.assertEqual(s2, 202)
        self.assertEqual(j2, {"messageId": j1["messageId"], "deduplicated": True})
        s3, j3 = self.publish(RECV.url + path, b'{"n":3}', {"Upstash-Deduplication-Id": "other"})
        self.assertEqual(s3, 200)
        self.assertNotEqual(j3["messageId"], j1["messageId"])
        RECV.wait(path, 2)
        time.sleep(0.3)
        got = RECV.got(path)
        self.assertEqual(sorted(r["body"] for r in got), [b'{"n":1}', b'{"n":3}'])
        st = self.stats()
        self.assertEqual((st["published"], st["deduplicated"]), (2, 1))
        msgs = jcall("GET", QS + "/_standin/messages")[1]
        self.assertEqual(len(msgs), 2)
        self.assertEqual(self.message(j1["messageId"])["dedup_hits"], 1)

    def test_retry_after_500(self):
        path = RECV.new_path([(500, {}, 0)])
        body = b'{"retry":true}'
        s, j = self.publish(RECV.url + path, body)
        got = RECV.wait(path, 2)
        self.assertEqual([r["headers"]["upstash-retried"] for r in got], ["0", "1"])
        self.assertEqual({r["headers"]["upstash-message-id"] for r in got}, {j["messageId"]})
        claims = [verify_jwt(r["headers"]["upstash-signature"], CUR, body, RECV.url + path)
                  for r in got]
        self.assertNotEqual(claims[0]["jti"], claims[1]["jti"])
        m = wait_until(lambda: (lambda m: m if m["state"] == "delivered" else None)(
            self.message(j["messageId"])), what="delivered")
        self.assertEqual(m["attempts"], 2)
        self.assertEqual([a["status"] for a in m["attempt_log"]], [500, 200])
        self.assertEqual(self.stats()["retried"], 1)

    def test_retries_exhausted_dead_letter(self):
        path = RECV.new_path([(500, {}, 0)] * 10)
        s, j = self.publish(RECV.url + path, headers={"Upstash-Retries": "1"})
        wait_until(lambda: self.message(j["messageId"])["state"] == "dead", what="dead")
        time.sleep(0.4)
        self.assertEqual(len(RECV.got(path)), 2)
        m = self.message(j["messageId"])
        self.assertEqual((m["attempts"], m["last_status"], m["retries"]), (2, 500, 1))
        self.assertEqual(self.stats()["dead"], 1)

    def test_489_non_retryable(self):
        path = RECV.new_path([(489, {"Upstash-NonRetryable-Error": "true"}, 0)])
        s, j = self.publish(RECV.url + path)
        wait_until(lambda: self.message(j["messageId"])["state"] == "dead", what="dead")
        time.sleep(0.4)
        self.assertEqual(len(RECV.got(path)), 1)
        # 489 without the header is an ordinary failure: retried.
        path2 = RECV.new_path([(489, {}, 0)])
        s, j2 = self.publish(RECV.url + path2)
        got = RECV.wait(path2, 2)
        self.assertEqual(got[1]["headers"]["upstash-retried"], "1")

    def test_retry_after_header_capped(self):
        jcall("POST", QS + "/_standin/config", {"retry_backoff": [30]})
        path = RECV.new_path([(503, {"Retry-After": "3600"}, 0)])
        s, j = self.publish(RECV.url + path)
        got = RECV.wait(path, 2, timeout=3)  # capped to --max-retry-after 0.3, not backoff 30
        self.assertGreaterEqual(got[1]["t"] - got[0]["t"], 0.25)
        self.assertEqual(got[1]["headers"]["upstash-retried"], "1")

    def test_concurrent_deliveries_and_timeout(self):
        slow = RECV.new_path([(200, {}, 1.4)])  # first answer after the 1 s delivery timeout
        fast = RECV.new_path()
        s, js = self.publish(RECV.url + slow)
        first = RECV.wait(slow, 1)[0]
        self.publish(RECV.url + fast)
        f = RECV.wait(fast, 1)[0]
        self.assertLess(f["t"] - first["t"], 0.8, "a slow delivery blocked another one")
        got = RECV.wait(slow, 2, timeout=4)
        self.assertEqual(got[1]["headers"]["upstash-retried"], "1")
        m = wait_until(lambda: (lambda m: m if m["state"] == "delivered" else None)(
            self.message(js["messageId"])), what="delivered")
        self.assertIsNone(m["attempt_log"][0]["status"])
        self.assertIn("timed out", m["attempt_log"][0]["error"])

    def test_keys_and_rotation(self):
        self.assertEqual(call("GET", QS + "/v2/keys")[0], 401)
        auth = {"Authorization": "Bearer " + TOKEN}
        s, j = jcall("GET", QS + "/v2/keys", headers=auth)
        self.assertEqual((s, j), (200, {"current": CUR, "next": NXT}))
        s, j = jcall("POST", QS + "/v2/keys/rotate", b"", auth)
        self.assertEqual(j["current"], NXT)
        self.assertTrue(j["next"].startswith("sig_") and j["next"] != NXT)
        path = RECV.new_path()
        self.publish(RECV.url + path, b"rot")
        r = RECV.wait(path, 1)[0]
        verify_jwt(r["headers"]["upstash-signature"], NXT, b"rot", RECV.url + path)
        jcall("POST", QS + "/_standin/reset", {})
        self.assertEqual(jcall("GET", QS + "/v2/keys", headers=auth)[1]["current"], CUR)

    def test_sign_with_next_and_foreign_key(self):
        s, cfg = jcall("POST", QS + "/_standin/config", {"sign_with": "next"})
        self.assertEqual((s, cfg["sign_with"]), (200, "next"))
        path = RECV.new_path()
        self.publish(RECV.url + path, b"n")
        tok = RECV.wait(path, 1)[0]["headers"]["upstash-signature"]
        verify_jwt(tok, NXT, b"n", RECV.url + path)
        with self.assertRaises(ValueError):
            verify_jwt(tok, CUR, b"n", RECV.url + path)
        jcall("POST", QS + "/_standin/config", {"sign_key": "sig_attacker"})
        path = RECV.new_path()
        self.publish(RECV.url + path, b"n")
        tok = RECV.wait(path, 1)[0]["headers"]["upstash-signature"]
        for k in (CUR, NXT):
            with self.assertRaises(ValueError):
                verify_jwt(tok, k, b"n", RECV.url + path)
        self.assertEqual(jcall("POST", QS + "/_standin/config", {"bogus": 1})[0], 400)

    def test_publish_failure_injection(self):
        path = RECV.new_path()
        jcall("POST", QS + "/_standin/fail", {"status": 500, "count": 2})
        codes = [self.publish(RECV.url + path)[0] for _ in range(3)]
        self.assertEqual(codes, [500, 500, 200])
        jcall("POST", QS + "/_standin/fail", {"status": 429, "retry_after": 7})
        s, h, b = call("POST", QS + "/v2/publish/" + RECV.url + path, b"{}",
                       {"Authorization": "Bearer " + TOKEN})
        self.assertEqual((s, h["retry-after"], h["ratelimit-remaining"]), (429, "7", "0"))
        self.assertIn("error", json.loads(b))
        jcall("POST", QS + "/_standin/fail", {"status": "drop"})
        with self.assertRaises((http.client.HTTPException, urllib.error.URLError, OSError)):
            self.publish(RECV.url + path)
        jcall("POST", QS + "/_standin/fail", {"status": 503, "count": -1})
        self.assertEqual([self.publish(RECV.url + path)[0] for _ in range(3)], [503] * 3)
        jcall("POST", QS + "/_standin/fail/clear", {})
        self.assertEqual(self.publish(RECV.url + path)[0], 200)
        st = self.stats()
        self.assertEqual((st["injected_failures"], st["published"]), (7, 2))
        self.assertEqual(jcall("POST", QS + "/_standin/fail", {"status": 5})[0], 400)

    def test_batch(self):
        a, b = RECV.new_path(), RECV.new_path()
        entries = [{"destination": RECV.url + a, "body": "a-body",
                    "headers": {"Content-Type": "text/plain", "Upstash-Deduplication-Id": "d1"}},
                   {"destination": RECV.url + b, "body": "{\"b\":1}"},
                   {"destination": RECV.url + a, "body": "dup",
                    "headers": {"Upstash-Deduplication-Id": "d1"}}]
        s, j = jcall("POST", QS + "/v2/batch", entries, {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(s, 200)
        self.assertEqual(len(j), 3)
        self.assertEqual(j[2], {"messageId": j[0]["messageId"], "deduplicated": True})
        ra = RECV.wait(a, 1)[0]
        self.assertEqual((ra["body"], ra["headers"]["content-type"]), (b"a-body", "text/plain"))
        RECV.wait(b, 1)
        s, j = jcall("POST", QS + "/v2/batch", [{"destination": "nope"}],
                     {"Authorization": "Bearer " + TOKEN})
        self.assertEqual(s, 400)
        self.assertEqual(jcall("POST", QS + "/v2/batch", [])[0], 401)

    def test_pause_resume_deliver_now(self):
        jcall("POST", QS + "/_standin/pause", {})
        path = RECV.new_path()
        s, j = self.publish(RECV.url + path)
        time.sleep(0.3)
        self.assertEqual(RECV.got(path), [])
        self.assertEqual(self.message(j["messageId"])["state"], "pending")
        self.assertTrue(self.stats()["paused"])
        jcall("POST", QS + "/_standin/resume", {})
        RECV.wait(path, 1, timeout=2)
        path2 = RECV.new_path()
        s, j2 = self.publish(RECV.url + path2, headers={"Upstash-Delay": "1d"})  # 86 s scaled
        time.sleep(0.1)
        self.assertEqual(RECV.got(path2), [])
        s, r = jcall("POST", QS + "/_standin/deliver-now", {"id": j2["messageId"]})
        self.assertEqual((s, r["made_due"]), (200, 1))
        RECV.wait(path2, 1, timeout=2)
        self.assertEqual(jcall("POST", QS + "/_standin/deliver-now", {"id": "msg_nope"})[0], 404)
        pending = jcall("GET", QS + "/_standin/messages?state=pending")[1]
        self.assertEqual(pending, [])

    def test_signature_vectors_if_available(self):
        path = os.environ.get("ET_QSTASH_VECTORS")
        if not path or not os.path.exists(path):
            self.skipTest("ET_QSTASH_VECTORS not set")
        with open(path, encoding="utf-8") as f:
            vectors = json.load(f)["vectors"]
        for v in vectors:
            if not v["valid"] or "unpadded" in v["name"]:
                continue
            claims = json.loads(b64url_decode(v["token"].split(".")[1]))
            for key in (v["current_key"], v["next_key"]):
                tok = qstash.sign_jwt(key, v["url"], v["body"], now=claims["iat"],
                                      jti=claims["jti"], exp=claims["exp"])
                if tok == v["token"]:
                    break
            else:
                self.fail("signer does not reproduce vector %r" % v["name"])


# --------------------------------------------------------------------------
# twitterapi.io
# --------------------------------------------------------------------------
ROOT_ID = "2032747339445186561"
REPLY_ID = "2032747737904099328"
CASH_ID = "2032747825984516098"
UNKNOWN_ID = "2032740000000000001"


class TwitterApiTest(unittest.TestCase):
    def setUp(self):
        self.assertEqual(jcall("POST", TW + "/_standin/reset", {})[0], 200)
        self.now = int(time.time())
        s, j = jcall("POST", TW + "/_standin/tweets", [
            {"id": ROOT_ID, "created_at": self.now - 600, "author_id": "1500000000000000101",
             "text": "Shipping the new #fcgi parser today — notes: https://t.co/AbCdEf1234",
             "likes": 37, "retweets": 5, "replies": 4, "quotes": 1, "views": 2841,
             "bookmarks": 3, "author": {"userName": "quill_dev", "name": "Quill Dev"}},
            {"id": REPLY_ID, "created_at": self.now - 500, "author_id": "88001234",
             "text": "@quill_dev does it handle chunked bodies yet?", "reply_to": ROOT_ID,
             "views": None},
            {"id": CASH_ID, "created_at": self.now - 400, "author_id": "1712340000000000777",
             "text": "parsers are just vibes with a grammar 🚀 $ORBIT", "likes": 488},
        ])
        self.assertEqual((s, j["count"]), (200, 3))

    def lookup(self, ids, key=API_KEY, raw=None):
        q = raw if raw is not None else "tweet_ids=" + ",".join(ids)
        h = {"X-API-Key": key} if key is not None else {}
        return call("GET", TW + "/twitter/tweets?" + q, headers=h)

    def jlookup(self, ids, **kw):
        s, h, b = self.lookup(ids, **kw)
        return s, json.loads(b)

    def stats(self):
        return jcall("GET", TW + "/_standin/stats")[1]

    def test_lookup_shape(self):
        s, j = self.jlookup([ROOT_ID, REPLY_ID, CASH_ID, UNKNOWN_ID])
        self.assertEqual(s, 200)
        self.assertEqual((j["status"], j["msg"], j["code"]), ("success", "success", 0))
        by = {t["id"]: t for t in j["tweets"]}
        self.assertEqual(set(by), {ROOT_ID, REPLY_ID, CASH_ID})
        root, reply, cash = by[ROOT_ID], by[REPLY_ID], by[CASH_ID]
        for t in j["tweets"]:
            for k in ("id", "url", "twitterUrl", "text", "source", "retweetCount", "replyCount",
                      "likeCount", "quoteCount", "bookmarkCount", "createdAt", "lang", "isReply",
                      "inReplyToId", "conversationId", "author", "entities", "extendedEntities"):
                self.assertIn(k, t)
            self.assertRegex(t["createdAt"], CREATED_AT_RE)
            a = t["author"]
            for k in ("id", "userName", "name", "followers", "following", "profile_bio",
                      "isBlueVerified", "description", "statusesCount", "createdAt"):
                self.assertIn(k, a)
            self.assertNotIn("followersCount", a)
            self.assertIsInstance(a["followers"], int)
            self.assertEqual(t["extendedEntities"], {})
        self.assertEqual(root["createdAt"], twitterapi.format_created_at(self.now - 600))
        self.assertEqual((root["likeCount"], root["retweetCount"], root["replyCount"],
                          root["quoteCount"], root["viewCount"], root["bookmarkCount"]),
                         (37, 5, 4, 1, 2841, 3))
        self.assertEqual(root["conversationId"], ROOT_ID)
        self.assertEqual((root["isReply"], root["inReplyToId"]), (False, ""))
        self.assertEqual(root["author"]["userName"], "quill_dev")
        self.assertEqual(root["url"], "https://x.com/quill_dev/status/" + ROOT_ID)
        ht = root["entities"]["hashtags"][0]
        self.assertEqual(ht["text"], "fcgi")
        self.assertEqual(root["text"][ht["indices"][0]:ht["indices"][1]], "#fcgi")
        u = root["entities"]["urls"][0]
        self.assertEqual(u["url"], "https://t.co/AbCdEf1234")
        self.assertTrue(u["expanded_url"].startswith("https://"))
        self.assertNotIn("viewCount", reply)  # views null -> omitted, not 0
        self.assertEqual((reply["isReply"], reply["inReplyToId"], reply["conversationId"],
                          reply["inReplyToUsername"], reply["inReplyToUserId"]),
                         (True, ROOT_ID, ROOT_ID, "quill_dev", "1500000000000000101"))
        mention = reply["entities"]["user_mentions"][0]
        self.assertEqual((mention["screen_name"], mention["id_str"]),
                         ("quill_dev", "1500000000000000101"))
        self.assertEqual(cash["entities"]["symbols"][0]["text"], "ORBIT")
        self.assertEqual(cash["likeCount"], 488)
        self.assertEqual(self.stats()["credits"], 45)

    def test_auth(self):
        for key in (None, "wrong-key"):
            s, j = self.jlookup([ROOT_ID], key=key)
            self.assertEqual(s, 401)
            self.assertIn("detail", j)
        st = self.stats()
        self.assertEqual((st["calls"], st["credits"], st["unauthorized"]), (0, 0, 2))

    def test_bad_requests(self):
        for raw in ("", "tweet_ids=", "other=1", "tweet_ids=1,%202", "tweet_ids=1,,2",
                    "tweet_ids=abc"):
            s, j = self.jlookup(None, raw=raw)
            self.assertEqual(s, 400, raw)
            self.assertIn("detail", j)
        ids = [str(10 ** 18 + i) for i in range(101)]
        self.assertEqual(self.lookup(ids)[0], 400)
        self.assertEqual(self.lookup(ids[:100])[0], 200)
        st = self.stats()
        self.assertEqual((st["calls"], st["credits"]), (8, 8 * 15))

    def test_order_not_guaranteed(self):
        jcall("POST", TW + "/_standin/generate", {"count": 8, "seed": 3})
        ids = [t["id"] for t in jcall("GET", TW + "/_standin/tweets")[1]]
        orders = {tuple(t["id"] for t in self.jlookup(ids)[1]["tweets"]) for _ in range(8)}
        self.assertGreater(len(orders), 1)

    def test_accounting(self):
        self.jlookup([ROOT_ID, CASH_ID, UNKNOWN_ID])
        self.jlookup([UNKNOWN_ID])
        jcall("POST", TW + "/_standin/fail", {"mode": "500"})
        self.lookup([ROOT_ID, CASH_ID])
        st = self.stats()
        self.assertEqual((st["calls"], st["tweets_returned"], st["ids_requested"], st["credits"]),
                         (3, 2, 6, 30 + 15 + 15))
        log = st["calls_log"]
        self.assertEqual([e["status"] for e in log], [200, 200, 500])
        self.assertEqual(log[0]["ids"], [ROOT_ID, CASH_ID, UNKNOWN_ID])
        self.assertEqual([e["credits"] for e in log], [30, 15, 15])
        jcall("POST", TW + "/_standin/reset", {})
        self.assertEqual(self.stats()["calls"], 0)

    def test_failure_modes(self):
        def fail(**rule):
            s, _ = jcall("POST", TW + "/_standin/fail", rule)
            self.assertEqual(s, 200)

        fail(mode="429", retry_after=3)
        s, h, b = self.lookup([ROOT_ID])
        self.assertEqual((s, h.get("retry-after")), (429, "3"))
        self.assertIn("detail", json.loads(b))
        fail(mode="429")
        s, h, b = self.lookup([ROOT_ID])
        self.assertEqual(s, 429)
        self.assertNotIn("retry-after", h)
        fail(mode="500")
        s, h, b = self.lookup([ROOT_ID])
        self.assertEqual((s, b), (500, b"Internal Server Error"))
        fail(mode="503")
        s, h, b = self.lookup([ROOT_ID])
        self.assertEqual(s, 503)
        self.assertTrue(h["content-type"].startswith("text/html"))
        fail(mode="402")
        s, j = self.jlookup([ROOT_ID])
        self.assertEqual(s, 402)
        self.assertIn("detail", j)
        fail(mode="status_error", msg="boom")
        s, j = self.jlookup([ROOT_ID])
        self.assertEqual((s, j), (200, {"status": "error", "msg": "boom"}))
        fail(mode="empty")
        s, j = self.jlookup([ROOT_ID, CASH_ID])
        self.assertEqual((s, j["status"], j["tweets"]), (200, "success", []))
        fail(mode="bad_json")
        s, h, b = self.lookup([ROOT_ID])
        self.assertEqual(s, 200)
        with self.assertRaises(ValueError):
            json.loads(b)
        fail(mode="drop")
        with self.assertRaises((http.client.HTTPException, urllib.error.URLError, OSError)):
            self.lookup([ROOT_ID])
        fail(mode="slow", delay=0.4)
        t0 = time.time()
        s, j = self.jlookup([ROOT_ID])
        self.assertGreaterEqual(time.time() - t0, 0.35)
        self.assertEqual((s, len(j["tweets"])), (200, 1))
        self.assertEqual(self.jlookup([ROOT_ID])[0], 200)  # all consumed
        # count, queue order, until-cleared
        fail(mode="500", count=2)
        fail(mode="429")
        self.assertEqual([self.lookup([ROOT_ID])[0] for _ in range(4)], [500, 500, 429, 200])
        fail(mode="503", count=-1)
        self.assertEqual([self.lookup([ROOT_ID])[0] for _ in range(3)], [503] * 3)
        jcall("POST", TW + "/_standin/fail/clear", {})
        self.assertEqual(self.lookup([ROOT_ID])[0], 200)
        self.assertEqual(jcall("POST", TW + "/_standin/fail", {"mode": "teapot"})[0], 400)
        st = self.stats()
        outcomes = [e["outcome"] for e in st["calls_log"]]
        self.assertIn("drop", outcomes)
        self.assertEqual(st["calls"], len(st["calls_log"]))
        self.assertEqual(st["credits"], 15 * st["calls"])  # never more than 1 tweet per call

    def test_timeline(self):
        n = time.time()
        s, _ = jcall("POST", TW + "/_standin/timeline", {"id": ROOT_ID, "points": [
            [n - 10, 5, 2, 1, 0, 50], [n - 100, 1, 0, 0, 0, 10], [n + 1000, 99, 9, 9, 9, 999]]})
        self.assertEqual(s, 200)
        t = self.jlookup([ROOT_ID])[1]["tweets"][0]
        self.assertEqual((t["likeCount"], t["retweetCount"], t["replyCount"], t["quoteCount"],
                          t["viewCount"]), (5, 2, 1, 0, 50))
        jcall("POST", TW + "/_standin/timeline", {"id": ROOT_ID, "points": [
            [n - 5, 6, 2, 1, 0, None]]})
        self.assertNotIn("viewCount", self.jlookup([ROOT_ID])[1]["tweets"][0])
        self.assertEqual(jcall("POST", TW + "/_standin/timeline",
                               {"id": ROOT_ID, "points": [[n, 1]]})[0], 400)

    def test_cascade_evolution(self):
        n = time.time()
        for scale, want in ((1.0, (2, 1)), (0.5, (2, 2))):
            jcall("POST", TW + "/_standin/cascade", {"id": CASH_ID, "created_at": n - 110,
                                                     "event_times": [10, 20, 50, 200, 5000],
                                                     "time_scale": scale})
            t = self.jlookup([CASH_ID])[1]["tweets"][0]
            self.assertEqual((t["likeCount"], t["retweetCount"]), want, scale)
            self.assertEqual(t["viewCount"], 40 * sum(want))
            self.assertEqual(t["createdAt"], twitterapi.format_created_at(n - 110))
        n = time.time()
        jcall("POST", TW + "/_standin/cascade", {"id": "2032749999999999999", "created_at": n,
                                                 "event_times": [0.3, 0.5, 0.55, 1000],
                                                 "pattern": ["replies", "quotes"],
                                                 "views_per_event": None})
        t = self.jlookup(["2032749999999999999"])[1]["tweets"][0]
        self.assertEqual((t["replyCount"], t["quoteCount"], t["likeCount"]), (0, 0, 0))
        self.assertNotIn("viewCount", t)
        time.sleep(0.7)
        t = self.jlookup(["2032749999999999999"])[1]["tweets"][0]
        self.assertEqual((t["replyCount"], t["quoteCount"]), (2, 1))
        snap = {x["id"]: x for x in jcall("GET", TW + "/_standin/tweets")[1]}
        self.assertEqual((snap["2032749999999999999"]["engagement"],
                          snap["2032749999999999999"]["mode"]), (3, "cascade"))

    def test_delete(self):
        s, j = jcall("POST", TW + "/_standin/delete", {"ids": [REPLY_ID]})
        self.assertEqual((s, j["affected"]), (200, 1))
        ids = {t["id"] for t in self.jlookup([ROOT_ID, REPLY_ID])[1]["tweets"]}
        self.assertEqual(ids, {ROOT_ID})
        jcall("POST", TW + "/_standin/undelete", {"ids": [REPLY_ID]})
        self.assertEqual(len(self.jlookup([ROOT_ID, REPLY_ID])[1]["tweets"]), 2)

    def test_generate(self):
        s, j = jcall("POST", TW + "/_standin/generate", {"count": 5, "seed": 11})
        self.assertEqual(len(j["ids"]), 5)
        self.assertTrue(all(len(i) == 19 and i.isdigit() for i in j["ids"]))
        s, j2 = self.jlookup(j["ids"])
        self.assertEqual(len(j2["tweets"]), 5)

    def test_webhook_sender(self):
        # module helpers (importable): tweets from the registry, sent with X-API-Key
        tweets = jcall("GET", TW + "/_standin/tweet-objects?ids=%s,%s" % (ROOT_ID, CASH_ID))[1]
        path = RECV.new_path()
        status, body = twitterapi.send_webhook(RECV.url + path, "hook-key", tweets["tweets"],
                                               rule_id="r-1", rule_tag="tag_1")
        self.assertEqual(status, 200)
        r = RECV.wait(path, 1)[0]
        self.assertEqual(r["headers"]["x-api-key"], "hook-key")
        self.assertEqual(r["headers"]["content-type"], "application/json")
        p = json.loads(r["body"])
        self.assertEqual(list(p), ["event_type", "rule_id", "rule_tag", "tweets", "timestamp"])
        self.assertEqual((p["event_type"], p["rule_id"], p["rule_tag"]), ("tweet", "r-1", "tag_1"))
        self.assertEqual([t["id"] for t in p["tweets"]], [ROOT_ID, CASH_ID])
        self.assertIsInstance(p["timestamp"], int)
        self.assertGreater(p["timestamp"], 10 ** 12)
        twitterapi.send_probe(RECV.url + path)
        self.assertEqual(json.loads(RECV.wait(path, 2)[1]["body"]),
                         {"event_type": "test_webhook_url"})
        # control endpoint: the stand-in sends it itself, in batches
        path = RECV.new_path()
        s, j = jcall("POST", TW + "/_standin/send-webhook",
                     {"url": RECV.url + path, "ids": [ROOT_ID, REPLY_ID, CASH_ID],
                      "rule_id": "r-2", "rule_tag": "t2", "batch_size": 2})
        self.assertEqual([d["status"] for d in j["deliveries"]], [200, 200])
        got = RECV.wait(path, 2)
        self.assertEqual({g["headers"]["x-api-key"] for g in got}, {API_KEY})
        self.assertEqual(sorted(len(json.loads(g["body"])["tweets"]) for g in got), [1, 2])


def run(argv=None):
    """Run the suite; print the stand-ins' logs on failure. Returns an exit code."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    verbosity = 2 if argv and "-v" in argv else 1
    t0 = time.time()
    result = unittest.TextTestRunner(verbosity=verbosity).run(suite)
    sys.stderr.write("standins selftest: %d tests in %.1fs\n" % (result.testsRun, time.time() - t0))
    if not result.wasSuccessful():
        for p in PROCS:
            sys.stderr.write("---- %s log (%s) ----\n%s\n" % (p.name, p.log.name, p.tail()))
    for p in PROCS:
        try:
            os.unlink(p.log.name)
        except OSError:
            pass
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
