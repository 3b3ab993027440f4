#!/usr/bin/python3
"""QStash (Upstash) stand-in for integration tests and the local demo stack.

Speaks the Upstash QStash wire contract (see README.md next to this file):

  POST /v2/publish/<destination URL as-is>   publish (delay, not-before, dedup, retries)
  POST /v2/batch                              publish many
  GET  /v2/keys                               signing keys
  POST /v2/keys/rotate                        current := next, next := new key

and delivers each message when due: POST of the original body to the
destination with Upstash-Signature (JWT HS256 over the raw signing-key
bytes), Upstash-Message-Id, Upstash-Retried, User-Agent: Upstash-QStash and
the original Content-Type; retries with backoff (or Retry-After), dead
letters after the retries or on 489 + Upstash-NonRetryable-Error: true.

A test control API lives under /_standin/ (see README.md next to this file).

Run:     /usr/bin/python3 test/standins/qstash.py --port 8080
Import:  from qstash import QStashStandin, sign_jwt  (stdlib only)
"""

import argparse
import base64
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import os
import re
import secrets
import ssl
import string
import sys
import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit

try:  # imported as part of a package
    from . import standin_http as base
except ImportError:  # run as a script, or imported with this directory on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import standin_http as base

NAME = "qstash"
DEV_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0="
DEV_CURRENT_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r"
DEV_NEXT_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs"
DEFAULT_BACKOFF = (12.0, 150.0, 1800.0, 21600.0)
JWT_LIFETIME = 300
MAX_RETRIES_ALLOWED = 100
_ALNUM = string.ascii_letters + string.digits
_DELAY_RE = re.compile(r"^(?:\d+[smhd])+$")
_DELAY_PART_RE = re.compile(r"(\d+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# --------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------
def b64url(data):
    """base64url without padding (JWS segments)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def body_claim(body):
    """base64url(SHA-256(body)) WITH '=' padding, as QStash sends it."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode("ascii")


def sign_jwt(key, destination, body, now=None, jti=None, exp=None, nbf=0, iss="Upstash"):
    """Return the compact JWS QStash puts in Upstash-Signature.

    key: the signing-key string (its raw bytes are the HMAC key, sig_ included).
    Claims in QStash's order: iss, sub, exp, nbf, iat, jti, body.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    iat = int(time.time() if now is None else now)
    claims = {
        "iss": iss,
        "sub": destination,
        "exp": iat + JWT_LIFETIME if exp is None else exp,
        "nbf": nbf,
        "iat": iat,
        "jti": jti or ("jwt_" + "".join(secrets.choice(_ALNUM) for _ in range(28))),
        "body": body_claim(body),
    }
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    signing_input = (header + "." + payload).encode("ascii")
    sig = hmac.new(key.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return header + "." + payload + "." + b64url(sig)


def new_id(prefix, n=32):
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(n))


def parse_delay(value):
    """'3600s' / '5m' / '1h' / '2d' (or sums like '1h30m') -> seconds."""
    v = value.strip()
    if not _DELAY_RE.match(v):
        raise ValueError("invalid Upstash-Delay %r: expected <n>s|m|h|d" % value)
    return sum(int(n) * _UNIT[u] for n, u in _DELAY_PART_RE.findall(v))


def parse_retry_after(value, now):
    """Retry-After: delta seconds or an HTTP date -> seconds, or None."""
    if value is None:
        return None
    v = value.strip()
    try:
        secs = float(v)
        return secs if secs >= 0 else None
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(v).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class PublishError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------
class Message:
    __slots__ = ("id", "destination", "method", "body", "content_type", "forward_headers",
                 "headers_received", "dedup_id", "created_at", "not_before", "next_at",
                 "retries", "state", "attempts", "last_status", "last_error", "last_body",
                 "delay_header", "not_before_header", "dedup_hits", "log", "gen",
                 "delivered_at", "dead_reason")

    def to_json(self):
        try:
            body = self.body.decode("utf-8")
            b64 = None
        except UnicodeDecodeError:
            body = self.body.decode("utf-8", "replace")
            b64 = base64.b64encode(self.body).decode("ascii")
        out = {
            "id": self.id,
            "destination": self.destination,
            "method": self.method,
            "body": body,
            "content_type": self.content_type,
            "headers": self.headers_received,
            "forward_headers": self.forward_headers,
            "dedup_id": self.dedup_id,
            "delay_header": self.delay_header,
            "not_before_header": self.not_before_header,
            "created_at": round(self.created_at, 3),
            "not_before": round(self.not_before, 3),
            "next_attempt_at": round(self.next_at, 3) if self.state == "pending" else None,
            "retries": self.retries,
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "last_body": self.last_body,
            "dedup_hits": self.dedup_hits,
            "delivered_at": round(self.delivered_at, 3) if self.delivered_at else None,
            "dead_reason": self.dead_reason,
            "attempt_log": list(self.log),
        }
        if b64 is not None:
            out["body_base64"] = b64
        return out


class Config:
    FIELDS = ("token", "current_key", "next_key", "sign_with", "sign_key", "dedup_window",
              "default_retries", "retry_backoff", "max_retry_after", "delivery_timeout",
              "time_scale", "tls_insecure")

    def __init__(self, **kw):
        self.token = kw.get("token", DEV_TOKEN)
        self.current_key = kw.get("current_key", DEV_CURRENT_KEY)
        self.next_key = kw.get("next_key", DEV_NEXT_KEY)
        self.sign_with = kw.get("sign_with", "current")
        self.sign_key = kw.get("sign_key")  # literal key override (negative tests)
        self.dedup_window = float(kw.get("dedup_window", 600.0))
        self.default_retries = int(kw.get("default_retries", 3))
        self.retry_backoff = list(kw.get("retry_backoff", DEFAULT_BACKOFF))
        self.max_retry_after = kw.get("max_retry_after")  # None = unlimited
        self.delivery_timeout = float(kw.get("delivery_timeout", 30.0))
        self.time_scale = float(kw.get("time_scale", 1.0))
        self.tls_insecure = bool(kw.get("tls_insecure", False))

    def copy(self):
        return Config(**{f: getattr(self, f) for f in self.FIELDS})

    def to_json(self):
        return {f: getattr(self, f) for f in self.FIELDS if f != "token"}

    def signing_key(self):
        if self.sign_key:
            return self.sign_key
        return self.next_key if self.sign_with == "next" else self.current_key


class QStashStandin:
    """All the stand-in's state; thread-safe behind one condition variable."""

    def __init__(self, config=None, workers=64):
        self.initial = (config or Config()).copy()
        self.cfg = self.initial.copy()
        self.cond = threading.Condition()
        self.workers = threading.BoundedSemaphore(max(1, workers))
        self.stopping = False
        self.httpd = None
        self._seq = itertools.count()
        self._reset_locked()
        self.scheduler = threading.Thread(target=self._schedule_loop, name="qstash-scheduler",
                                          daemon=True)
        self.scheduler.start()

    # --- lifecycle ------------------------------------------------------
    def _reset_locked(self):
        self.gen = getattr(self, "gen", 0) + 1
        self.messages = {}  # id -> Message (insertion ordered)
        self.dedup = {}  # dedup id -> (message id, expires_at)
        self.heap = []
        self.paused = False
        self.fail_rules = []
        self.stats = {"published": 0, "deduplicated": 0, "delivered": 0, "retried": 0,
                      "dead": 0, "failed_publishes": 0, "injected_failures": 0,
                      "attempts": 0, "batches": 0}

    def reset(self):
        with self.cond:
            self._reset_locked()
            self.cfg = self.initial.copy()
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    def serve(self, port=0):
        """Bind 127.0.0.1:port; return the server (caller runs serve_forever)."""
        self.httpd = base.StandinServer(port, QStashHandler, self)
        return self.httpd

    def start_background(self, port=0):
        """Start serving on a daemon thread (in-process use); returns the port."""
        httpd = self.serve(port)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
        return httpd.port

    # --- publish --------------------------------------------------------
    def check_token(self, authorization):
        if not authorization:
            return False
        parts = authorization.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            return False
        return hmac.compare_digest(parts[1].strip().encode("utf-8"),
                                   self.cfg.token.encode("utf-8"))

    def take_failure(self):
        """Consume one injected publish failure, or None."""
        with self.cond:
            while self.fail_rules:
                rule = self.fail_rules[0]
                if rule["count"] == 0:
                    self.fail_rules.pop(0)
                    continue
                if rule["count"] > 0:
                    rule["count"] -= 1
                self.stats["injected_failures"] += 1
                self.stats["failed_publishes"] += 1
                return dict(rule)
            return None

    def count_failed(self):
        with self.cond:
            self.stats["failed_publishes"] += 1

    def _prepare(self, destination, headers, body, received):
        """Validate one publish; return the fields of the message to create.

        headers: dict lower-case name -> value.  Raises PublishError.
        """
        if not (destination.startswith("http://") or destination.startswith("https://")):
            raise PublishError(400, "invalid destination %r: must start with http:// or "
                                    "https:// (written as-is, not URL-encoded)" % destination[:200])
        try:
            u = urlsplit(destination)
            u.port  # noqa: B018 - validates the port
        except ValueError as e:
            raise PublishError(400, "invalid destination url: %s" % e)
        if not u.hostname:
            raise PublishError(400, "invalid destination url: no host")
        now = time.time()
        cfg = self.cfg
        delay_header = headers.get("upstash-delay")
        nb_header = headers.get("upstash-not-before")
        delay = 0
        if delay_header is not None:
            try:
                delay = parse_delay(delay_header)
            except ValueError as e:
                raise PublishError(400, str(e))
        if nb_header is not None:
            v = nb_header.strip()
            if not v.isdigit():
                raise PublishError(400, "invalid Upstash-Not-Before %r: expected unix seconds"
                                   % nb_header)
            due = now + max(0.0, int(v) - now) * cfg.time_scale
        else:
            due = now + delay * cfg.time_scale
        retries = cfg.default_retries
        if headers.get("upstash-retries") is not None:
            v = headers["upstash-retries"].strip()
            if not v.isdigit() or int(v) > MAX_RETRIES_ALLOWED:
                raise PublishError(400, "invalid Upstash-Retries %r" % headers["upstash-retries"])
            retries = int(v)
        method = (headers.get("upstash-method") or "POST").strip().upper()
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise PublishError(400, "invalid Upstash-Method %r" % method)
        dedup_id = headers.get("upstash-deduplication-id")
        if dedup_id is not None:
            dedup_id = dedup_id.strip()
        elif (headers.get("upstash-content-based-deduplication") or "").strip().lower() == "true":
            h = hashlib.sha256()
            h.update(destination.encode("utf-8") + b"\0" + body)
            dedup_id = "content:" + h.hexdigest()
        fwd = {}
        for k, v in headers.items():
            if k.startswith("upstash-forward-") and len(k) > len("upstash-forward-"):
                fwd[k[len("upstash-forward-"):]] = v
        return {"destination": destination, "method": method, "body": body,
                "content_type": headers.get("content-type"), "forward_headers": fwd,
                "headers_received": received, "dedup_id": dedup_id, "due": due,
                "retries": retries, "delay_header": delay_header, "not_before_header": nb_header}

    def _commit_locked(self, p):
        """Create (or deduplicate) one prepared message. Returns (status, json)."""
        now = time.time()
        if p["dedup_id"] is not None:
            hit = self.dedup.get(p["dedup_id"])
            if hit is not None and hit[1] > now and hit[0] in self.messages:
                self.stats["deduplicated"] += 1
                self.messages[hit[0]].dedup_hits += 1
                return 202, {"messageId": hit[0], "deduplicated": True}
        m = Message()
        m.id = new_id("msg_", 40)
        m.destination = p["destination"]
        m.method = p["method"]
        m.body = p["body"]
        m.content_type = p["content_type"]
        m.forward_headers = p["forward_headers"]
        m.headers_received = p["headers_received"]
        m.dedup_id = p["dedup_id"]
        m.created_at = now
        m.not_before = p["due"]
        m.next_at = p["due"]
        m.retries = p["retries"]
        m.state = "pending"
        m.attempts = 0
        m.last_status = None
        m.last_error = None
        m.last_body = None
        m.delay_header = p["delay_header"]
        m.not_before_header = p["not_before_header"]
        m.dedup_hits = 0
        m.log = []
        m.gen = self.gen
        m.delivered_at = None
        m.dead_reason = None
        self.messages[m.id] = m
        if m.dedup_id is not None:
            self.dedup[m.dedup_id] = (m.id, now + self.cfg.dedup_window)
        self.stats["published"] += 1
        self._push_locked(m)
        base.log_line(NAME, "accepted %s -> %s due in %.3fs retries=%d dedup=%s"
                      % (m.id, m.destination, max(0.0, m.next_at - now), m.retries, m.dedup_id))
        return 200, {"messageId": m.id}

    def publish(self, destination, headers, body, received=None):
        """Publish one message. headers: mapping (any case). Returns (status, json)."""
        h = {k.lower(): v for k, v in headers.items()}
        with self.cond:
            try:
                p = self._prepare(destination, h, body, received or {})
            except PublishError as e:
                self.stats["failed_publishes"] += 1
                return e.status, {"error": e.message}
            return self._commit_locked(p)

    def publish_batch(self, entries, received=None):
        if not isinstance(entries, list):
            return 400, {"error": "batch body must be a JSON array"}
        with self.cond:
            prepared = []
            for i, e in enumerate(entries):
                try:
                    if not isinstance(e, dict):
                        raise PublishError(400, "entry must be an object")
                    dest = e.get("destination")
                    if not isinstance(dest, str):
                        raise PublishError(400, "destination is required")
                    body = e.get("body", "")
                    if body is None:
                        body = ""
                    if not isinstance(body, str):
                        raise PublishError(400, "body must be a string")
                    hdrs = e.get("headers") or {}
                    if not isinstance(hdrs, dict) or not all(
                            isinstance(v, str) for v in hdrs.values()):
                        raise PublishError(400, "headers must be an object of strings")
                    h = {k.lower(): v for k, v in hdrs.items()}
                    rec = dict(received or {})
                    rec.update(hdrs)
                    prepared.append(self._prepare(dest, h, body.encode("utf-8"), rec))
                except PublishError as err:
                    self.stats["failed_publishes"] += 1
                    return err.status, {"error": "batch entry %d: %s" % (i, err.message)}
            self.stats["batches"] += 1
            return 200, [self._commit_locked(p)[1] for p in prepared]

    # --- scheduling -------------------------------------------------------
    def _push_locked(self, m):
        heapq.heappush(self.heap, (m.next_at, next(self._seq), m))
        self.cond.notify_all()

    def _schedule_loop(self):
        with self.cond:
            while not self.stopping:
                if self.paused or not self.heap:
                    self.cond.wait(1.0)
                    continue
                due, _, m = self.heap[0]
                if m.gen != self.gen or m.state != "pending" or m.next_at != due:
                    heapq.heappop(self.heap)  # stale entry
                    continue
                now = time.time()
                if due > now:
                    self.cond.wait(min(due - now, 1.0))
                    continue
                heapq.heappop(self.heap)
                m.state = "delivering"
                threading.Thread(target=self._deliver, args=(m,), name="qstash-deliver",
                                 daemon=True).start()

    def _deliver(self, m):
        with self.workers:
            with self.cond:
                cfg = self.cfg
                retried = m.attempts
                key = cfg.signing_key()
                timeout = cfg.delivery_timeout
                insecure = cfg.tls_insecure
            headers = {
                "Upstash-Signature": sign_jwt(key, m.destination, m.body),
                "Upstash-Message-Id": m.id,
                "Upstash-Retried": str(retried),
                "User-Agent": "Upstash-QStash",
            }
            if m.content_type:
                headers["Content-Type"] = m.content_type
            for k, v in m.forward_headers.items():
                headers[k] = v
            t0 = time.monotonic()
            status, resp_headers, resp_body, error = None, {}, b"", None
            try:
                status, resp_headers, resp_body = http_request(
                    m.method, m.destination, m.body, headers, timeout, insecure)
            except Exception as e:  # noqa: BLE001 - any failure is a failed attempt
                error = "%s: %s" % (type(e).__name__, e)
            ms = (time.monotonic() - t0) * 1000.0
        with self.cond:
            if m.gen != self.gen:
                return  # reset happened meanwhile
            now = time.time()
            m.attempts += 1
            self.stats["attempts"] += 1
            m.last_status = status
            m.last_error = error
            m.last_body = resp_body[:500].decode("utf-8", "replace") if resp_body else None
            m.log.append({"retried": retried, "at": round(now, 3), "status": status,
                          "error": error, "ms": round(ms, 1)})
            what = "status=%s" % status if status is not None else "error=%s" % error
            if status is not None and 200 <= status < 300:
                m.state = "delivered"
                m.delivered_at = now
                self.stats["delivered"] += 1
                outcome = "delivered"
            elif status == 489 and (resp_headers.get("upstash-nonretryable-error") or ""
                                    ).strip().lower() == "true":
                m.state = "dead"
                m.dead_reason = "non-retryable (489)"
                self.stats["dead"] += 1
                outcome = "dead (non-retryable)"
            elif m.attempts > m.retries:
                m.state = "dead"
                m.dead_reason = "retries exhausted"
                self.stats["dead"] += 1
                outcome = "dead (retries exhausted)"
            else:
                backoff = self.cfg.retry_backoff or [0.0]
                wait = backoff[min(m.attempts - 1, len(backoff) - 1)]
                ra = parse_retry_after(resp_headers.get("retry-after"), now)
                if ra is not None:
                    wait = ra
                    if self.cfg.max_retry_after is not None:
                        wait = min(wait, float(self.cfg.max_retry_after))
                m.state = "pending"
                m.next_at = now + wait
                self.stats["retried"] += 1
                self._push_locked(m)
                outcome = "retry in %.3fs" % wait
            base.log_line(NAME, "deliver %s %s %s retried=%d %s %.1fms -> %s"
                          % (m.id, m.method, m.destination, retried, what, ms, outcome))

    # --- control ----------------------------------------------------------
    def deliver_now(self, msg_id=None):
        with self.cond:
            now = time.time()
            if msg_id is not None:
                m = self.messages.get(msg_id)
                if m is None:
                    return None
                targets = [m]
            else:
                targets = list(self.messages.values())
            n = 0
            for m in targets:
                if m.state == "pending":
                    m.next_at = now
                    self._push_locked(m)
                    n += 1
            return n

    def set_paused(self, paused):
        with self.cond:
            self.paused = paused
            self.cond.notify_all()

    def list_messages(self, filters):
        with self.cond:
            out = []
            for m in self.messages.values():
                if "state" in filters and m.state not in filters["state"]:
                    continue
                if "destination" in filters and m.destination not in filters["destination"]:
                    continue
                if "dedup_id" in filters and m.dedup_id not in filters["dedup_id"]:
                    continue
                out.append(m.to_json())
            return out

    def get_stats(self):
        with self.cond:
            s = dict(self.stats)
            states = {"pending": 0, "delivering": 0, "delivered": 0, "dead": 0}
            for m in self.messages.values():
                states[m.state] = states.get(m.state, 0) + 1
            s["pending"] = states["pending"]
            s["delivering"] = states["delivering"]
            s["paused"] = self.paused
            s["messages"] = len(self.messages)
            return s

    def update_config(self, changes):
        with self.cond:
            c = self.cfg
            for k, v in changes.items():
                if k == "sign_with":
                    if v not in ("current", "next"):
                        raise ValueError("sign_with must be current or next")
                    c.sign_with = v
                elif k == "sign_key":
                    c.sign_key = v or None
                elif k in ("current_key", "next_key"):
                    if not isinstance(v, str) or not v:
                        raise ValueError("%s must be a non-empty string" % k)
                    setattr(c, k, v)
                elif k == "retry_backoff":
                    c.retry_backoff = parse_backoff(v)
                elif k == "max_retry_after":
                    c.max_retry_after = None if v is None else float(v)
                elif k in ("dedup_window", "delivery_timeout", "time_scale"):
                    setattr(c, k, float(v))
                elif k == "default_retries":
                    c.default_retries = int(v)
                else:
                    raise ValueError("unknown setting %r" % k)
            self.cond.notify_all()
            return c.to_json()

    def rotate_keys(self):
        with self.cond:
            self.cfg.current_key = self.cfg.next_key
            self.cfg.next_key = new_id("sig_", 28)
            return {"current": self.cfg.current_key, "next": self.cfg.next_key}


def http_request(method, url, body, headers, timeout, insecure=False):
    """One HTTP request; returns (status, lower-case headers dict, body bytes)."""
    u = urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    if u.scheme == "https":
        ctx = ssl.create_default_context()
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body if method != "GET" else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read(1 << 20)
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def parse_backoff(v):
    if isinstance(v, str):
        parts = [p for p in v.replace(" ", "").split(",") if p]
    else:
        parts = list(v)
    out = [float(p) for p in parts]
    if not out or any(x < 0 for x in out):
        raise ValueError("retry backoff must be a non-empty list of seconds >= 0")
    return out


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------
PUBLISH_PREFIX = "/v2/publish/"


class QStashHandler(base.StandinHandler):
    standin_name = NAME
    server_version = "qstash-standin/1.0"

    @property
    def app(self):
        return self.server.app

    def received_headers(self):
        out = {}
        for k, v in self.headers.items():
            if k.lower() == "authorization":
                v = "Bearer ***"
            out[k] = v if k not in out else out[k] + ", " + v
        return out

    def route(self, method, path, query):
        raw_path = self.path
        if raw_path.startswith(PUBLISH_PREFIX):
            if method != "POST":
                return self.send_json(405, {"error": "method not allowed"})
            return self.do_publish(raw_path[len(PUBLISH_PREFIX):])
        if path == "/v2/batch":
            if method != "POST":
                return self.send_json(405, {"error": "method not allowed"})
            return self.do_batch()
        if path in ("/v2/keys", "/v2/keys/rotate"):
            if not self.app.check_token(self.headers.get("Authorization")):
                self.read_body()
                return self.send_json(401, {"error": "invalid or missing bearer token"})
            if path == "/v2/keys" and method == "GET":
                c = self.app.cfg
                return self.send_json(200, {"current": c.current_key, "next": c.next_key})
            if path == "/v2/keys/rotate" and method == "POST":
                self.read_body()
                return self.send_json(200, self.app.rotate_keys())
            return self.send_json(405, {"error": "method not allowed"})
        if path.startswith("/_standin/"):
            return self.do_control(method, path[len("/_standin/"):], query)
        self.read_body()
        return self.send_json(404, {"error": "not found (stand-in implements /v2/publish/, "
                                             "/v2/batch, /v2/keys)"})

    def _auth_and_failure(self):
        """Common to publish and batch: bearer token, then injected failures.
        Returns True when an answer has been sent."""
        body = self.read_body()
        if not self.app.check_token(self.headers.get("Authorization")):
            self.app.count_failed()
            self.send_json(401, {"error": "invalid or missing bearer token"})
            return True
        rule = self.app.take_failure()
        if rule is None:
            return False
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        if rule["status"] == "drop":
            self.drop_connection()
            return True
        headers = {}
        status = int(rule["status"])
        if status == 429:
            headers.update({"RateLimit-Limit": "500", "RateLimit-Remaining": "0",
                            "RateLimit-Reset": str(int(time.time()) + 60)})
        if rule.get("retry_after") is not None:
            headers["Retry-After"] = str(rule["retry_after"])
        self.send_json(status, {"error": rule.get("error") or "injected failure (%d)" % status},
                       headers)
        return True

    def do_publish(self, destination):
        if self._auth_and_failure():
            return
        status, obj = self.app.publish(destination, dict(self.headers.items()), self.read_body(),
                                       self.received_headers())
        self.send_json(status, obj)

    def do_batch(self):
        if self._auth_and_failure():
            return
        try:
            entries = json.loads(self.read_body().decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as e:
            self.app.count_failed()
            return self.send_json(400, {"error": "invalid JSON: %s" % e})
        status, obj = self.app.publish_batch(entries, self.received_headers())
        self.send_json(status, obj)

    def do_control(self, method, what, query):
        app = self.app
        if method == "GET" and what == "messages":
            q = base.parse_query(query)
            filters = {k: v for k, v in q.items() if k in ("state", "destination", "dedup_id")}
            return self.send_json(200, app.list_messages(filters))
        if method == "GET" and what.startswith("messages/"):
            mid = unquote(what[len("messages/"):])
            found = [m for m in app.list_messages({}) if m["id"] == mid]
            if not found:
                return self.send_json(404, {"error": "unknown message id"})
            return self.send_json(200, found[0])
        if method == "GET" and what == "stats":
            return self.send_json(200, app.get_stats())
        if method == "GET" and what == "config":
            with app.cond:
                return self.send_json(200, app.cfg.to_json())
        if method != "POST":
            return self.send_json(404, {"error": "unknown control endpoint"})
        req = self.read_json(default={})
        if not isinstance(req, dict):
            return self.send_json(400, {"error": "body must be a JSON object"})
        if what == "fail":
            status = req.get("status", 500)
            if status != "drop" and not (isinstance(status, int) and 100 <= status <= 599):
                return self.send_json(400, {"error": "status must be an HTTP status or \"drop\""})
            count = req.get("count", 1)
            if not isinstance(count, int) or count < -1:
                return self.send_json(400, {"error": "count must be an integer >= -1"})
            rule = {"status": status, "count": count, "retry_after": req.get("retry_after"),
                    "delay": req.get("delay"), "error": req.get("error")}
            with app.cond:
                app.fail_rules.append(rule)
                queued = len(app.fail_rules)
            return self.send_json(200, {"ok": True, "queued_rules": queued})
        if what == "fail/clear":
            with app.cond:
                app.fail_rules = []
            return self.send_json(200, {"ok": True})
        if what == "reset":
            app.reset()
            return self.send_json(200, {"ok": True})
        if what == "deliver-now":
            n = app.deliver_now(req.get("id"))
            if n is None:
                return self.send_json(404, {"error": "unknown message id"})
            return self.send_json(200, {"ok": True, "made_due": n})
        if what == "pause":
            app.set_paused(True)
            return self.send_json(200, {"ok": True, "paused": True})
        if what == "resume":
            app.set_paused(False)
            return self.send_json(200, {"ok": True, "paused": False})
        if what == "config":
            try:
                return self.send_json(200, app.update_config(req))
            except (ValueError, TypeError) as e:
                return self.send_json(400, {"error": str(e)})
        return self.send_json(404, {"error": "unknown control endpoint"})


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------
def build_arg_parser():
    p = argparse.ArgumentParser(description="QStash stand-in (test/dev only)")
    p.add_argument("--port", type=int, default=8080, help="listen port on 127.0.0.1 (0 = any)")
    p.add_argument("--token", default=DEV_TOKEN, help="expected bearer token")
    p.add_argument("--current-key", default=DEV_CURRENT_KEY)
    p.add_argument("--next-key", default=DEV_NEXT_KEY)
    p.add_argument("--sign-with", choices=("current", "next"), default="current",
                   help="which signing key signs deliveries")
    p.add_argument("--dedup-window", type=float, default=600.0, help="seconds")
    p.add_argument("--default-retries", type=int, default=3)
    p.add_argument("--retry-backoff", default=",".join("%g" % x for x in DEFAULT_BACKOFF),
                   help="comma separated seconds, the last one repeats")
    p.add_argument("--max-retry-after", type=float, default=None,
                   help="cap on an honoured Retry-After, seconds (default unlimited)")
    p.add_argument("--delivery-timeout", type=float, default=30.0, help="seconds")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="multiplies Upstash-Delay and Upstash-Not-Before offsets")
    p.add_argument("--workers", type=int, default=64, help="concurrent deliveries")
    p.add_argument("--tls-insecure", action="store_true",
                   help="do not verify TLS certificates of https destinations")
    return p


def config_from_args(a):
    return Config(token=a.token, current_key=a.current_key, next_key=a.next_key,
                  sign_with=a.sign_with, dedup_window=a.dedup_window,
                  default_retries=a.default_retries, retry_backoff=parse_backoff(a.retry_backoff),
                  max_retry_after=a.max_retry_after, delivery_timeout=a.delivery_timeout,
                  time_scale=a.time_scale, tls_insecure=a.tls_insecure)


def main(argv=None):
    a = build_arg_parser().parse_args(argv)
    try:
        cfg = config_from_args(a)
    except ValueError as e:
        sys.stderr.write("qstash: %s\n" % e)
        return 2
    app = QStashStandin(cfg, workers=a.workers)
    httpd = app.serve(a.port)
    base.log_line(NAME, "time_scale=%g retry_backoff=%s max_retry_after=%s dedup_window=%gs "
                  "sign_with=%s" % (cfg.time_scale, cfg.retry_backoff, cfg.max_retry_after,
                                    cfg.dedup_window, cfg.sign_with))

    def _stop():
        with app.cond:
            app.stopping = True
            app.cond.notify_all()

    return base.run_forever(httpd, NAME, _stop)


if __name__ == "__main__":
    sys.exit(main())
