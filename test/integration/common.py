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
