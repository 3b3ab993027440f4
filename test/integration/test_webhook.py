"""webhook.fcgi behind a real nginx, against a real PostgreSQL and the
QStash stand-in: every promise of the ingest endpoint, checked in the
database and not only in the status code."""
import json
import threading
import time

from common import StackTest, delivery, main, make_tweets, new_id, published, wait_attempted, wait_for, wait_sent

TWEET_TABLES = ("twitter_tweets", "twitter_engagement_tracking", "twitter_entities", "engagement_outbox")


def counts(st):
    return {t: st.scalar("SELECT count(*) FROM %s" % t) for t in TWEET_TABLES}


def sample_tweets(st):
    """Three tweets in the upstream's shape: a root tweet with a hashtag and a
    link, a reply to it, and one with a cashtag, a mention and an emoji."""
    now = int(time.time())
    root, reply, third = new_id(), new_id(), new_id()
    objs = make_tweets(st, [
        {"id": root, "created_at": now - 300, "author_id": "1500000000000000101", "likes": 37,
         "retweets": 5, "replies": 4, "quotes": 1, "views": 2841, "bookmarks": 3,
         "text": "Shipping the new #FCGI parser today \u2014 notes: https://t.co/AbCdEf1234"},
        {"id": reply, "created_at": now - 200, "reply_to": root, "likes": 2, "views": None,
         "text": "@someone congrats!"},
        {"id": third, "created_at": now - 100, "likes": 0, "text": "$ORBIT to the moon \U0001F680 @quill_dev"},
    ])
    return objs, (root, reply, third)


class Webhook(StackTest):
    stack_args = {"env": {"WEBHOOK_MAX_BODY_BYTES": "1048576"}}

    def setUp(self):
        self.zone, self.rule = self.stack.add_zone("webhook-%s" % self._testMethodName)

    def test_sample_delivery_is_stored_and_scheduled(self):
        st = self.stack
        objs, (root, reply, third) = sample_tweets(st)
        status, body, _ = st.post_webhook(delivery(self.rule, objs))
        self.assertEqual(status, 200, body)
        self.assertEqual((body["received"], body["created"], body["duplicates"], body["rejected"]), (3, 3, 0, []))
        rows = {r["tweet_id"]: r for r in st.sql(
            "SELECT t.*, p.twitter_user_id, p.description FROM twitter_tweets t"
            " LEFT JOIN twitter_profiles p ON p.id = t.author_profile_id WHERE zone_id = %s", (self.zone,))}
        self.assertEqual(set(rows), {root, reply, third})
        r = rows[root]
        self.assertEqual((r["like_count"], r["retweet_count"], r["reply_count"], r["quote_count"],
                          r["view_count"], r["bookmark_count"], r["total_engagement"]), (37, 5, 4, 1, 2841, 3, 47))
        self.assertTrue(r["has_hashtags"] and r["has_links"])
        self.assertFalse(r["is_reply"])
        self.assertIsNone(r["in_reply_to_tweet_id"])          # "" upstream -> NULL
        self.assertEqual(r["twitter_user_id"], "1500000000000000101")
        self.assertEqual(r["raw_data"]["id"], root)           # the whole object kept
        self.assertTrue(rows[reply]["is_reply"])
        self.assertEqual(rows[reply]["in_reply_to_tweet_id"], root)
        self.assertEqual(rows[reply]["view_count"], 0)        # viewCount missing
        self.assertIn("\U0001F680", rows[third]["text"])
        ents = st.sql("SELECT entity_type, entity_value, entity_normalized FROM twitter_entities e"
                      " JOIN twitter_tweets t ON t.id = e.tweet_id WHERE t.tweet_id = %s", (root,))
        self.assertIn(("hashtag", "FCGI", "fcgi"), [tuple(e.values()) for e in ents])
        self.assertTrue(any(e["entity_type"] == "url" for e in ents))
        trk = st.sql("SELECT tier, update_count, lot_id FROM twitter_engagement_tracking tr"
                     " JOIN twitter_tweets t ON t.id = tr.tweet_db_id WHERE t.zone_id = %s", (self.zone,))
        self.assertEqual([(x["tier"], x["update_count"], x["lot_id"]) for x in trk], [("hot", 0, body["lotId"])] * 3)
        # One QStash message: the lot, delayed by the interval, deduplicated by the lot id.
        wait_sent(st, body["lotId"])
        msgs = [m for m in published(st) if m["dedup_id"] == body["lotId"]]
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual(m["destination"], st.track_url)
        self.assertEqual(m["delay_header"], "3600s")
        lot = json.loads(m["body"])
        ids = {x["id"] for x in st.sql("SELECT id::text FROM twitter_tweets WHERE zone_id = %s", (self.zone,))}
        self.assertEqual((lot["lotId"], lot["updateNumber"], lot["zoneId"]), (body["lotId"], 1, self.zone))
        self.assertEqual(set(lot["tweetDbIds"]), ids)
        self.assertIsNotNone(st.scalar("SELECT sent_at FROM engagement_outbox WHERE lot_id = %s", (body["lotId"],)))

    def test_profile_bio_is_not_replaced_by_an_empty_description(self):
        st = self.stack
        author = "1500000000000000777"
        t1 = make_tweets(st, [{"id": new_id(), "author_id": author, "author": {"description": "Real bio"}}])
        self.assertEqual(st.post_webhook(delivery(self.rule, t1))[0], 200)
        t2 = make_tweets(st, [{"id": new_id(), "author_id": author,
                               "author": {"description": "", "profile_bio": {"description": ""}}}])
        self.assertEqual(st.post_webhook(delivery(self.rule, t2))[0], 200)
        p = st.sql("SELECT description, total_tweets_collected FROM twitter_profiles WHERE twitter_user_id = %s", (author,))
        self.assertEqual(p[0]["description"], "Real bio")
        self.assertEqual(p[0]["total_tweets_collected"], 2)

    def test_hundred_tweets_then_the_same_delivery_again(self):
        st = self.stack
        specs = [{"id": new_id(), "likes": i % 7} for i in range(100)]
        body = delivery(self.rule, make_tweets(st, specs))
        status, first, _ = st.post_webhook(body)
        self.assertEqual((status, first["created"], first["duplicates"]), (200, 100, 0), first)
        before = counts(st)
        status, again, _ = st.post_webhook(body)
        self.assertEqual((status, again["created"], again["duplicates"], again["lotId"]), (200, 0, 100, None))
        self.assertEqual(counts(st), before)   # nothing added, no second lot
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (self.zone,)), 100)

    def test_same_delivery_concurrently_is_stored_once(self):
        st = self.stack
        body = delivery(self.rule, make_tweets(st, [{"id": new_id()} for _ in range(20)]))
        results = []

        def post():
            results.append(st.post_webhook(body)[:2])
        threads = [threading.Thread(target=post) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([s for s, _ in results], [200] * 6)
        self.assertEqual(sum(b["created"] for _, b in results), 20)
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (self.zone,)), 20)
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_engagement_tracking tr JOIN twitter_tweets t"
                                   " ON t.id = tr.tweet_db_id WHERE t.zone_id = %s", (self.zone,)), 20)
        lots = [b["lotId"] for _, b in results if b["lotId"]]
        outbox = st.scalar("SELECT coalesce(sum(tweet_count), 0) FROM engagement_outbox WHERE lot_id = ANY(%s)", (lots,))
        self.assertEqual(outbox, 20)   # every tweet in exactly one lot

    def test_the_same_tweet_may_live_once_in_each_zone(self):
        st = self.stack
        other_zone, other_rule = st.add_zone("other")
        body = make_tweets(st, [{"id": new_id()}])
        self.assertEqual(st.post_webhook(delivery(self.rule, body))[1]["created"], 1)
        self.assertEqual(st.post_webhook(delivery(other_rule, body))[1]["created"], 1)
        self.assertEqual(st.post_webhook(delivery(other_rule, body))[1]["created"], 0)

    def test_bad_or_missing_key_is_refused_and_stores_nothing(self):
        st = self.stack
        body = delivery(self.rule, make_tweets(st, [{"id": new_id()}]))
        before = counts(st)
        for key in (None, "", "wrong-key", "test-api-key-5b1f0c7e9", "test-api-key-5b1f0c7e9ab"):
            status, answer, _ = st.post_webhook(body, key=key)
            self.assertEqual(status, 401, (key, answer))
            self.assertEqual(answer["error"], "unauthorized")
        self.assertEqual(counts(st), before)

    def test_url_validation_probe_answers_200_with_or_without_key(self):
        st = self.stack
        before = counts(st)
        for key in (None, "wrong", st.env()["TWITTER_API_KEY"]):
            status, answer, _ = st.post_webhook({"event_type": "test_webhook_url"}, key=key)
            self.assertEqual(status, 200, answer)
        self.assertEqual(st.post_webhook({"event_type": "something_new", "rule_id": self.rule})[0], 200)
        self.assertEqual(counts(st), before)

    def test_malformed_and_wrong_envelopes_are_400_naming_the_problem(self):
        st = self.stack
        before = counts(st)
        cases = [
            (b'{"event_type": "tweet", "rule_id": ', "malformed"),
            (b'[]', ""),
            (json.dumps({"event_type": "tweet", "rule_id": self.rule, "tweets": {}}).encode(), "tweets"),
            (json.dumps({"event_type": "tweet", "rule_id": self.rule, "tweets": []}).encode(), "tweets"),
            (json.dumps({"event_type": "tweet", "tweets": [{"id": "1"}]}).encode(), "rule_id"),
            (json.dumps({"event_type": "tweet", "rule_id": self.rule,
                         "tweets": [{"id": str(i)} for i in range(1, 102)]}).encode(), "limit is 100"),
        ]
        for raw, needle in cases:
            status, answer, hdrs = st.post_webhook(None, raw=raw)
            self.assertEqual(status, 400, raw[:80])
            self.assertEqual(hdrs.get("Content-Type"), "application/json")
            self.assertIn(needle, answer["message"])
        self.assertEqual(counts(st), before)

    def test_body_over_the_limit_is_413_before_anything(self):
        st = self.stack
        before = counts(st)
        raw = b'{"event_type":"tweet","rule_id":"x","tweets":[' + b'{"id":"1","text":"' + b"a" * 1100000 + b'"}]}'
        status, answer, _ = st.post_webhook(None, raw=raw)
        self.assertEqual(status, 413, answer)
        self.assertEqual(counts(st), before)

    def test_one_bad_tweet_does_not_sink_the_batch(self):
        st = self.stack
        good = make_tweets(st, [{"id": new_id()}, {"id": new_id()}])
        bad_id = dict(good[0], id="12ab")
        bad_date = dict(good[1], id=new_id(), createdAt="yesterday")
        status, body, _ = st.post_webhook(delivery(self.rule, [good[0], bad_id, good[1], bad_date]))
        self.assertEqual(status, 200, body)
        self.assertEqual((body["received"], body["created"]), (4, 2))
        self.assertEqual([r["index"] for r in body["rejected"]], [1, 3])
        self.assertIn("id", body["rejected"][0]["reason"])
        self.assertIn("createdAt", body["rejected"][1]["reason"])
        kept = st.sql("SELECT tweet_index, reason, raw FROM webhook_rejected_tweets WHERE zone_id = %s"
                      " ORDER BY tweet_index", (self.zone,))
        self.assertEqual([k["tweet_index"] for k in kept], [1, 3])
        self.assertEqual(json.loads(kept[0]["raw"])["id"], "12ab")

    def test_unknown_rule_is_parked_then_replayed(self):
        st = self.stack
        rule = "rule-not-yet-%s" % new_id()
        body = delivery(rule, make_tweets(st, [{"id": new_id()}, {"id": new_id()}]))
        status, answer, _ = st.post_webhook(body)
        self.assertEqual(status, 202, answer)
        self.assertEqual(answer["status"], "parked")
        self.assertEqual(st.scalar("SELECT count(*) FROM webhook_parked WHERE rule_id = %s AND replayed_at IS NULL", (rule,)), 1)
        # Replaying before the rule exists changes nothing.
        r = st.ctl("replay")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("replayed: 0", r.stdout)
        zone = st.scalar("INSERT INTO zones (name) VALUES ('late') RETURNING id::text")
        st.sql("INSERT INTO twitter_rules (zone_id, external_rule_id) VALUES (%s, %s)", (zone, rule))
        r = st.ctl("replay")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("replayed: 1", r.stdout)
        self.assertEqual(st.scalar("SELECT count(*) FROM twitter_tweets WHERE zone_id = %s", (zone,)), 2)
        lot = st.scalar("SELECT lot_id FROM engagement_outbox o WHERE body::jsonb->>'zoneId' = %s AND sent_at IS NOT NULL", (zone,))
        self.assertIsNotNone(lot)
        self.assertEqual(st.ctl("replay").stdout.count("replayed: 0"), 1)   # never twice

    def test_qstash_down_keeps_the_lot_then_flush_publishes_it_once(self):
        st = self.stack
        st.qstash("POST", "/_standin/fail", {"status": 503, "count": -1})
        try:
            body = delivery(self.rule, make_tweets(st, [{"id": new_id()}]))
            status, answer, _ = st.post_webhook(body)
            self.assertEqual(status, 200, answer)      # the tweets and the lot are stored
            lot = answer["lotId"]
            wait_attempted(st, lot)
            row = st.sql("SELECT sent_at, attempts, last_error FROM engagement_outbox WHERE lot_id = %s", (lot,))[0]
            self.assertIsNone(row["sent_at"])
            self.assertGreaterEqual(row["attempts"], 1)
            self.assertIn("503", row["last_error"])
            time.sleep(1.1)                            # the failed row's back-off (OUTBOX_RETRY_SECONDS=1)
            r = st.ctl("flush-outbox")
            self.assertNotEqual(r.returncode, 0)       # still down: reported, kept
        finally:
            st.qstash("POST", "/_standin/fail/clear", {})
        time.sleep(1.1)                                # the failed row's back-off (OUTBOX_RETRY_SECONDS=1)
        r = st.ctl("flush-outbox")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNotNone(st.scalar("SELECT sent_at FROM engagement_outbox WHERE lot_id = %s", (lot,)))
        r = st.ctl("flush-outbox")
        self.assertIn("published: 0", r.stdout)
        self.assertEqual(len([m for m in published(st) if m["dedup_id"] == lot]), 1)

    def test_database_down_is_503_then_recovers_by_itself(self):
        st = self.stack
        body = delivery(self.rule, make_tweets(st, [{"id": new_id()}]))
        st.stop_pg()
        try:
            status, answer, hdrs = st.post_webhook(body)
            self.assertEqual(status, 503, answer)
            self.assertIn("Retry-After", hdrs)
        finally:
            st.start_pg()
        status, answer, _ = st.post_webhook(body)
        self.assertEqual((status, answer.get("created")), (200, 1), answer)

    def _raw(self, head_length, body):
        """Send a POST whose Content-Length says head_length but whose body is
        `body`, then half-close; return the first status line."""
        import socket
        st = self.stack
        req = ("POST /api/webhooks/twitter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "X-API-Key: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
               % (st.env()["TWITTER_API_KEY"], head_length)).encode() + body
        with socket.create_connection(("127.0.0.1", st.http_port), timeout=10) as c:
            c.sendall(req)
            c.shutdown(socket.SHUT_WR)
            data = b""
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass          # nginx resets a connection with unread bytes after answering
        return data.split(b"\r\n", 1)[0].decode()

    def test_body_shorter_or_longer_than_content_length_stores_nothing(self):
        st = self.stack
        body = json.dumps(delivery(self.rule, make_tweets(st, [{"id": new_id()}]))).encode()
        before = counts(st)
        # Shorter: the body never completes; nginx gives up on the request
        # (and answers nothing to a client that closed its side).
        self.assertIn(self._raw(len(body) + 100, body), ("", "HTTP/1.1 400 Bad Request"))
        # Longer: only the first Content-Length bytes are the body, a cut JSON:
        # 400 (the answer may be lost to the reset of the unread rest).
        self.assertIn(self._raw(len(body) - 10, body), ("", "HTTP/1.1 400 Bad Request"))
        self.assertEqual(counts(st), before)

    def test_get_is_405(self):
        status, answer, _ = self.stack.http("GET", self.stack.webhook_url)
        self.assertEqual(status, 405, answer)


if __name__ == "__main__":
    main()
