"""A missing or invalid setting stops a responder at start, with a message
naming the setting (and never printing a secret)."""
import os
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ.get("ET_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "build")

GOOD = {
    "DATABASE_URL": "postgresql://et:s3cret-pw@127.0.0.1:1/et",
    "TWITTER_API_KEY": "api-key-do-not-print",
    "QSTASH_TOKEN": "token-do-not-print",
    "QSTASH_CURRENT_SIGNING_KEY": "sig_current_do_not_print",
    "QSTASH_NEXT_SIGNING_KEY": "sig_next_do_not_print",
    "APP_URL": "https://example.org",
}


def start(app, env, timeout=5):
    """Run the responder on a throwaway socket; (exit status or None if it kept running, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        e = {"PATH": os.environ.get("PATH", "/usr/bin")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env)
        p = subprocess.Popen([os.path.join(BUILD, "cgi-bin", app + ".fcgi"), "--listen", os.path.join(tmp, "s")],
                             env=e, stderr=subprocess.PIPE, text=True)
        try:
            _, err = p.communicate(timeout=timeout)
            return p.returncode, err
        except subprocess.TimeoutExpired:
            p.terminate()
            _, err = p.communicate()
            return None, err


class Config(unittest.TestCase):
    def refused(self, app, env, name):
        rc, err = start(app, env)
        self.assertEqual(rc, 1, err)
        self.assertIn(name, err)
        for secret in GOOD.values():
            if "print" in secret or "pw" in secret:
                self.assertNotIn(secret, err)

    def test_missing_settings_are_named(self):
        for name in ("DATABASE_URL", "TWITTER_API_KEY", "QSTASH_TOKEN", "APP_URL"):
            env = dict(GOOD)
            del env[name]
            self.refused("webhook", env, name)
        for name in ("QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY"):
            env = dict(GOOD)
            env[name] = ""                        # empty would turn signature checks off: refused
            self.refused("track-lot", env, name)

    def test_invalid_settings_are_named(self):
        cases = [("QSTASH_URL", "https://qstash.upstash.io/v2/publish"), ("QSTASH_URL", "qstash.upstash.io"),
                 ("WEBHOOK_MAX_TWEETS", "0"), ("WEBHOOK_MAX_TWEETS", "12abc"), ("TRACKING_INTERVAL_SECONDS", "-5"),
                 ("THRESHOLD_PERCENTILE", "1.5"), ("TRACKING_POLICY", "sometimes"), ("LOG_LEVEL", "loud"),
                 ("SIGNATURE_CHECK_SUBJECT", "maybe"), ("APP_URL", "example.org")]
        for name, value in cases:
            self.refused("webhook", dict(GOOD, **{name: value}), name)
        self.refused("track-lot", dict(GOOD, REDIS_URL="rediss://cache:6380"), "REDIS_URL")

    def test_a_database_url_libpq_cannot_parse_is_refused_without_echoing_it(self):
        rc, err = start("webhook", dict(GOOD, DATABASE_URL="postgresql://et:Zq7%xK2-pw@127.0.0.1:1/et"))
        self.assertEqual(rc, 1, err)
        self.assertIn("DATABASE_URL", err)
        self.assertNotIn("Zq7", err)

    def test_the_database_password_alone_is_masked_in_errors(self):
        env = dict(GOOD, DATABASE_URL="host=127.0.0.1 port=1 dbname=et user=et password=pw-only-7f3e connect_timeout=1")
        rc, err = start("webhook", env, timeout=1.5)
        self.assertIsNone(rc, err)
        self.assertNotIn("pw-only-7f3e", err)

    def test_next_public_app_url_is_the_fallback_and_good_settings_start(self):
        env = dict(GOOD)
        env["NEXT_PUBLIC_APP_URL"] = env.pop("APP_URL")
        rc, err = start("webhook", env, timeout=1.5)
        self.assertIsNone(rc, err)                # kept running: configuration accepted
        self.assertIn("app_url=https://example.org", err)
        for name, secret in GOOD.items():
            if name != "APP_URL":
                self.assertNotIn(secret, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
