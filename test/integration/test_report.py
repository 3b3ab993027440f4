"""engagementctl report and plot against a real run: two short lots tracked to
their end (2 s interval, 11 s age limit), then the report's figures checked
against the database and each other, and the SVG chart parsed."""
import json
import os
import time
import xml.etree.ElementTree as ET

from common import StackTest, delivery, main, new_id, upstream_stats, wait_for

SVG = "{http://www.w3.org/2000/svg}"


def deliver(st, rule, specs, timelines=None, extra=None):
    """Register tweets (and metric timelines) upstream, deliver them through
    the webhook; returns the webhook's answer."""
    st.upstream("POST", "/_standin/tweets", specs)
    for tid, points in (timelines or {}).items():
        st.upstream("POST", "/_standin/timeline", {"id": tid, "points": points})
    ids = ",".join(s["id"] for s in specs)
    tweets = st.upstream("GET", "/_standin/tweet-objects?ids=" + ids)["tweets"]
    status, body, _ = st.post_webhook(delivery(rule, tweets + (extra or [])))
    assert status == 200, (status, body)
    return body


def curves(path_or_text, is_text=False):
    root = ET.fromstring(path_or_text) if is_text else ET.parse(path_or_text).getroot()
    assert root.tag == SVG + "svg", root.tag
    found = [e for e in root.iter() if e.get("class") == "curve"]
    return root, found


class Report(StackTest):
    stack_args = {"env": {"TRACKING_INTERVAL_SECONDS": "2", "TRACKING_AGE_LIMIT_SECONDS": "11"},
                  "qstash_args": ["--time-scale", "1"]}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        st = cls.stack
        try:
            cls.run_lots(st)
        except BaseException:
            st.failed = True
            st.stop()
            raise

    @classmethod
    def run_lots(cls, st):
        now = int(time.time())
        cls.zone_a, rule_a = st.add_zone("alpha")
        cls.zone_b, rule_b = st.add_zone("<B & 'co'>")
        flat, grow, steady, small = new_id(), new_id(), new_id(), new_id()
        cls.grow, cls.steady = grow, steady
        deliver(st, rule_a,
                [{"id": flat, "created_at": now - 1},
                 {"id": grow, "created_at": now - 1, "likes": 2},
                 {"id": steady, "created_at": now - 1, "likes": 40, "retweets": 10},
                 {"id": small, "created_at": now - 1, "likes": 2}],
                timelines={grow: [[now - 1, 2, 0, 0, 0, 10], [now + 3, 5, 1, 0, 0, 30],
                                  [now + 5, 9, 2, 1, 0, 50], [now + 7, 14, 3, 1, 1, 80],
                                  [now + 9, 20, 4, 2, 1, 100]]})
        b1, b2 = new_id(), new_id()
        good = st.upstream("GET", "/_standin/tweet-objects?ids=" + flat)["tweets"][0]
        answer = deliver(st, rule_b, [{"id": b1, "created_at": now - 1, "replies": 3},
                                      {"id": b2, "created_at": now - 1, "quotes": 1}],
                         extra=[dict(good, id="12ab")])
        assert len(answer["rejected"]) == 1, answer
        # A delivery for a rule no zone has yet: parked, stores nothing.
        status, parked, _ = st.post_webhook(delivery("rule-unknown-%s" % new_id(), [good]))
        assert status == 202, (status, parked)
        cls.tweet_ids = {flat, grow, steady, small, b1, b2}
        # Both lots run to their end: nothing hot, every update done, outbox drained.
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_tracking WHERE tier <> 'cold'") == 0
                 and st.scalar("SELECT count(*) FROM engagement_lot_updates WHERE done_at IS NULL") == 0
                 and st.scalar("SELECT count(*) FROM engagement_outbox WHERE sent_at IS NULL") == 0,
                 timeout=90, what="both lots tracked to their end")

    def report(self, *args):
        r = self.stack.ctl("report", "--json", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    # ---------- report ----------
    def test_report_json_is_consistent(self):
        st = self.stack
        rep = self.report()
        n = len(self.tweet_ids)
        self.assertEqual(rep["tweets"], n)
        self.assertEqual(rep["tweets"], st.scalar("SELECT count(*) FROM twitter_tweets"))
        self.assertEqual(rep["rejected"], 1)
        self.assertEqual((rep["parked_pending"], rep["parked_replayed"]), (1, 0))
        # Lots: both scheduled, both finished, nothing left in the outbox.
        self.assertEqual(rep["lots_scheduled"], 2)
        self.assertEqual((rep["lots"], rep["lots_completed"], rep["lots_pending"]), (2, 2, 0))
        self.assertEqual(rep["outbox_pending"], 0)
        self.assertEqual(rep["outbox_messages"], rep["outbox_sent"])
        self.assertEqual(sum(u["messages"] for u in rep["outbox_by_update"]), rep["outbox_messages"])
        self.assertEqual(rep["outbox_by_update"][0]["update_number"], 1)
        self.assertEqual(rep["outbox_by_update"][0]["tweets"], n)
        # Every tweet has at least one snapshot; the histogram covers them all.
        self.assertEqual(rep["tweets_without_snapshot"], 0)
        hist = rep["snapshots_per_tweet"]
        self.assertEqual(sorted(hist, key=int)[:7], [str(k) for k in range(7)])
        self.assertEqual(sum(hist.values()), n)
        self.assertEqual(sum(int(k) * v for k, v in hist.items()), rep["snapshots"])
        self.assertGreaterEqual(rep["snapshots_min"], 1)
        self.assertLessEqual(rep["snapshots_max"], 6)
        # Fetches are snapshots are history rows; the upstream billed as many.
        history = st.scalar("SELECT count(*) FROM twitter_engagement_history")
        self.assertEqual(rep["tweet_fetches"], rep["snapshots"])
        self.assertEqual(rep["snapshots"], history)
        self.assertEqual(rep["upstream_tweets_returned"], history)
        # Tiers and stop reasons: everything stopped, every stop has a reason.
        self.assertEqual(rep["tiers"], {"ultra_hot": 0, "hot": 0, "warm": 0, "cold": n})
        self.assertEqual(rep["stopped"], n)
        self.assertEqual(sum(rep["stop_reasons"].values()), rep["stopped"])
        self.assertNotIn("(none)", rep["stop_reasons"])
        self.assertIn("no_change_below_threshold", rep["stop_reasons"])   # the flat tweet
        # API economy against blind polling (6 updates by default).
        self.assertEqual(rep["max_updates"], 6)
        self.assertEqual(rep["blind_fetches"], n * 6)
        self.assertLess(rep["tweet_fetches"], rep["blind_fetches"])
        self.assertAlmostEqual(rep["fetch_saving_pct"], 100.0 * (1 - rep["tweet_fetches"] / (n * 6)), places=3)
        self.assertEqual(rep["upstream_calls"], upstream_stats(st)["calls"])
        self.assertEqual(rep["upstream_calls"], rep["lot_updates_done"])   # one call per update here
        self.assertEqual(rep["blind_upstream_calls"], 2 * 6)
        self.assertEqual(rep["lot_updates_in_progress"], 0)
        # The monitoring queries of the operators' dashboards, as tables.
        mon = rep["monitoring"]
        self.assertEqual(mon["snapshots_per_hour"]["columns"], ["hour", "snapshots"])
        self.assertEqual(sum(r[1] for r in mon["snapshots_per_hour"]["rows"]), history)
        self.assertEqual(mon["tiers"]["columns"], ["tier", "count", "avg_updates"])
        self.assertEqual([r[:2] for r in mon["tiers"]["rows"]], [["cold", n]])
        self.assertEqual(mon["stopped_early"]["columns"], ["tier", "update_count", "count"])
        early = st.scalar("SELECT count(*) FROM twitter_engagement_tracking WHERE update_count < 6")
        self.assertEqual(sum(r[2] for r in mon["stopped_early"]["rows"]), early)

    def test_report_per_zone(self):
        a = self.report("--zone", self.zone_a)
        b = self.report("--zone", self.zone_b)
        self.assertEqual((a["zone"], a["tweets"], b["tweets"]), (self.zone_a, 4, 2))
        self.assertEqual([z["zone_id"] for z in a["zones"]], [self.zone_a])
        self.assertEqual((a["rejected"], b["rejected"]), (0, 1))
        self.assertEqual((a["lots"], a["lots_scheduled"], b["lots"], b["lots_scheduled"]), (1, 1, 1, 1))
        self.assertEqual(a["snapshots"] + b["snapshots"], self.report()["snapshots"])
        self.assertEqual(a["upstream_calls"] + b["upstream_calls"], self.report()["upstream_calls"])
        for r in (a, b):
            self.assertEqual(sum(r["stop_reasons"].values()), r["stopped"])
            self.assertEqual(r["tweets_without_snapshot"], 0)
            self.assertEqual(r["lots_pending"], 0)

    def test_report_text(self):
        r = self.stack.ctl("report")
        self.assertEqual(r.returncode, 0, r.stderr)
        for heading in ("tweets", "lots", "snapshots", "tracking", "API economy", "monitoring queries",
                        "snapshots per hour, last 24 h", "avg_updates", self.zone_a, "<B & 'co'>"):
            self.assertIn(heading, r.stdout)
        r = self.stack.ctl("report", "--zone", self.zone_b)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("zone <B & 'co'>", r.stdout)

    def test_report_errors(self):
        st = self.stack
        self.assertEqual(st.ctl("report", "--zone", "not-a-uuid").returncode, 2)
        self.assertEqual(st.ctl("report", "--bogus").returncode, 2)
        self.assertEqual(st.ctl("report", "--zone", "00000000-0000-0000-0000-000000000000").returncode, 1)
        down = st.ctl("report", "--json", env={"DATABASE_URL": "postgresql://et@127.0.0.1:1/et"})
        self.assertEqual(down.returncode, 1)
        self.assertEqual(down.stdout, "")

    # ---------- plot ----------
    def test_plot_all_zones(self):
        st = self.stack
        path = os.path.join(st.dir, "all.svg")
        r = st.ctl("plot", "--out", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        root, found = curves(path)
        self.assertEqual(len(found), len(self.tweet_ids))
        self.assertEqual({c.get("data-tweet") for c in found}, self.tweet_ids)
        # The legend names every tweet, and there is a title and tick labels.
        texts = [t.text for t in root.iter(SVG + "text")]
        for tid in self.tweet_ids:
            self.assertIn(tid, texts)
        self.assertTrue(any(t and t.startswith("Engagement curves") for t in texts))
        # x in tracking intervals: the compressed clock still reads as hours.
        self.assertIn("hours since collected (1 h = 2 s here)", texts)
        self.assertIn("6", texts)
        # A curve per tweet: the webhook's value, then one point per snapshot.
        snaps = {row["tweet_id"]: row["n"] for row in st.sql(
            "SELECT t.tweet_id, count(*) AS n FROM twitter_engagement_history h"
            " JOIN twitter_tweets t ON t.id = h.tweet_id GROUP BY t.tweet_id")}
        for c in found:
            self.assertEqual(len(c.get("points").split()), snaps[c.get("data-tweet")] + 1)
        # The first curve is the most engaged tweet.
        self.assertEqual(found[0].get("data-tweet"), self.steady)

    def test_plot_top_zone_tweet_and_stdout(self):
        st = self.stack
        r = st.ctl("plot", "--top", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        _, found = curves(r.stdout, is_text=True)
        top2 = [row["tweet_id"] for row in st.sql(
            "SELECT tweet_id FROM twitter_tweets ORDER BY total_engagement DESC, tweet_id LIMIT 2")]
        self.assertEqual([c.get("data-tweet") for c in found], top2)

        path = os.path.join(st.dir, "zone.svg")
        r = st.ctl("plot", "--zone", self.zone_b, "--out", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        root, found = curves(path)
        stored = {row["tweet_id"] for row in st.sql(
            "SELECT tweet_id FROM twitter_tweets WHERE zone_id = %s", (self.zone_b,))}
        self.assertEqual({c.get("data-tweet") for c in found}, stored)
        self.assertEqual(len(found), 2)
        # The zone's name went into the title escaped, and came back intact.
        self.assertIn("<B & 'co'>", root.find(SVG + "title").text)

        db_id = st.scalar("SELECT id::text FROM twitter_tweets WHERE tweet_id = %s", (self.grow,))
        r = st.ctl("plot", "--tweet", db_id)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, found = curves(r.stdout, is_text=True)
        self.assertEqual([c.get("data-tweet") for c in found], [self.grow])

        empty = st.scalar("INSERT INTO zones (name) VALUES ('empty') RETURNING id::text")
        r = st.ctl("plot", "--zone", empty)
        self.assertEqual(r.returncode, 0, r.stderr)
        root, found = curves(r.stdout, is_text=True)
        self.assertEqual(found, [])
        self.assertIn("no data", [t.text for t in root.iter(SVG + "text")])

    def test_plot_errors(self):
        st = self.stack
        self.assertEqual(st.ctl("plot", "--zone", "nope").returncode, 2)
        self.assertEqual(st.ctl("plot", "--tweet", "123").returncode, 2)
        self.assertEqual(st.ctl("plot", "--top", "0").returncode, 2)
        self.assertEqual(st.ctl("plot", "--zone", self.zone_a, "--tweet", self.zone_a).returncode, 2)
        self.assertEqual(st.ctl("plot", "--tweet", "00000000-0000-0000-0000-000000000000").returncode, 1)
        self.assertEqual(st.ctl("plot", "--out", os.path.join(st.dir, "no", "such", "dir.svg")).returncode, 1)
        down = st.ctl("plot", env={"DATABASE_URL": "postgresql://et@127.0.0.1:1/et"})
        self.assertEqual(down.returncode, 1)


if __name__ == "__main__":
    main()
