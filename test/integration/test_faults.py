"""Faults in the middle of the work. Each test states the promise it
checks, and checks it in the database."""
import json
import os
import signal
import threading
import time

from common import (StackTest, callback, delivery, ingest, main, make_tweets, new_id, published, sign,
                    upstream_stats, wait_for)


def snapshots(st, ids):
    return st.scalar("SELECT count(*) FROM twitter_engagement_history WHERE tweet_id = ANY(%s::uuid[])", (list(ids),))


class Faults(StackTest):
    stack_args = {"env": {"LOT_CLAIM_SECONDS": "2", "UPSTREAM_TIMEOUT_MS": "5000"}}

    def setUp(self):
        self.zone, self.rule = self.stack.add_zone("faults-%s" % self._testMethodName)

    def test_worker_killed_mid_lot_the_retry_completes_it_once(self):
        """Promise: a worker killed with SIGKILL in the middle of a lot loses
        nothing and doubles nothing: QStash's retry completes the update once."""
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 2} for _ in range(5)])
        st.upstream("POST", "/_standin/fail", {"mode": "slow", "delay": 3, "count": 1})
        t = threading.Thread(target=lambda: callback(st, lot))
        t.start()
        wait_for(lambda: st.scalar("SELECT count(*) FROM engagement_lot_updates WHERE lot_id = %s", (lot["lotId"],)) == 1,
                 what="the claim")
        st.stop_app("track-lot", signal.SIGKILL)          # mid-fetch
        t.join()
        self.assertEqual(snapshots(st, ids.values()), 0)  # nothing half-written
        st.start_app("track-lot")
        status, answer, hdrs = callback(st, lot)          # the lease still runs: come back later
        self.assertEqual(status, 503, answer)
        self.assertEqual(answer["error"], "in_progress")
        self.assertIn("Retry-After", hdrs)
        time.sleep(2.2)                                   # LOT_CLAIM_SECONDS
        status, summary, _ = callback(st, lot)
        self.assertEqual((status, summary["processed"]), (200, 5), summary)
        self.assertEqual(snapshots(st, ids.values()), 5)
        self.assertEqual(callback(st, lot)[1].get("duplicate"), True)
        self.assertEqual(snapshots(st, ids.values()), 5)
        self.assertEqual(st.scalar("SELECT count(*) FROM engagement_outbox WHERE lot_id = %s AND update_number = 2",
                                   (lot["lotId"],)), 1)

    def test_postgres_restarted_in_the_middle_of_a_callback(self):
        """Promise: PostgreSQL going away during a callback answers 503 and
        writes nothing; once it is back the retry completes the update once."""
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 2} for _ in range(3)])
        st.upstream("POST", "/_standin/fail", {"mode": "slow", "delay": 2, "count": 1})
        result = []
        t = threading.Thread(target=lambda: result.append(callback(st, lot)))
        t.start()
        time.sleep(0.7)                       # the callback is waiting on the upstream
        st.stop_pg()
        t.join()
        self.assertEqual(result[0][0], 503, result[0][1])
        st.start_pg()
        self.assertEqual(snapshots(st, ids.values()), 0)
        time.sleep(2.2)                       # the claim could not be released while the database was down
        status, summary, _ = callback(st, lot)
        self.assertEqual((status, summary["processed"]), (200, 3), summary)
        self.assertEqual(snapshots(st, ids.values()), 3)

    def test_postgres_restarted_between_requests_reconnects(self):
        """Promise: a restart between requests costs no request: the idle
        connection is replaced and the statement sent once more."""
        st = self.stack
        st.restart_pg()
        status, body, _ = st.post_webhook(delivery(self.rule, make_tweets(st, [{"id": new_id()}])))
        self.assertEqual((status, body["created"]), (200, 1))
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 1}])
        st.restart_pg()
        self.assertEqual(callback(st, lot)[0], 200)
        self.assertEqual(snapshots(st, ids.values()), 1)

    def test_qstash_down_when_scheduling_the_next_update(self):
        """Promise: a next update that QStash refuses waits in the outbox and
        is published exactly once later (by a later request or the command)."""
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 1}])
        st.upstream("POST", "/_standin/tweets", [{"id": t, "likes": 5} for t in ids])
        st.qstash("POST", "/_standin/fail", {"status": 500, "count": -1})
        dedup = "%s:2" % lot["lotId"]
        try:
            status, summary, _ = callback(st, lot)
            self.assertEqual((status, summary["nextUpdate"]), (200, 2), summary)
            # Published after the answer: wait for the refused attempt.
            wait_for(lambda: st.scalar("SELECT attempts FROM engagement_outbox WHERE dedup_id = %s", (dedup,)) >= 1,
                     what="the refused publish")
        finally:
            st.qstash("POST", "/_standin/fail/clear", {})
        self.assertIsNone(st.scalar("SELECT sent_at FROM engagement_outbox WHERE dedup_id = %s", (dedup,)))
        time.sleep(1.1)
        for _ in range(2):
            st.ctl("flush-outbox")
        self.assertIsNotNone(st.scalar("SELECT sent_at FROM engagement_outbox WHERE dedup_id = %s", (dedup,)))
        self.assertEqual(len([m for m in published(st) if m["dedup_id"] == dedup]), 1)

    def test_webhook_delivered_n_times_concurrently_with_overlapping_tweets(self):
        """Promise: overlapping deliveries racing each other store each tweet
        once and put each new tweet in exactly one lot."""
        st = self.stack
        objs = make_tweets(st, [{"id": new_id()} for _ in range(30)])
        bodies = [delivery(self.rule, objs[i:i + 15]) for i in (0, 5, 10, 15)] * 2
        results = []
        threads = [threading.Thread(target=lambda b=b: results.append(st.post_webhook(b)[:2])) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(s == 200 for s, _ in results), results)
        self.assertEqual(sum(b["created"] for _, b in results), 30)
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (self.zone,)), 30)
        lots = [b["lotId"] for _, b in results if b["lotId"]]
        members = st.sql("SELECT jsonb_array_elements_text(body::jsonb->'tweetDbIds') AS id FROM engagement_outbox"
                         " WHERE lot_id = ANY(%s)", (lots,))
        self.assertEqual(len(members), 30)
        self.assertEqual(len({m["id"] for m in members}), 30)

    def test_clock_skew_within_and_beyond_the_tolerance(self):
        """Promise: a signer clock off by less than the tolerance (30 s) is
        accepted; beyond it the call is refused and nothing is touched."""
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 1}])
        body = json.dumps(lot).encode()
        now = int(time.time())
        for name, token in (("exp 20 s ago", sign(body, st.track_url, now=now - 320)),
                            ("nbf 20 s ahead", sign(body, st.track_url, nbf=now + 20)),
                            ("exp 60 s ago", sign(body, st.track_url, now=now - 360)),
                            ("nbf 60 s ahead", sign(body, st.track_url, nbf=now + 60))):
            status, answer, _ = callback(st, lot, token=token)
            expect = 401 if "60" in name else 200
            self.assertEqual(status, expect, (name, answer))
        self.assertEqual(snapshots(st, ids.values()), 1)

    def test_upstream_down_for_the_whole_lot_life_loses_nothing(self):
        """Promise: while the upstream keeps failing nothing is written and
        nothing stops; when it recovers the same callback completes."""
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 3} for _ in range(4)])
        st.upstream("POST", "/_standin/fail", {"mode": "503", "count": 5})
        for _ in range(5):
            self.assertEqual(callback(st, lot)[0], 503)
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_engagement_tracking WHERE tweet_db_id = ANY(%s::uuid[])"
                                   " AND tier = 'hot' AND update_count = 0", (list(ids.values()),)), 4)
        self.assertEqual(callback(st, lot)[0], 200)
        self.assertEqual(snapshots(st, ids.values()), 4)


if __name__ == "__main__":
    main()
