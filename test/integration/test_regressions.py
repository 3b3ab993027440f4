"""Regressions found by review: inputs and races that once broke a
promise. Each test states the promise and asserts it in the database."""
import json
import threading
import time

from common import StackTest, callback, delivery, ingest, main, make_tweets, new_id, wait_for, wait_sent

def counts(st, zone):
    return st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (zone,))


class Regressions(StackTest):
    def setUp(self):
        self.zone, self.rule = self.stack.add_zone("bw-%s" % self._testMethodName)

    def _three(self):
        ids = [new_id(), new_id(), new_id()]
        objs = make_tweets(self.stack, [{"id": i, "likes": 1} for i in ids])
        return ids, objs

    def _expect_bad_one_rejected_alone(self, objs, bad_index):
        st = self.stack
        status, body, _ = st.post_webhook(delivery(self.rule, objs))
        self.assertEqual(status, 200, body)
        self.assertEqual(counts(st, self.zone), len(objs) - 1)
        self.assertEqual([r["index"] for r in body["rejected"]], [bad_index])

    def test_counter_sum_overflowing_bigint_is_rejected_alone(self):
        """Promise: a bad tweet inside a good batch is rejected alone.
        likeCount = 2^63-1 passes validation; total_engagement (GENERATED
        bigint sum) overflows in PostgreSQL -> 500 for all 3 tweets."""
        ids, objs = self._three()
        objs[1]["likeCount"] = 9223372036854775807
        objs[1]["retweetCount"] = 1
        self._expect_bad_one_rejected_alone(objs, 1)

    def test_created_at_year_zero_is_rejected_alone(self):
        ids, objs = self._three()
        objs[1]["createdAt"] = "0000-06-01T00:00:00Z"
        self._expect_bad_one_rejected_alone(objs, 1)

    def test_lone_surrogate_in_one_text_is_replaced(self):
        """Promise: bad input inside one tweet does not lose the others. A text
        cut in the middle of an emoji (a lone UTF-16 surrogate escape) once
        made the whole body a 400: now it is stored with U+FFFD."""
        st = self.stack
        ids, objs = self._three()
        objs[1]["text"] = "PLACEHOLDER"
        raw = json.dumps(delivery(self.rule, objs)).replace("PLACEHOLDER", "cut emoji \\ud83d")
        status, body, _ = st.post_webhook(None, raw=raw.encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(counts(st, self.zone), 3)
        self.assertEqual(st.scalar("SELECT text FROM twitter_tweets WHERE tweet_id = %s AND zone_id = %s",
                                   (ids[1], self.zone)), "cut emoji \ufffd")

    def test_nul_escape_in_one_text_is_replaced(self):
        st = self.stack
        ids, objs = self._three()
        objs[1]["text"] = "PLACEHOLDER"
        raw = json.dumps(delivery(self.rule, objs)).replace("PLACEHOLDER", "a\\u0000b")
        status, body, _ = st.post_webhook(None, raw=raw.encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(counts(st, self.zone), 3)
        self.assertEqual(st.scalar("SELECT raw_data->>'text' FROM twitter_tweets WHERE tweet_id = %s AND zone_id = %s",
                                   (ids[1], self.zone)), "a\ufffdb")

    def test_author_counter_overflow(self):
        ids, objs = self._three()
        objs[1]["author"]["followers"] = 9223372036854775807
        st = self.stack
        status, body, _ = st.post_webhook(delivery(self.rule, objs))
        self.assertEqual(status, 200, body)

    def test_created_at_far_future(self):
        ids, objs = self._three()
        objs[1]["createdAt"] = "9999-12-31T23:59:59-23:59"
        st = self.stack
        status, body, _ = st.post_webhook(delivery(self.rule, objs))
        self.assertEqual(status, 200, body)

    def test_profile_total_tweets_collected_not_doubled_by_concurrent_redelivery(self):
        """Promise: nothing doubled. Six concurrent copies of one delivery of
        one author's 5 tweets: 5 tweets stored; the author's
        total_tweets_collected should be 5."""
        st = self.stack
        author = "17%017d" % (int(time.time() * 1000) % 10 ** 17)
        ids = [new_id() for _ in range(5)]
        objs = make_tweets(st, [{"id": i, "likes": 1, "author_id": author} for i in ids])
        d = delivery(self.rule, objs)
        res = []
        ths = [threading.Thread(target=lambda: res.append(st.post_webhook(d)[0])) for _ in range(6)]
        [t.start() for t in ths]
        [t.join() for t in ths]
        self.assertEqual(res, [200] * 6)
        self.assertEqual(counts(st, self.zone), 5)
        n = st.scalar("SELECT total_tweets_collected FROM twitter_profiles WHERE twitter_user_id = %s", (author,))
        self.assertEqual(n, 5)

    def test_one_bad_parked_delivery_does_not_block_the_others(self):
        """Promise: an unknown-rule delivery is parked and stored by replay once
        the rule exists. One parked delivery with an overflowing counter makes
        ctl replay roll back the whole batch (good deliveries too) and exit 1,
        on every run: the good parked tweets are never stored."""
        st = self.stack
        rule = "rule-late-%d" % int(time.time() * 1000)
        ids, objs = self._three()
        bad = [dict(objs[0], likeCount=9223372036854775807, retweetCount=1)]
        self.assertEqual(st.post_webhook(delivery(rule, bad))[0], 202)
        self.assertEqual(st.post_webhook(delivery(rule, objs[1:]))[0], 202)
        zone = st.scalar("INSERT INTO zones (name) VALUES ('late') RETURNING id::text")
        st.sql("INSERT INTO twitter_rules (zone_id, tag, external_rule_id) VALUES (%s, 'late', %s)", (zone, rule))
        for run in range(2):
            st.ctl("replay")
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (zone,)), 2)

    def test_replay_never_publishes_a_lot_it_did_not_store(self):
        """ctl replay publishes each lot to QStash inside its open transaction
        (webhook_store -> outbox_publish before COMMIT). A later failure
        rolls the tweets back, but QStash keeps a message naming tweet ids
        that do not exist; every further run publishes another one."""
        st = self.stack
        rule = "rule-late2-%d" % int(time.time() * 1000)
        ids, objs = self._three()
        self.assertEqual(st.post_webhook(delivery(rule, objs[1:]))[0], 202)        # good, first
        bad = [dict(objs[0], likeCount=9223372036854775807, retweetCount=1)]
        self.assertEqual(st.post_webhook(delivery(rule, bad))[0], 202)             # poison, second
        zone = st.scalar("INSERT INTO zones (name) VALUES ('late2') RETURNING id::text")
        st.sql("INSERT INTO twitter_rules (zone_id, tag, external_rule_id) VALUES (%s, 'late2', %s)", (zone, rule))
        for _ in range(2):
            st.ctl("replay")
        ghost = [m for m in st.messages() if json.loads(m["body"]).get("zoneId") == zone]
        stored = st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (zone,))
        self.assertEqual(len(ghost), 0 if stored == 0 else 1)


def snapshots(st, ids):
    return st.scalar("SELECT count(*) FROM twitter_engagement_history WHERE tweet_id = ANY(%s::uuid[])", (list(ids),))


class TrackRegressions(StackTest):
    stack_args = {"env": {"LOT_CLAIM_SECONDS": "2", "OUTBOX_REDRIVE_SECONDS": "3"}}

    def setUp(self):
        self.zone, self.rule = self.stack.add_zone("rt-%s" % self._testMethodName)
        self.stack.upstream("POST", "/_standin/fail/clear", {})

    def test_one_absurd_counter_from_upstream_does_not_poison_the_lot(self):
        """Promise: nothing lost. One tweet of a lot coming back with a counter
        beyond any real value (once: 500 on every retry for the whole lot) is
        left out; the others get their snapshot."""
        st = self.stack
        a, b, c = new_id(), new_id(), new_id()
        lot, ids = ingest(st, self.rule, [{"id": x, "likes": 1} for x in (a, b, c)])
        st.upstream("POST", "/_standin/tweets", [{"id": a, "likes": 9223372036854775807, "retweets": 1},
                                                 {"id": b, "likes": 5}, {"id": c, "likes": 6}])
        status, answer, _ = callback(st, lot)
        self.assertEqual(status, 200, answer)
        self.assertEqual(snapshots(st, [ids[b], ids[c]]), 2)
        self.assertEqual(st.scalar("SELECT stop_reason FROM twitter_engagement_tracking WHERE tweet_db_id = %s",
                                   (ids[a],)), "not_found")

class LostLotRegression(StackTest):
    """QStash delivers by itself here (1 s interval)."""
    # QStash's retries here span about 7 s (backoff 1, 2, 4 s): the grace
    # before a redrive must be longer, as it is in production (1 h).
    stack_args = {"env": {"TRACKING_INTERVAL_SECONDS": "1", "TRACKING_AGE_LIMIT_SECONDS": "600",
                          "OUTBOX_REDRIVE_SECONDS": "10"}}

    def test_a_lot_qstash_gave_up_on_is_sent_again(self):
        """Promise: a scheduled lot is never lost. The upstream is down while
        QStash spends all its retries and dead-letters the callback; once
        the upstream is back, a flush sends the update again (new
        deduplication id) and it completes once."""
        st = self.stack
        zone, rule = st.add_zone("lost-lot")
        st.upstream("POST", "/_standin/fail", {"mode": "503", "count": -1})
        lot, ids = ingest(st, rule, [{"id": new_id(), "likes": 3} for _ in range(3)])
        wait_sent(st, lot["lotId"])
        wait_for(lambda: [m for m in st.messages() if m["dedup_id"] == lot["lotId"]][0]["state"] == "dead",
                 timeout=60, what="QStash to give up")
        st.upstream("POST", "/_standin/fail/clear", {})
        self.assertEqual(snapshots(st, ids.values()), 0)
        # OUTBOX_REDRIVE_SECONDS after it was due, a flush (the timer's
        # command, or a responder's own periodic flush) sends it again.
        deadline = time.time() + 30
        while time.time() < deadline and not [m for m in st.messages() if m["dedup_id"] == "%s:1:r1" % lot["lotId"]]:
            r = st.ctl("flush-outbox")
            self.assertEqual(r.returncode, 0, r.stderr)
            time.sleep(0.5)
        self.assertEqual(len([m for m in st.messages() if m["dedup_id"] == "%s:1:r1" % lot["lotId"]]), 1)
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_history WHERE lot_id = %s"
                                   " AND update_number = 1", (lot["lotId"],)) == 3,
                 timeout=20, what="the update to run")
        self.assertIsNotNone(st.scalar("SELECT done_at FROM engagement_outbox WHERE lot_id = %s AND update_number = 1",
                                       (lot["lotId"],)))

if __name__ == "__main__":
    main()
