"""The thin slice: one delivery in, its lot tracked to the end, on real servers."""
import time

from common import StackTest, delivery, main, make_tweets, new_id, published, wait_for, wait_sent


class Slice(StackTest):
    stack_args = {"env": {"TRACKING_INTERVAL_SECONDS": "2", "TRACKING_AGE_LIMIT_SECONDS": "12"},
                  "qstash_args": ["--time-scale", "1"]}

    def test_one_tweet_through_both_endpoints(self):
        st = self.stack
        zone, rule = st.add_zone("slice")
        tid = new_id()
        now = int(time.time())
        tweets = make_tweets(st, [{"id": tid, "created_at": now - 60, "likes": 3, "retweets": 1}])
        status, body, _ = st.post_webhook(delivery(rule, tweets))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["created"], 1)
        self.assertTrue(body["lotId"].startswith("lot_"))
        wait_sent(st, body["lotId"])
        msgs = published(st)
        self.assertEqual(len(msgs), 1)
        # The upstream's engagement grows before the first callback.
        st.upstream("POST", "/_standin/tweets", [{"id": tid, "likes": 9}])
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_history") >= 1,
                 timeout=20, what="first snapshot")
        row = st.sql("SELECT like_count, delta_likes, update_number FROM twitter_engagement_history")[0]
        self.assertEqual((row["like_count"], row["delta_likes"], row["update_number"]), (9, 6, 1))
        # The lot runs to its end: the tweet ends cold, nothing left hot.
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_tracking WHERE tier = 'hot'") == 0,
                 timeout=40, what="tracking to end")
        trk = st.sql("SELECT tier, update_count, stop_reason FROM twitter_engagement_tracking")[0]
        self.assertEqual(trk["tier"], "cold")
        self.assertIn(trk["stop_reason"], ("no_change_below_threshold", "age_limit_6h", "max_updates"))


if __name__ == "__main__":
    main()
