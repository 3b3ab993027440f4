"""track-lot.fcgi behind nginx with real PostgreSQL, Redis and the two
stand-ins. Callbacks are signed by the test itself (the QStash stand-in's
own deliveries are an hour away), so each case controls exactly what
arrives; the chained run at the end lets the stand-in drive everything."""
import json
import threading
import time

from common import (StackTest, callback, ingest, main, new_id, sign, upstream_stats, wait_for, wait_sent)


def calls_for(st, tweet_ids):
    """Upstream calls that asked for any of these tweets. Counting only
    them keeps a slow answer from an earlier test (accounted when it ends)
    out of the comparison."""
    wanted = set(tweet_ids)
    return sum(1 for c in upstream_stats(st)["calls_log"] if wanted & set(c.get("ids") or []))


def history(st, db_ids):
    return st.scalar("SELECT count(*) FROM twitter_engagement_history WHERE tweet_id = ANY(%s::uuid[])",
                     (list(db_ids),))


def tracking(st, db_id):
    return st.sql("SELECT tier, update_count, stop_reason, next_slot, missing_count"
                  " FROM twitter_engagement_tracking WHERE tweet_db_id = %s", (db_id,))[0]


def state_of(st, lot, db_ids):
    """Everything a callback may write, to compare before and after."""
    return (history(st, db_ids),
            st.sql("SELECT tier, update_count, stop_reason, next_slot, missing_count FROM twitter_engagement_tracking"
                   " WHERE tweet_db_id = ANY(%s::uuid[]) ORDER BY tweet_db_id", (list(db_ids),)),
            st.sql("SELECT like_count, retweet_count, view_count FROM twitter_tweets"
                   " WHERE id = ANY(%s::uuid[]) ORDER BY id", (list(db_ids),)),
            st.scalar("SELECT count(*) FROM engagement_outbox WHERE lot_id = %s", (lot["lotId"],)),
            st.scalar("SELECT count(*) FROM engagement_lot_updates WHERE lot_id = %s AND done_at IS NOT NULL",
                      (lot["lotId"],)))


class Track(StackTest):
    """Default settings (1 h interval): nothing is delivered by the stand-in
    during the test; the test delivers."""
    stack_args = {"env": {"UPSTREAM_BATCH_SIZE": "50"}}

    def setUp(self):
        self.zone, self.rule = self.stack.add_zone("track-%s" % self._testMethodName)

    def test_update_writes_metrics_snapshot_and_schedules_survivors(self):
        st = self.stack
        a, b = new_id(), new_id()
        lot, ids = ingest(st, self.rule, [{"id": a, "likes": 5, "views": 100},
                                          {"id": b, "likes": 0, "views": None}])
        st.upstream("POST", "/_standin/tweets", [{"id": a, "likes": 9, "retweets": 2, "views": 150},
                                                 {"id": b, "likes": 0, "views": None}])
        status, summary, _ = callback(st, lot)
        self.assertEqual(status, 200, summary)
        self.assertEqual((summary["processed"], summary["continued"], summary["stopped"], summary["missing"]),
                         (2, 1, 1, 0))
        snap = st.sql("SELECT like_count, retweet_count, view_count, total_engagement, delta_likes,"
                      " delta_retweets, delta_views, engagement_velocity, update_number, lot_id"
                      " FROM twitter_engagement_history WHERE tweet_id = %s", (ids[a],))[0]
        self.assertEqual((snap["like_count"], snap["retweet_count"], snap["view_count"], snap["total_engagement"],
                          snap["delta_likes"], snap["delta_retweets"], snap["delta_views"], snap["update_number"]),
                         (9, 2, 150, 11, 4, 2, 50, 1))
        self.assertGreater(snap["engagement_velocity"], 0)
        self.assertEqual(snap["lot_id"], lot["lotId"])
        self.assertEqual(st.scalar("SELECT like_count FROM twitter_tweets WHERE id = %s", (ids[a],)), 9)
        ta, tb = tracking(st, ids[a]), tracking(st, ids[b])
        self.assertEqual((ta["tier"], ta["update_count"], ta["stop_reason"], ta["next_slot"]), ("hot", 1, None, 2))
        self.assertEqual((tb["tier"], tb["update_count"], tb["stop_reason"]), ("cold", 1, "no_change_below_threshold"))
        wait_sent(st, "%s:2" % lot["lotId"])
        nxt = st.sql("SELECT dedup_id, body, sent_at FROM engagement_outbox WHERE lot_id = %s AND update_number = 2",
                     (lot["lotId"],))[0]
        self.assertEqual(nxt["dedup_id"], "%s:2" % lot["lotId"])
        self.assertEqual(json.loads(nxt["body"])["tweetDbIds"], [ids[a]])
        self.assertIsNotNone(nxt["sent_at"])
        msgs = [m for m in st.messages() if m["dedup_id"] == "%s:2" % lot["lotId"]]
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0]["delay_header"], "3600s")

    def test_missing_viewcount_keeps_views_and_views_never_go_down(self):
        st = self.stack
        a = new_id()
        lot, ids = ingest(st, self.rule, [{"id": a, "likes": 1, "views": 500}])
        st.upstream("POST", "/_standin/tweets", [{"id": a, "likes": 2, "views": None}])
        self.assertEqual(callback(st, lot)[0], 200)
        self.assertEqual(st.scalar("SELECT view_count FROM twitter_tweets WHERE id = %s", (ids[a],)), 500)
        lot2 = dict(lot, updateNumber=2)
        st.upstream("POST", "/_standin/tweets", [{"id": a, "likes": 3, "views": 200}])
        self.assertEqual(callback(st, lot2)[0], 200)
        self.assertEqual(st.scalar("SELECT view_count FROM twitter_tweets WHERE id = %s", (ids[a],)), 500)

    def test_tweets_older_than_the_age_limit_stop_at_once(self):
        st = self.stack
        old = new_id()
        lot, ids = ingest(st, self.rule, [{"id": old, "likes": 50, "created_at": int(time.time()) - 7 * 3600}])
        st.upstream("POST", "/_standin/tweets", [{"id": old, "likes": 80}])
        status, summary, _ = callback(st, lot)
        self.assertEqual((status, summary["stopped"], summary["nextUpdate"]), (200, 1, None))
        t = tracking(st, ids[old])
        self.assertEqual((t["tier"], t["stop_reason"], t["update_count"]), ("cold", "age_limit_6h", 1))
        self.assertEqual(history(st, ids.values()), 1)

    def test_a_lot_of_120_tweets_takes_3_upstream_calls(self):
        st = self.stack
        specs = [{"id": new_id(), "likes": 1} for _ in range(120)]
        lots = []
        for i in range(0, 120, 60):     # two deliveries (the webhook takes 100 at most)
            lots.append(ingest(st, self.rule, specs[i:i + 60]))
        lot = dict(lots[0][0], tweetDbIds=lots[0][0]["tweetDbIds"] + lots[1][0]["tweetDbIds"])
        before = upstream_stats(st)
        status, summary, _ = callback(st, lot)
        after = upstream_stats(st)
        self.assertEqual(status, 200, summary)
        self.assertEqual(after["calls"] - before["calls"], 3)
        self.assertEqual(after["tweets_returned"] - before["tweets_returned"], 120)
        self.assertEqual((summary["processed"], summary["upstreamCalls"]), (120, 3))
        self.assertEqual(history(st, lot["tweetDbIds"]), 120)

    def test_every_signature_failure_is_401_and_touches_nothing(self):
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 3}])
        body = json.dumps(lot).encode()
        now = int(time.time())
        tampered = json.dumps(dict(lot, updateNumber=2)).encode()
        cases = {
            "unsigned": (False, body),
            "garbage": ("not.a.jwt", body),
            "wrong key": (sign(body, st.track_url, key="sig_forgedforgedforgedforged"), body),
            "expired": (sign(body, st.track_url, now=now - 1000), body),
            "not yet valid": (sign(body, st.track_url, nbf=now + 600), body),
            "tampered body": (sign(body, st.track_url), tampered),
            "wrong subject": (sign(body, "http://evil.example/track"), body),
            "wrong issuer": (sign(body, st.track_url, iss="NotUpstash"), body),
            "alg none": (sign(body, st.track_url, alg="none"), body),
            "HS512": (sign(body, st.track_url, alg="HS512"), body),
            "body hash of nothing": (sign(body, st.track_url, body_claim=""), body),
        }
        before_calls = calls_for(st, ids)
        before = state_of(st, lot, ids.values())
        for name, (token, raw) in cases.items():
            status, answer, _ = callback(st, lot, token=token, raw=raw)
            self.assertEqual(status, 401, (name, answer))
            self.assertEqual(answer["error"], "unauthorized")
        self.assertEqual(state_of(st, lot, ids.values()), before)
        self.assertEqual(st.scalar("SELECT count(*) FROM engagement_lot_updates WHERE lot_id = %s", (lot["lotId"],)), 0)
        self.assertEqual(calls_for(st, ids), before_calls)
        # The next signing key is accepted too (key rotation).
        token = sign(body, st.track_url, key=st.env()["QSTASH_NEXT_SIGNING_KEY"])
        self.assertEqual(callback(st, lot, token=token)[0], 200)

    def test_bad_payloads_are_400(self):
        st = self.stack
        lot, _ = ingest(st, self.rule, [{"id": new_id()}])
        for bad in (dict(lot, updateNumber=0), dict(lot, updateNumber=7), dict(lot, tweetDbIds=[]),
                    dict(lot, tweetDbIds=["not-a-uuid"]), dict(lot, zoneId=None), {"lotId": "x"}):
            status, answer, _ = callback(st, bad)
            self.assertEqual(status, 400, (bad, answer))
        status, answer, _ = callback(st, None, raw=b"{not json")
        self.assertEqual(status, 400)

    def test_redelivery_in_sequence_changes_nothing_and_calls_nobody(self):
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 2}, {"id": new_id(), "likes": 0}])
        first = callback(st, lot)
        self.assertEqual(first[0], 200)
        calls = calls_for(st, ids)
        before = state_of(st, lot, ids.values())
        again = callback(st, lot)
        self.assertEqual(again[0], 200)
        self.assertTrue(again[1]["duplicate"])
        self.assertEqual({k: v for k, v in again[1].items() if k != "duplicate"}, first[1])
        self.assertEqual(state_of(st, lot, ids.values()), before)
        self.assertEqual(calls_for(st, ids), calls)

    def test_redelivery_at_the_same_moment_has_one_effect(self):
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": i} for i in range(10)])
        st.upstream("POST", "/_standin/fail", {"mode": "slow", "delay": 0.5, "count": 1})
        body = json.dumps(lot).encode()
        results = []

        def deliver():
            results.append(callback(st, lot, token=sign(body, st.track_url))[:2])
        threads = [threading.Thread(target=deliver) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(s for s, _ in results)
        self.assertIn(200, statuses)
        self.assertTrue(all(s in (200, 503) for s in statuses), results)
        self.assertEqual(history(st, ids.values()), 10)
        self.assertEqual(st.scalar("SELECT sum(update_count) FROM twitter_engagement_tracking"
                                   " WHERE tweet_db_id = ANY(%s::uuid[])", (list(ids.values()),)), 10)
        self.assertEqual(st.scalar("SELECT count(*) FROM engagement_outbox WHERE lot_id = %s AND update_number = 2",
                                   (lot["lotId"],)), 1)
        # Those told to retry get the first result when they come back.
        status, again, _ = callback(st, lot)
        self.assertEqual((status, again.get("duplicate")), (200, True))

    def test_redis_down_threshold_comes_from_the_database(self):
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 4}])
        st.stop_redis()
        try:
            status, summary, _ = callback(st, lot)
            self.assertEqual(status, 200, summary)
            self.assertEqual(history(st, ids.values()), 1)
            self.assertEqual(summary["threshold"], 4)        # P25 of the zone's only tweet
            self.assertIn("redis unavailable", st.app_log("track-lot"))
        finally:
            st.start_redis()
        time.sleep(2.2)                                       # the cache client's back-off after a failure
        lot2, ids2 = ingest(st, self.rule, [{"id": new_id(), "likes": 4}])
        self.assertEqual(callback(st, lot2)[0], 200)
        # Back in use: the zone threshold is cached again, with its TTL.
        self.assertEqual(st.redis("GET", "zone:%s:threshold" % self.zone), "4")
        self.assertGreater(int(st.redis("TTL", "zone:%s:threshold" % self.zone)), 3000)

    def test_each_upstream_failure_is_503_writes_nothing_then_retry_succeeds(self):
        st = self.stack
        for mode, extra in (("429", {"retry_after": 7}), ("429", {}), ("500", {}), ("503", {}),
                            ("status_error", {}), ("drop", {"count": 2}), ("402", {}), ("bad_json", {}),
                            ("slow", {"delay": 3})):
            with self.subTest(mode=mode, **extra):
                lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 1}, {"id": new_id(), "likes": 2}])
                before = state_of(st, lot, ids.values())
                st.upstream("POST", "/_standin/fail", dict({"mode": mode, "count": 1}, **extra))  # drop: curl resends once
                status, answer, hdrs = callback(st, lot)
                self.assertEqual(status, 503, answer)
                self.assertEqual(answer["error"], "upstream_unavailable")
                if extra.get("retry_after"):
                    self.assertEqual(hdrs.get("Retry-After"), "7")
                self.assertEqual(state_of(st, lot, ids.values()), before)
                st.upstream("POST", "/_standin/fail/clear", {})
                status, summary, _ = callback(st, lot)      # QStash's retry
                self.assertEqual(status, 200, summary)
                self.assertEqual(history(st, ids.values()), 2)

    def test_an_all_empty_answer_stops_nobody_at_once(self):
        st = self.stack
        a, b = new_id(), new_id()
        lot, ids = ingest(st, self.rule, [{"id": a, "likes": 3}, {"id": b, "likes": 3}])
        st.upstream("POST", "/_standin/fail", {"mode": "empty", "count": 1})
        status, summary, _ = callback(st, lot)
        self.assertEqual((status, summary["missing"], summary["stopped"], summary["nextUpdate"]), (200, 2, 0, 2))
        self.assertEqual(history(st, ids.values()), 0)
        self.assertEqual([tracking(st, ids[x])["tier"] for x in (a, b)], ["hot", "hot"])
        # Missing again at the next update: now they are gone.
        st.upstream("POST", "/_standin/fail", {"mode": "empty", "count": 1})
        status, summary, _ = callback(st, dict(lot, updateNumber=2))
        self.assertEqual((status, summary["stopped"]), (200, 2))
        self.assertEqual([tracking(st, ids[x])["stop_reason"] for x in (a, b)], ["not_found", "not_found"])

    def test_a_deleted_tweet_among_found_ones_stops_as_not_found(self):
        st = self.stack
        a, b = new_id(), new_id()
        lot, ids = ingest(st, self.rule, [{"id": a, "likes": 3}, {"id": b, "likes": 3}])
        st.upstream("POST", "/_standin/delete", {"ids": [b]})
        status, summary, _ = callback(st, lot)
        self.assertEqual((status, summary["missing"], summary["stopped"]), (200, 1, 1))
        self.assertEqual(tracking(st, ids[b])["stop_reason"], "not_found")
        self.assertEqual(tracking(st, ids[a])["tier"], "hot")

    def test_unknown_and_foreign_ids_touch_nothing_else(self):
        st = self.stack
        lot, ids = ingest(st, self.rule, [{"id": new_id(), "likes": 1}])
        other, other_ids = ingest(st, self.rule, [{"id": new_id(), "likes": 1}])
        ghost = "00000000-0000-4000-8000-000000000000"
        before_other = state_of(st, other, other_ids.values())
        status, summary, _ = callback(st, dict(lot, tweetDbIds=lot["tweetDbIds"] + [ghost]))
        self.assertEqual(status, 200, summary)
        self.assertEqual(summary["unknown"], [ghost])
        self.assertEqual(summary["processed"], 1)
        self.assertEqual(state_of(st, other, other_ids.values()), before_other)


class Chain(StackTest):
    """The worked example of the decision rule (README, "Tracking policies"), driven end to end by the
    QStash stand-in with a compressed clock (1 interval = 2 s)."""
    stack_args = {"env": {"TRACKING_INTERVAL_SECONDS": "2", "TRACKING_AGE_LIMIT_SECONDS": "12"}}

    def test_worked_example(self):
        st = self.stack
        zone, rule = st.add_zone("worked-example")
        t0 = time.time()
        ida, idb, idc, idd = (new_id() for _ in range(4))
        now = int(t0)
        specs = [{"id": ida, "created_at": now, "likes": 0}, {"id": idb, "created_at": now, "likes": 5},
                 {"id": idc, "created_at": now, "likes": 0}, {"id": idd, "created_at": now, "likes": 50}]
        before = upstream_stats(st)
        lot, ids = ingest(st, rule, specs)
        # Engagement over time (the stand-in answers the last point <= now).
        st.upstream("POST", "/_standin/timeline", {"id": idb, "points": [[t0, 5, 0, 0, 0, 10], [t0 + 1, 8, 0, 0, 0, 20]]})
        st.upstream("POST", "/_standin/timeline", {"id": idc, "points": [[t0, 0, 0, 0, 0, 10], [t0 + 1, 2, 0, 0, 0, 20]]})
        st.upstream("POST", "/_standin/timeline", {"id": idd, "points": [[t0, 50, 0, 0, 0, 10], [t0 + 1, 120, 0, 0, 0, 20],
                                                                        [t0 + 3, 350, 0, 0, 0, 30]]})
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_tracking tr JOIN twitter_tweets t"
                                   " ON t.id = tr.tweet_db_id WHERE t.zone_id = %s AND tier = 'hot'", (zone,)) == 0,
                 timeout=60, what="the lot to finish")
        snaps = {tid: st.scalar("SELECT count(*) FROM twitter_engagement_history WHERE tweet_id = %s", (ids[tid],))
                 for tid in (ida, idb, idc, idd)}
        self.assertEqual([snaps[x] for x in (ida, idb, idc, idd)], [1, 6, 6, 6])
        reasons = [tracking(st, ids[x])["stop_reason"] for x in (ida, idb, idc, idd)]
        self.assertEqual(reasons, ["no_change_below_threshold", "age_limit_6h", "age_limit_6h", "age_limit_6h"])
        after = upstream_stats(st)
        self.assertEqual(after["tweets_returned"] - before["tweets_returned"], 19)   # instead of 24
        self.assertEqual(st.scalar("SELECT like_count FROM twitter_tweets WHERE id = %s", (ids[idd],)), 350)
        self.assertEqual(st.scalar("SELECT count(*) FROM engagement_outbox WHERE lot_id = %s AND sent_at IS NULL",
                                   (lot["lotId"],)), 0)
        self.assertEqual(st.scalar("SELECT count(*) FROM engagement_lot_updates WHERE lot_id = %s AND done_at IS NOT NULL",
                                   (lot["lotId"],)), 6)
        # The evaluator replays the product's own history: the default rule
        # reproduces what ran (19 polls for 4 tweets), blind would be 24.
        r = st.ctl("evaluate", "--from-db", "--policy", "all", "--csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {line.split(",")[1]: line.split(",") for line in r.stdout.splitlines() if line.startswith("database")}
        self.assertEqual(rows["default"][2], "4")
        self.assertAlmostEqual(float(rows["default"][3]), 19 / 4)
        self.assertAlmostEqual(float(rows["blind"][3]), 6.0)


class ChainAdaptive(StackTest):
    """The adaptive policy run by track-lot itself: a quiet tweet is observed
    at 1 h and 6 h only (it rides along in the lot's messages in between
    without being fetched), a fast-growing one every hour while it grows."""
    stack_args = {"env": {"TRACKING_INTERVAL_SECONDS": "2", "TRACKING_AGE_LIMIT_SECONDS": "12",
                          "TRACKING_POLICY": "adaptive"}}

    def test_quiet_tweets_skip_to_the_last_update(self):
        st = self.stack
        zone, rule = st.add_zone("adaptive")
        t0 = time.time()
        quiet, fast = new_id(), new_id()
        before = upstream_stats(st)
        lot, ids = ingest(st, rule, [{"id": quiet, "created_at": int(t0), "likes": 0},
                                     {"id": fast, "created_at": int(t0), "likes": 50}])
        st.upstream("POST", "/_standin/timeline", {"id": fast, "points": [[t0, 50, 0, 0, 0, 1], [t0 + 1, 120, 0, 0, 0, 2],
                                                                         [t0 + 3, 350, 0, 0, 0, 3]]})
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_tracking WHERE lot_id = %s AND tier = 'hot'",
                                   (lot["lotId"],)) == 0, timeout=60, what="the lot to finish")
        upd = {tid: [r["update_number"] for r in st.sql(
            "SELECT update_number FROM twitter_engagement_history WHERE tweet_id = %s ORDER BY 1", (ids[tid],))]
            for tid in (quiet, fast)}
        self.assertEqual(upd[quiet], [1, 6])
        self.assertEqual(upd[fast], [1, 2, 3, 6])
        self.assertEqual([tracking(st, ids[x])["stop_reason"] for x in (quiet, fast)], ["age_limit_6h"] * 2)
        self.assertEqual(upstream_stats(st)["tweets_returned"] - before["tweets_returned"], 6)
        done = [r["update_number"] for r in st.sql(
            "SELECT update_number FROM engagement_lot_updates WHERE lot_id = %s AND done_at IS NOT NULL ORDER BY 1",
            (lot["lotId"],))]
        self.assertEqual(done, [1, 2, 3, 6])


if __name__ == "__main__":
    main()
