"""Both responders under valgrind (memcheck) through a representative run:
every webhook path, every track-lot path. A memory error or a definite leak
makes valgrind exit non-zero, which the stack reports at stop. Skipped in
the sanitizer build (ASan and valgrind do not mix)."""
import json
import os
import shutil
import unittest

from common import StackTest, callback, delivery, ingest, main, make_tweets, new_id, sign


@unittest.skipIf(os.environ.get("ET_SANITIZED") == "1" or not shutil.which("valgrind"),
                 "sanitizer build or no valgrind")
class Valgrind(StackTest):
    stack_args = {"start_apps": False, "threads": 2}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        st = cls.stack
        for app in ("webhook", "track-lot"):
            st.start_app(app, wrapper=["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                                       "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
                                       "--track-origins=yes"])

    def test_every_path_runs_clean(self):
        st = self.stack
        zone, rule = st.add_zone("valgrind")
        objs = make_tweets(st, [{"id": new_id(), "likes": i, "views": None if i % 2 else 10} for i in range(20)])
        bad = dict(objs[0], id="x1")
        self.assertEqual(st.post_webhook(delivery(rule, objs + [bad]))[0], 200)
        self.assertEqual(st.post_webhook(delivery(rule, objs))[0], 200)                 # duplicates
        self.assertEqual(st.post_webhook(delivery(rule, objs), key="nope")[0], 401)
        self.assertEqual(st.post_webhook({"event_type": "test_webhook_url"}, key=None)[0], 200)
        self.assertEqual(st.post_webhook(None, raw=b'{"tweets": [')[0], 400)
        self.assertEqual(st.post_webhook(delivery("unknown-rule", objs[:2]))[0], 202)
        lot, ids = ingest(st, rule, [{"id": new_id(), "likes": 1}, {"id": new_id(), "likes": 0}])
        st.upstream("POST", "/_standin/tweets", [{"id": t, "likes": 50} for t in ids])   # growing: followed on
        self.assertEqual(callback(st, lot)[0], 200)
        self.assertEqual(callback(st, lot)[0], 200)                                      # redelivery
        body = json.dumps(dict(lot, updateNumber=2)).encode()
        self.assertEqual(callback(st, None, raw=body, token=sign(body, "http://elsewhere/"))[0], 401)
        self.assertEqual(callback(st, dict(lot, updateNumber=99))[0], 400)
        st.upstream("POST", "/_standin/fail", {"mode": "500", "count": 1})
        self.assertEqual(callback(st, dict(lot, updateNumber=2))[0], 503)
        self.assertEqual(callback(st, dict(lot, updateNumber=2))[0], 200)
        st.stop_redis()
        self.assertEqual(callback(st, dict(lot, updateNumber=3))[0], 200)
        st.start_redis()
        # The stack stops both responders with SIGTERM and fails the class if
        # valgrind exits with 99.


if __name__ == "__main__":
    import sys
    if os.environ.get("ET_SANITIZED") == "1" or not shutil.which("valgrind"):
        print("skipped: sanitizer build or no valgrind")
        sys.exit(77)          # ctest reports it as skipped, not passed
    main()
