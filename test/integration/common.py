"""Shared helpers for the integration tests (on top of harness.Stack)."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "local-stack"))
import stack as harness  # noqa: E402
from stack import Stack, wait_for  # noqa: E402,F401


def make_tweets(stack, specs):
    """Register tweets in the upstream stand-in and return their full Tweet
    objects as the upstream would deliver them. specs: list of dicts with
    id, created_at, likes, retweets, replies, quotes, views, ..."""
    stack.upstream("POST", "/_standin/tweets", specs)
    ids = ",".join(s["id"] for s in specs)
    return stack.upstream("GET", "/_standin/tweet-objects?ids=" + ids)["tweets"]


def delivery(rule_id, tweets):
    return {"event_type": "tweet", "rule_id": rule_id, "rule_tag": "test_rule", "tweets": tweets,
            "timestamp": int(time.time() * 1000)}


_seq = [int(time.time() * 1000) % 10 ** 9]


def new_id():
    """A fresh 19-digit tweet id."""
    _seq[0] += 1
    return "20327473%011d" % _seq[0]


def published(stack):
    """Messages the QStash stand-in accepted (not the deduplicated ones)."""
    m = stack.messages()
    return m["messages"] if isinstance(m, dict) else m


class StackTest(unittest.TestCase):
    """One stack per test class (booted in setUpClass)."""
    stack_args = {}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(cls.__name__, **cls.stack_args)
        try:
            cls.stack.start()
        except BaseException:
            cls.stack.failed = True
            cls.stack.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        st = cls.stack
        # Secrets never appear in any log line of the run.
        logs = st.logs()
        leaked = [s for s in harness.SECRETS if s in logs]
        st.stop()
        if leaked:
            raise AssertionError("secret values found in logs: %d" % len(leaked))

    def run(self, result=None):
        r = super().run(result)
        if result is not None and (result.failures or result.errors):
            self.stack.failed = True
        return r


def main():
    unittest.main(verbosity=2)


# ---------- QStash-style signed callbacks, made by the test itself ----------
import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402


def b64url(data, pad=False):
    s = base64.urlsafe_b64encode(data).decode()
    return s if pad else s.rstrip("=")


def sign(body, url, key=harness.CURRENT_KEY, alg="HS256", iss="Upstash", exp_in=300, nbf=0,
         now=None, body_claim=None):
    """An Upstash-Signature JWT for body (bytes) delivered to url."""
    now = int(time.time()) if now is None else now
    header = {"alg": alg, "typ": "JWT"}
    claims = {"iss": iss, "sub": url, "exp": now + exp_in, "nbf": nbf, "iat": now,
              "jti": "jwt_%s" % os.urandom(8).hex(),
              "body": body_claim if body_claim is not None else b64url(hashlib.sha256(body).digest(), pad=True)}
    signing_input = "%s.%s" % (b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()))
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(alg)
    sig = b64url(hmac.new(key.encode(), signing_input.encode(), digest).digest()) if digest else ""
    return signing_input + "." + sig


def callback(stack, lot, token=None, raw=None, headers=None):
    """POST a lot message to track-lot as QStash would. Returns (status, json, headers)."""
    body = raw if raw is not None else json.dumps(lot).encode()
    h = {"Content-Type": "application/json", "User-Agent": "Upstash-QStash", "Upstash-Retried": "0"}
    if token is not False:
        h["Upstash-Signature"] = token or sign(body, stack.track_url)
    h.update(headers or {})
    return stack.http("POST", stack.track_url, body, h)


def ingest(stack, rule, specs):
    """Deliver tweets through the webhook; return (lot message dict, {tweet_id: db id})."""
    status, answer, _ = stack.post_webhook(delivery(rule, make_tweets(stack, specs)))
    assert status == 200 and answer["lotId"], answer
    body = stack.scalar("SELECT body FROM engagement_outbox WHERE lot_id = %s AND update_number = 1",
                        (answer["lotId"],))
    ids = {r["tweet_id"]: r["id"] for r in stack.sql(
        "SELECT t.tweet_id, t.id::text FROM twitter_tweets t JOIN twitter_engagement_tracking tr"
        " ON tr.tweet_db_id = t.id WHERE tr.lot_id = %s", (answer["lotId"],))}
    return json.loads(body), ids


def wait_sent(stack, dedup_id, timeout=10):
    """Lots are published after the answer: wait until QStash accepted it."""
    wait_for(lambda: stack.scalar("SELECT sent_at IS NOT NULL FROM engagement_outbox WHERE dedup_id = %s",
                                  (dedup_id,)), timeout=timeout, what="publish of %s" % dedup_id)


def wait_attempted(stack, dedup_id, timeout=10):
    """Wait until a publish of the outbox row was attempted (and failed or not)."""
    wait_for(lambda: (stack.scalar("SELECT attempts FROM engagement_outbox WHERE dedup_id = %s", (dedup_id,)) or 0) >= 1,
             timeout=timeout, what="a publish attempt of %s" % dedup_id)


def upstream_stats(stack):
    return stack.upstream("GET", "/_standin/stats")
