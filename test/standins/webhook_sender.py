#!/usr/bin/python3
"""Send twitterapi.io-shaped webhook deliveries to the product (tests, demo).

Examples:
  # invent 20 tweets in a running twitterapi stand-in, then deliver them
  webhook_sender.py --url http://127.0.0.1:8081/api/webhooks/twitter \\
      --standin http://127.0.0.1:8090 --generate 20 --rule-id rule-1 --batch-size 10
  # deliver tweets the stand-in already knows
  webhook_sender.py --url URL --standin http://127.0.0.1:8090 --ids 2032747339445186561,...
  # no stand-in: invent tweets locally (lookups for them will then find nothing)
  webhook_sender.py --url URL --generate 5
  # the URL-validation probe
  webhook_sender.py --url URL --probe
  # print the payload instead of sending it
  webhook_sender.py --url - --generate 3 --print

X-API-Key defaults to $TWITTER_API_KEY, else the stand-in's default key.
Exit status: 0 when every POST got a 2xx, 1 otherwise.
"""

import argparse
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twitterapi  # noqa: E402


def _get_json(url, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="webhook URL of the product ('-' with --print)")
    p.add_argument("--api-key", default=os.environ.get("TWITTER_API_KEY")
                   or twitterapi.DEFAULT_API_KEY)
    p.add_argument("--standin", help="base URL of a running twitterapi stand-in")
    p.add_argument("--ids", help="comma separated tweet ids known to the stand-in")
    p.add_argument("--generate", type=int, help="invent this many tweets first")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--rule-id", default="standin-rule-0001")
    p.add_argument("--rule-tag", default="standin_rule")
    p.add_argument("--batch-size", type=int, default=0, help="tweets per POST (0 = all in one)")
    p.add_argument("--probe", action="store_true", help="send {\"event_type\":\"test_webhook_url\"}")
    p.add_argument("--print", dest="dry", action="store_true", help="print payloads, send nothing")
    a = p.parse_args(argv)

    if a.probe:
        payloads = [{"event_type": "test_webhook_url"}]
    else:
        ids = [i for i in (a.ids or "").split(",") if i] or None
        if a.standin:
            base = a.standin.rstrip("/")
            if a.generate:
                ids = _get_json(base + "/_standin/generate", {"count": a.generate, "seed": a.seed})["ids"]
            q = "?ids=" + ",".join(ids) if ids else ""
            tweets = _get_json(base + "/_standin/tweet-objects" + q)["tweets"]
        else:
            reg = twitterapi.Registry()
            ids = reg.generate(a.generate or 1, seed=a.seed)
            tweets = reg.tweet_objects(ids)
        bs = a.batch_size if a.batch_size > 0 else max(1, len(tweets))
        payloads = [twitterapi.build_webhook_payload(tweets[i:i + bs], a.rule_id, a.rule_tag)
                    for i in range(0, max(1, len(tweets)), bs)]

    ok = True
    for payload in payloads:
        if a.dry:
            print(json.dumps(payload, ensure_ascii=False, indent=2))
            continue
        try:
            status, body = twitterapi.post_json(a.url, payload, a.api_key)
        except OSError as e:
            print("error %s" % e)
            ok = False
            continue
        ids = [t["id"] for t in payload.get("tweets", [])]
        print("status %d tweets=%d ids=%s body=%s"
              % (status, len(ids), ",".join(ids), body.decode("utf-8", "replace")[:500]))
        ok = ok and 200 <= status < 300
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
