#!/usr/bin/python3
"""twitterapi.io stand-in for integration tests and the local demo stack.

Speaks the twitterapi.io wire contract (see README.md next to this file):

  GET /twitter/tweets?tweet_ids=ID1,ID2,...   (header X-API-Key)

answering {"tweets": [<Tweet>...], "status": "success", "msg": "success",
"code": 0} with full camelCase Tweet objects built from a scriptable tweet
registry (static metrics, timelines, or retweet-cascade replays), injectable
failures and credit accounting.  It also builds and sends webhook deliveries
in the vendor's filter-rule shape (build_webhook_payload / send_webhook, and
POST /_standin/send-webhook).

All names, ids and texts are invented.  Control API under /_standin/ (see
README.md next to this file).

Run:     /usr/bin/python3 test/standins/twitterapi.py --port 8090 --api-key KEY
Import:  from twitterapi import TwitterApiStandin, Registry, build_webhook_payload,
         send_webhook, send_probe, format_created_at  (stdlib only)
"""

import argparse
import bisect
import hashlib
import hmac
import json
import os
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.request

try:  # imported as part of a package
    from . import standin_http as base
except ImportError:  # run as a script, or imported with this directory on sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import standin_http as base

NAME = "twitterapi"
DEFAULT_API_KEY = "standin-twitterapi-key"
CREDITS_PER_TWEET = 15
MIN_CREDITS_PER_CALL = 15
METRICS = ("likes", "retweets", "replies", "quotes", "views", "bookmarks")
ENGAGEMENT = ("likes", "retweets", "replies", "quotes")
DEFAULT_CASCADE_PATTERN = ("likes", "retweets")
DEFAULT_VIEWS_PER_EVENT = 40
TWITTER_EPOCH_MS = 1288834974657
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ID_RE = re.compile(r"^[0-9]{1,25}$")

FAIL_MODES = ("429", "500", "503", "402", "slow", "status_error", "empty", "drop", "bad_json")


# --------------------------------------------------------------------------
# Invented data
# --------------------------------------------------------------------------
_ADJ = ("quiet", "amber", "orbit", "marlow", "quill", "copper", "lunar", "brisk", "velvet",
        "granite", "hollow", "tidal", "cinder", "sable", "north", "pixel", "fable", "juniper")
_NOUN = ("finch", "ledger", "tern", "harbor", "kettle", "signal", "lantern", "otter", "meadow",
         "circuit", "compass", "relay", "sparrow", "quarry", "beacon", "loom", "cedar", "atlas")
_SUFFIX = ("", "_dev", "_hq", "_io", "_news", "_lab", "42", "_ops", "_daily", "")
_BIOS = ("Builds small tools. Opinions are cached.", "Not financial advice. Not even advice.",
         "Writing about parsers, queues and other plumbing.", "Coffee, code, and cron jobs.",
         "Local news for people who read the whole article.", "Data nerd. Charts > takes.",
         "Occasional threads on distributed systems.", "Photos of bridges and the people on them.",
         "", "Ex-sysadmin, current gardener.")
_LOCATIONS = ("Lisbon", "Low Earth Orbit", "", "Melbourne", "Toronto", "Nairobi", "Berlin",
              "Sydney, NSW", "", "Montréal", "Osaka", "Brisbane")
_TAGS = ("fcgi", "auspol", "opensource", "postgres", "weekendproject", "buildinpublic",
         "devops", "ausvotes", "climate", "rustlang", "linux", "startup")
_SYMS = ("ORBIT", "QUIL", "TERN", "LDGR", "ACME")
_EMOJI = ("🚀", "🔥", "✨", "🤔", "📈", "🧵", "😅", "✅")
_THINGS = ("the new parser", "a tiny scheduler", "v2 of the dashboard", "our migration tool",
           "the webhook relay", "a cache that actually expires", "the benchmark suite")
_OPINIONS = ("parsers are just vibes with a grammar", "every queue is a database eventually",
             "retries without idempotency are a lottery", "the outage was DNS, again",
             "hot take: cron is fine", "read the RFC, then read it again")
_QUESTIONS = ("does it handle chunked bodies yet?", "any numbers on p99?",
              "is there a changelog?", "how did you test the failover?",
              "what happens on redelivery?", "source?")


def format_created_at(t):
    """Unix seconds -> 'Sat Mar 14 09:15:07 +0000 2026' (locale independent, UTC)."""
    g = time.gmtime(int(t))
    return "%s %s %02d %02d:%02d:%02d +0000 %d" % (
        _DAYS[g.tm_wday], _MONTHS[g.tm_mon - 1], g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec,
        g.tm_year)


def snowflake(t, rng=None):
    """A 19-digit Twitter-style snowflake id (string) for unix time t."""
    rng = rng or random
    ms = int(t * 1000) - TWITTER_EPOCH_MS
    return str((max(ms, 1) << 22) | rng.getrandbits(22))


def _rng_for(*parts):
    seed = hashlib.sha256("\0".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def author_object(author_id, overrides=None):
    """Invented but realistic author profile, deterministic per author id."""
    author_id = str(author_id)
    r = _rng_for("author", author_id)
    user = r.choice(_ADJ) + "_" + r.choice(_NOUN) + r.choice(_SUFFIX)
    name = " ".join(w.capitalize() for w in user.strip("_0123456789").split("_")[:2])
    bio = r.choice(_BIOS)
    followers = int(r.lognormvariate(6.5, 1.8))
    created = 1230768000 + r.randrange(0, 470000000)  # 2009 .. 2023
    a = {
        "type": "user",
        "userName": user,
        "url": "https://x.com/" + user,
        "twitterUrl": "https://twitter.com/" + user,
        "id": author_id,
        "name": name,
        "isVerified": False,
        "isBlueVerified": r.random() < 0.3,
        "verifiedType": None,
        "profilePicture": "https://pbs.twimg.com/profile_images/0000000000000000001/example_normal.jpg",
        "coverPicture": "https://pbs.twimg.com/profile_banners/%s/1700000000" % author_id,
        # Often empty upstream while the bio lives in profile_bio.description.
        "description": bio if r.random() < 0.5 else "",
        "location": r.choice(_LOCATIONS),
        "followers": followers,
        "following": int(r.lognormvariate(5.5, 1.2)),
        "status": "",
        "canDm": r.random() < 0.2,
        "canMediaTag": True,
        "createdAt": format_created_at(created),
        "entities": {"description": {}, "url": {}},
        "fastFollowersCount": 0,
        "favouritesCount": r.randrange(0, 60000),
        "hasCustomTimelines": True,
        "isTranslator": False,
        "mediaCount": r.randrange(0, 3000),
        "statusesCount": r.randrange(10, 80000),
        "withheldInCountries": [],
        "affiliatesHighlightedLabel": {},
        "possiblySensitive": False,
        "pinnedTweetIds": [],
        "profile_bio": {"description": bio, "entities": {"description": {}, "url": {}}},
        "isAutomated": False,
        "automatedBy": None,
    }
    if overrides:
        for k, v in overrides.items():
            if k == "description":
                a["description"] = v
                a["profile_bio"]["description"] = v
            else:
                a[k] = v
        if "userName" in overrides:
            a["url"] = "https://x.com/" + a["userName"]
            a["twitterUrl"] = "https://twitter.com/" + a["userName"]
    return a


def invented_text(tweet_id, mention=None):
    r = _rng_for("text", tweet_id)
    link = "https://t.co/" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
                                     for _ in range(10))
    kind = r.randrange(4)
    if mention:
        return "@%s %s" % (mention, r.choice(_QUESTIONS))
    if kind == 0:
        return "Shipping %s today — notes: %s #%s" % (r.choice(_THINGS), link, r.choice(_TAGS))
    if kind == 1:
        return "%s %s $%s" % (r.choice(_OPINIONS), r.choice(_EMOJI), r.choice(_SYMS))
    if kind == 2:
        return "%s.\n\nThread below %s #%s #%s" % (r.choice(_OPINIONS).capitalize(),
                                                   r.choice(_EMOJI), r.choice(_TAGS),
                                                   r.choice(_TAGS))
    return "Wrote up how we built %s: %s" % (r.choice(_THINGS), link)


_HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w+)")
_SYMBOL_RE = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9_]{0,14})\b")
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})")
_URL_RE = re.compile(r"https?://[^\s]+")


def extract_entities(text, resolve_user=None):
    """Entities in the upstream's snake_case shape, indices in code points."""
    hashtags = [{"indices": [m.start(), m.end()], "text": m.group(1)}
                for m in _HASHTAG_RE.finditer(text)]
    symbols = [{"indices": [m.start(), m.end()], "text": m.group(1)}
               for m in _SYMBOL_RE.finditer(text)]
    urls = []
    for m in _URL_RE.finditer(text):
        u = m.group(0)
        if u.startswith("https://t.co/"):
            slug = hashlib.sha1(u.encode("utf-8")).hexdigest()[:8]
            expanded = "https://example.org/notes/" + slug
        else:
            expanded = u
        display = expanded.split("://", 1)[1]
        if len(display) > 26:
            display = display[:25] + "…"
        urls.append({"display_url": display, "expanded_url": expanded,
                     "indices": [m.start(), m.end()], "url": u})
    mentions = []
    for m in _MENTION_RE.finditer(text):
        sn = m.group(1)
        uid, name = (resolve_user(sn) if resolve_user else None) or (None, None)
        if uid is None:
            r = _rng_for("mention", sn.lower())
            uid = str(r.randrange(10 ** 7, 10 ** 18))
            name = " ".join(w.capitalize() for w in sn.split("_") if w) or sn
        mentions.append({"id_str": uid, "indices": [m.start(), m.end()], "name": name,
                         "screen_name": sn})
    return {"hashtags": hashtags, "symbols": symbols, "urls": urls, "user_mentions": mentions}


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------
class RegistryError(ValueError):
    pass


def _tweet_id(v):
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise RegistryError("tweet id must be a string of digits")
    s = str(v)
    if not _ID_RE.match(s):
        raise RegistryError("tweet id must be a string of digits: %r" % s)
    return s


def _count(v, what, allow_null=False):
    if v is None and allow_null:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise RegistryError("%s must be an integer >= 0%s" % (what, " or null" if allow_null else ""))
    return v


class Registry:
    """The tweets the stand-in knows, with their metric scripts. Thread-safe."""

    def __init__(self):
        self.lock = threading.RLock()
        self.tweets = {}  # id -> record dict

    def clear(self):
        with self.lock:
            self.tweets = {}

    # --- writes -------------------------------------------------------------
    def upsert(self, items, now=None):
        """Insert or merge tweet records (see README for the fields). Returns ids."""
        now = time.time() if now is None else now
        if isinstance(items, dict) and "tweets" in items:
            items = items["tweets"]
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise RegistryError("expected a JSON list of tweets")
        staged = []
        for it in items:
            if not isinstance(it, dict):
                raise RegistryError("each tweet must be an object")
            tid = _tweet_id(it.get("id"))
            upd = {}
            if "created_at" in it:
                if isinstance(it["created_at"], bool) or not isinstance(it["created_at"], (int, float)):
                    raise RegistryError("created_at must be unix seconds")
                upd["created_at"] = float(it["created_at"])
            if "author_id" in it:
                upd["author_id"] = _tweet_id(it["author_id"])
            if "text" in it:
                if not isinstance(it["text"], str):
                    raise RegistryError("text must be a string")
                upd["text"] = it["text"]
            for k in METRICS:
                if k in it:
                    upd[k] = _count(it[k], k, allow_null=(k == "views"))
            for k in ("lang", "source"):
                if k in it:
                    upd[k] = str(it[k])
            if "reply_to" in it:
                upd["reply_to"] = None if it["reply_to"] is None else _tweet_id(it["reply_to"])
            for k in ("author", "raw"):
                if k in it:
                    if it[k] is not None and not isinstance(it[k], dict):
                        raise RegistryError("%s must be an object" % k)
                    upd[k] = it[k] or {}
            if "omit" in it:
                if not isinstance(it["omit"], list) or not all(isinstance(x, str) for x in it["omit"]):
                    raise RegistryError("omit must be a list of Tweet field names")
                upd["omit"] = it["omit"]
            staged.append((tid, upd))
        with self.lock:
            for tid, upd in staged:
                rec = self.tweets.get(tid)
                if rec is None:
                    rec = self._new_record(tid, now)
                    self.tweets[tid] = rec
                rec.update(upd)
                rec["deleted"] = False
                if "text" not in upd and rec["text"] is None:
                    rec["text"] = self._default_text(rec)
            return [tid for tid, _ in staged]

    def _new_record(self, tid, now):
        r = _rng_for("record", tid)
        return {"id": tid, "created_at": float(now), "author_id": str(r.randrange(10 ** 8, 10 ** 18)),
                "text": None, "likes": 0, "retweets": 0, "replies": 0, "quotes": 0,
                "views": 0, "bookmarks": 0, "lang": "en", "source": "", "reply_to": None,
                "author": {}, "raw": {}, "omit": [], "deleted": False, "timeline": None, "cascade": None}

    def _default_text(self, rec):
        mention = None
        if rec.get("reply_to") and rec["reply_to"] in self.tweets:
            parent = self.tweets[rec["reply_to"]]
            mention = author_object(parent["author_id"], parent.get("author"))["userName"]
        return invented_text(rec["id"], mention)

    def generate(self, count, created_at=None, seed=None, authors=None, now=None):
        """Invent `count` tweets (some replies), return their ids."""
        now = time.time() if now is None else now
        r = random.Random(seed)
        t0 = now if created_at is None else float(created_at)
        pool = [str(r.randrange(10 ** 8, 10 ** 18)) for _ in range(max(1, authors or max(1, count // 2)))]
        ids = []
        items = []
        for i in range(count):
            t = t0 - r.uniform(0, 240)
            tid = snowflake(t, r)
            item = {"id": tid, "created_at": int(t), "author_id": r.choice(pool),
                    "likes": r.choice((0, 0, 0, 1, 2, 3, 5, 8, 13, 40)),
                    "retweets": r.choice((0, 0, 0, 1, 2, 4)),
                    "replies": r.choice((0, 0, 1, 2)), "quotes": r.choice((0, 0, 0, 1)),
                    "bookmarks": r.choice((0, 0, 1, 3))}
            item["views"] = 20 + 30 * (item["likes"] + item["retweets"]) + r.randrange(0, 200)
            if ids and r.random() < 0.2:
                item["reply_to"] = r.choice(ids)
            ids.append(tid)
            items.append(item)
        self.upsert(items, now)
        return ids

    def set_timeline(self, tid, points, now=None):
        tid = _tweet_id(tid)
        if not isinstance(points, list):
            raise RegistryError("points must be a list")
        pts = []
        for p in points:
            if not isinstance(p, list) or len(p) not in (6, 7):
                raise RegistryError("each point is [t_unix, likes, retweets, replies, quotes, "
                                    "views] (+ optional bookmarks)")
            if isinstance(p[0], bool) or not isinstance(p[0], (int, float)):
                raise RegistryError("point time must be unix seconds")
            vals = [_count(x, "point metric", allow_null=(i == 4)) for i, x in enumerate(p[1:])]
            pts.append([float(p[0])] + vals)
        pts.sort(key=lambda p: p[0])
        with self.lock:
            rec = self.tweets.get(tid)
            if rec is None:
                rec = self._new_record(tid, pts[0][0] if pts else (now or time.time()))
                rec["text"] = self._default_text(rec)
                self.tweets[tid] = rec
            rec["timeline"] = pts or None
            rec["cascade"] = None
        return tid

    def set_cascade(self, tid, created_at, event_times, time_scale=1.0, pattern=None,
                    views_per_event=DEFAULT_VIEWS_PER_EVENT, now=None):
        tid = _tweet_id(tid)
        if not isinstance(event_times, list) or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in event_times):
            raise RegistryError("event_times must be a list of seconds after posting")
        if isinstance(time_scale, bool) or not isinstance(time_scale, (int, float)) or time_scale < 0:
            raise RegistryError("time_scale must be a number >= 0")
        pattern = list(pattern or DEFAULT_CASCADE_PATTERN)
        if not pattern or any(p not in ENGAGEMENT for p in pattern):
            raise RegistryError("pattern entries must be among %s" % (ENGAGEMENT,))
        if views_per_event is not None:
            views_per_event = _count(views_per_event, "views_per_event")
        with self.lock:
            rec = self.tweets.get(tid)
            if rec is None:
                rec = self._new_record(tid, now or time.time())
                rec["text"] = self._default_text(rec)
                self.tweets[tid] = rec
            if created_at is not None:
                if isinstance(created_at, bool) or not isinstance(created_at, (int, float)):
                    raise RegistryError("created_at must be unix seconds")
                rec["created_at"] = float(created_at)
            rec["cascade"] = {"scaled": sorted(float(x) * float(time_scale) for x in event_times),
                              "time_scale": float(time_scale), "pattern": pattern,
                              "views_per_event": views_per_event}
            rec["timeline"] = None
            rec["deleted"] = False
        return tid

    def set_deleted(self, ids, deleted=True):
        with self.lock:
            n = 0
            for i in ids:
                rec = self.tweets.get(str(i))
                if rec is not None:
                    rec["deleted"] = deleted
                    n += 1
            return n

    # --- reads --------------------------------------------------------------
    def metrics_at(self, rec, now):
        m = {k: rec[k] for k in METRICS}
        tl = rec.get("timeline")
        if tl:
            idx = bisect.bisect_right([p[0] for p in tl], now) - 1
            if idx >= 0:
                p = tl[idx]
                m.update(likes=p[1], retweets=p[2], replies=p[3], quotes=p[4], views=p[5])
                if len(p) > 6:
                    m["bookmarks"] = p[6]
        cs = rec.get("cascade")
        if cs:
            n = bisect.bisect_right(cs["scaled"], now - rec["created_at"])
            for k in ENGAGEMENT:
                m[k] = 0
            pat = cs["pattern"]
            for i, k in enumerate(pat):
                m[k] += n // len(pat) + (1 if i < n % len(pat) else 0)
            m["views"] = None if cs["views_per_event"] is None else n * cs["views_per_event"]
        return m

    def _resolve_user(self, screen_name):
        sn = screen_name.lower()
        for rec in self.tweets.values():
            a = author_object(rec["author_id"], rec.get("author"))
            if a["userName"].lower() == sn:
                return a["id"], a["name"]
        return None

    def _conversation_id(self, rec):
        seen = 0
        cur = rec
        while cur.get("reply_to") and seen < 50:
            parent = self.tweets.get(cur["reply_to"])
            if parent is None:
                return cur["reply_to"]
            cur = parent
            seen += 1
        return cur["id"]

    def tweet_object(self, tid, now=None):
        """The full upstream Tweet object for one id at time now (None if absent)."""
        now = time.time() if now is None else now
        with self.lock:
            rec = self.tweets.get(str(tid))
            if rec is None or rec["deleted"]:
                return None
            return self._build(rec, now)

    def tweet_objects(self, ids=None, now=None, include_deleted=False):
        now = time.time() if now is None else now
        with self.lock:
            if ids is None:
                ids = list(self.tweets)
            out = []
            for i in ids:
                rec = self.tweets.get(str(i))
                if rec is not None and (include_deleted or not rec["deleted"]):
                    out.append(self._build(rec, now))
            return out

    def snapshot(self, now=None):
        """Registry records with their current metrics (control API)."""
        now = time.time() if now is None else now
        with self.lock:
            out = []
            for rec in self.tweets.values():
                m = self.metrics_at(rec, now)
                mode = "cascade" if rec["cascade"] else "timeline" if rec["timeline"] else "static"
                item = {"id": rec["id"], "created_at": rec["created_at"],
                        "author_id": rec["author_id"], "text": rec["text"],
                        "deleted": rec["deleted"], "mode": mode,
                        "engagement": sum(m[k] for k in ENGAGEMENT)}
                item.update(m)
                out.append(item)
            return out

    def _build(self, rec, now):
        m = self.metrics_at(rec, now)
        author = author_object(rec["author_id"], rec.get("author"))
        text = rec["text"] if rec["text"] is not None else self._default_text(rec)
        entities = extract_entities(text, self._resolve_user)
        tid = rec["id"]
        reply_id = rec.get("reply_to") or ""
        reply_user_id = ""
        reply_user = ""
        if reply_id:
            parent = self.tweets.get(reply_id)
            if parent is not None:
                pa = author_object(parent["author_id"], parent.get("author"))
                reply_user_id, reply_user = pa["id"], pa["userName"]
        start = 0
        if reply_user and text.startswith("@" + reply_user):
            start = len(reply_user) + 2
        t = {
            "type": "tweet",
            "id": tid,
            "url": "https://x.com/%s/status/%s" % (author["userName"], tid),
            "twitterUrl": "https://twitter.com/%s/status/%s" % (author["userName"], tid),
            "text": text,
            "source": rec.get("source", ""),
            "retweetCount": m["retweets"],
            "replyCount": m["replies"],
            "likeCount": m["likes"],
            "quoteCount": m["quotes"],
            "viewCount": m["views"],
            "createdAt": format_created_at(rec["created_at"]),
            "lang": rec.get("lang", "en"),
            "bookmarkCount": m["bookmarks"],
            "isReply": bool(reply_id),
            "inReplyToId": reply_id,
            "conversationId": self._conversation_id(rec),
            "displayTextRange": [min(start, len(text)), len(text)],
            "inReplyToUserId": reply_user_id,
            "inReplyToUsername": reply_user,
            "isPinned": False,
            "author": author,
            "extendedEntities": {},
            "card": None,
            "place": {},
            "entities": entities,
            "quoted_tweet": None,
            "retweeted_tweet": None,
            "communityInfo": None,
            "isLimitedReply": False,
            "isConversationControlled": False,
            "isQuote": False,
            "isRetweet": False,
        }
        if m["views"] is None:
            del t["viewCount"]  # missing, not 0
        for k, v in (rec.get("raw") or {}).items():
            t[k] = v
        for k in rec.get("omit") or ():
            t.pop(k, None)
        return t


# --------------------------------------------------------------------------
# Webhook sender
# --------------------------------------------------------------------------
def build_webhook_payload(tweets, rule_id="standin-rule-0001", rule_tag="standin_rule",
                          timestamp_ms=None, event_type="tweet"):
    """A filter-rule webhook body exactly as the vendor sends it."""
    return {"event_type": event_type, "rule_id": rule_id, "rule_tag": rule_tag,
            "tweets": list(tweets),
            "timestamp": int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)}


def post_json(url, payload, api_key=None, timeout=10.0, extra_headers=None):
    """POST JSON; returns (status, body bytes). Network errors raise OSError."""
    data = payload if isinstance(payload, bytes) else json.dumps(
        payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "twitterapi-standin-webhook/1.0"}
    if api_key is not None:
        headers["X-API-Key"] = api_key
    headers.update(extra_headers or {})
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def send_webhook(url, api_key, tweets, rule_id="standin-rule-0001", rule_tag="standin_rule",
                 timestamp_ms=None, timeout=10.0):
    """Build and POST one delivery with X-API-Key. Returns (status, body bytes)."""
    return post_json(url, build_webhook_payload(tweets, rule_id, rule_tag, timestamp_ms),
                     api_key, timeout)


def send_probe(url, api_key=None, timeout=10.0):
    """The URL-validation probe sent when the operator saves the webhook URL."""
    return post_json(url, {"event_type": "test_webhook_url"}, api_key, timeout)


# --------------------------------------------------------------------------
# Server state
# --------------------------------------------------------------------------
class TwitterApiStandin:
    def __init__(self, api_key=DEFAULT_API_KEY, max_ids=100, slow_seconds=5.0, shuffle=True,
                 seed=None, rate_limit=0.0, credit_limit=None):
        self.api_key = api_key
        self.max_ids = max_ids
        self.slow_seconds = slow_seconds
        self.shuffle = shuffle
        self.rng = random.Random(seed)
        self.rate_limit = rate_limit
        self.credit_limit = credit_limit
        self.registry = Registry()
        self.lock = threading.Lock()
        self.httpd = None
        self._reset_counters()

    def _reset_counters(self):
        self.fail_rules = []
        self.stats = {"calls": 0, "tweets_returned": 0, "credits": 0, "ids_requested": 0,
                      "unauthorized": 0, "calls_log": []}
        self._rl_times = []

    def reset(self):
        with self.lock:
            self._reset_counters()
        self.registry.clear()

    def serve(self, port=0):
        self.httpd = base.StandinServer(port, TwitterApiHandler, self)
        return self.httpd

    def start_background(self, port=0):
        httpd = self.serve(port)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()
        return httpd.port

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()

    def check_key(self, key):
        if key is None:
            return False
        return hmac.compare_digest(key.encode("utf-8"), self.api_key.encode("utf-8"))

    def take_failure(self):
        with self.lock:
            while self.fail_rules:
                rule = self.fail_rules[0]
                if rule["count"] == 0:
                    self.fail_rules.pop(0)
                    continue
                if rule["count"] > 0:
                    rule["count"] -= 1
                return dict(rule)
            return None

    def rate_limited(self):
        if not self.rate_limit or self.rate_limit <= 0:
            return False
        now = time.monotonic()
        with self.lock:
            window = 1.0 if self.rate_limit >= 1 else 1.0 / self.rate_limit
            allowed = max(1, int(round(self.rate_limit * window)))
            self._rl_times = [t for t in self._rl_times if now - t < window]
            if len(self._rl_times) >= allowed:
                return True
            self._rl_times.append(now)
            return False

    def out_of_credits(self):
        with self.lock:
            return self.credit_limit is not None and self.stats["credits"] >= self.credit_limit

    def account(self, ids, status, outcome, returned, charged=True):
        credits = max(MIN_CREDITS_PER_CALL, CREDITS_PER_TWEET * returned) if charged else 0
        with self.lock:
            s = self.stats
            if charged:
                s["calls"] += 1
                s["tweets_returned"] += returned
                s["credits"] += credits
                s["ids_requested"] += len(ids)
            else:
                s["unauthorized"] += 1
            s["calls_log"].append({"ids": list(ids), "status": status, "outcome": outcome,
                                   "returned": returned, "credits": credits,
                                   "at": round(time.time(), 3)})

    def get_stats(self):
        with self.lock:
            s = dict(self.stats)
            s["calls_log"] = list(s["calls_log"])
            s["pending_failures"] = [dict(r) for r in self.fail_rules]
            return s


_HTML_503 = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
             b"<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
             b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class TwitterApiHandler(base.StandinHandler):
    standin_name = NAME
    server_version = "uvicorn"

    @property
    def app(self):
        return self.server.app

    def error_body(self, message):
        return {"detail": message}

    def route(self, method, path, query):
        if path == "/twitter/tweets":
            self.read_body()
            if method != "GET":
                return self.send_json(405, {"detail": "Method Not Allowed"})
            return self.do_lookup(query)
        if path.startswith("/_standin/"):
            return self.do_control(method, path[len("/_standin/"):], query)
        self.read_body()
        return self.send_json(404, {"detail": "Not Found"})

    # --- the API ----------------------------------------------------------
    def do_lookup(self, query):
        app = self.app
        q = base.parse_query(query)
        if not app.check_key(self.headers.get("X-API-Key")):
            app.account([], 401, "unauthorized", 0, charged=False)
            return self.send_json(401, {"detail": "Unauthorized: missing or invalid X-API-Key"})
        raw = q.get("tweet_ids")
        if not raw or not raw[0]:
            app.account([], 400, "missing tweet_ids", 0)
            return self.send_json(400, {"detail": "tweet_ids is required"})
        ids = raw[0].split(",")
        bad = [i for i in ids if not _ID_RE.match(i)]
        if bad:
            app.account(ids, 400, "invalid id", 0)
            return self.send_json(400, {"detail": "invalid tweet id %r (comma separated digits, "
                                                  "no spaces)" % bad[0][:40]})
        if len(ids) > app.max_ids:
            app.account(ids, 400, "too many ids", 0)
            return self.send_json(400, {"detail": "too many tweet ids: %d (max %d)"
                                                  % (len(ids), app.max_ids)})
        rule = app.take_failure()
        if rule is not None:
            return self.answer_failure(rule, ids)
        if app.out_of_credits():
            app.account(ids, 402, "out of credits", 0)
            return self.send_json(402, {"detail": "Payment Required: insufficient credits"})
        if app.rate_limited():
            app.account(ids, 429, "rate limited", 0)
            return self.send_json(429, {"detail": "Too Many Requests"})
        return self.answer_tweets(ids)

    def answer_tweets(self, ids, empty=False):
        app = self.app
        uniq = list(dict.fromkeys(ids))
        tweets = [] if empty else app.registry.tweet_objects(uniq)
        if app.shuffle:
            with app.lock:
                app.rng.shuffle(tweets)
        app.account(ids, 200, "empty" if empty else "success", len(tweets))
        self.send_json(200, {"tweets": tweets, "status": "success", "msg": "success", "code": 0})

    def answer_failure(self, rule, ids):
        app = self.app
        mode = rule["mode"]
        if mode == "slow":
            time.sleep(float(rule["delay"]) if rule.get("delay") is not None else app.slow_seconds)
            return self.answer_tweets(ids)
        if mode == "empty":
            return self.answer_tweets(ids, empty=True)
        if mode == "drop":
            app.account(ids, 0, "drop", 0)
            return self.drop_connection()
        if mode == "status_error":
            app.account(ids, 200, "status_error", 0)
            return self.send_json(200, {"status": "error",
                                        "msg": rule.get("msg") or "internal error, please retry"})
        if mode == "bad_json":
            app.account(ids, 200, "bad_json", 0)
            return self.send_bytes(200, b'{"tweets":[{"type":"tweet","id":"', "application/json")
        status = int(mode)
        app.account(ids, status, "injected %d" % status, 0)
        headers = {}
        if rule.get("retry_after") is not None:
            headers["Retry-After"] = str(rule["retry_after"])
        if status == 500:
            return self.send_bytes(500, b"Internal Server Error", "text/plain; charset=utf-8",
                                   headers)
        if status == 503:
            return self.send_bytes(503, _HTML_503, "text/html", headers)
        detail = {429: "Too Many Requests", 402: "Payment Required: insufficient credits",
                  401: "Unauthorized"}.get(status, "injected failure %d" % status)
        return self.send_json(status, {"detail": rule.get("msg") or detail}, headers)

    # --- control ----------------------------------------------------------
    def do_control(self, method, what, query):
        app = self.app
        reg = app.registry
        if method == "GET":
            self.read_body()
            if what == "stats":
                return self.send_json(200, app.get_stats())
            if what == "tweets":
                return self.send_json(200, reg.snapshot())
            if what == "tweet-objects":
                q = base.parse_query(query)
                ids = [i for i in q["ids"][0].split(",") if i] if q.get("ids") else None
                return self.send_json(200, {"tweets": reg.tweet_objects(ids)})
            return self.send_json(404, {"error": "unknown control endpoint"})
        if method != "POST":
            return self.send_json(404, {"error": "unknown control endpoint"})
        req = self.read_json(default={})
        try:
            if what == "tweets":
                ids = reg.upsert(req)
                return self.send_json(200, {"ok": True, "ids": ids, "count": len(ids)})
            if not isinstance(req, dict):
                return self.send_json(400, {"error": "body must be a JSON object"})
            if what == "generate":
                ids = reg.generate(int(req.get("count", 10)), req.get("created_at"),
                                   req.get("seed"), req.get("authors"))
                return self.send_json(200, {"ok": True, "ids": ids})
            if what == "timeline":
                tid = reg.set_timeline(req.get("id"), req.get("points"))
                return self.send_json(200, {"ok": True, "id": tid})
            if what == "cascade":
                tid = reg.set_cascade(req.get("id"), req.get("created_at"),
                                      req.get("event_times"), req.get("time_scale", 1.0),
                                      req.get("pattern"),
                                      req.get("views_per_event", DEFAULT_VIEWS_PER_EVENT))
                return self.send_json(200, {"ok": True, "id": tid})
            if what in ("delete", "undelete"):
                ids = req.get("ids")
                if not isinstance(ids, list):
                    return self.send_json(400, {"error": "ids must be a list"})
                n = reg.set_deleted(ids, what == "delete")
                return self.send_json(200, {"ok": True, "affected": n})
            if what == "fail":
                mode = str(req.get("mode", ""))
                if mode not in FAIL_MODES and not re.match(r"^[1-5][0-9][0-9]$", mode):
                    return self.send_json(400, {"error": "mode must be one of %s or an HTTP status"
                                                         % (FAIL_MODES,)})
                count = req.get("count", 1)
                if isinstance(count, bool) or not isinstance(count, int) or count < -1:
                    return self.send_json(400, {"error": "count must be an integer >= -1"})
                rule = {"mode": mode, "count": count, "retry_after": req.get("retry_after"),
                        "delay": req.get("delay"), "msg": req.get("msg")}
                with app.lock:
                    app.fail_rules.append(rule)
                    queued = len(app.fail_rules)
                return self.send_json(200, {"ok": True, "queued_rules": queued})
            if what == "fail/clear":
                with app.lock:
                    app.fail_rules = []
                return self.send_json(200, {"ok": True})
            if what == "reset":
                app.reset()
                return self.send_json(200, {"ok": True})
            if what == "send-webhook":
                return self.do_send_webhook(req)
        except RegistryError as e:
            return self.send_json(400, {"error": str(e)})
        return self.send_json(404, {"error": "unknown control endpoint"})

    def do_send_webhook(self, req):
        app = self.app
        url = req.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return self.send_json(400, {"error": "url (http:// or https://) is required"})
        key = req.get("api_key", app.api_key)
        event_type = req.get("event_type", "tweet")
        if event_type != "tweet":
            payloads = [{"event_type": event_type}]
        else:
            tweets = app.registry.tweet_objects(req.get("ids"))
            bs = int(req.get("batch_size") or max(1, len(tweets)))
            payloads = [build_webhook_payload(tweets[i:i + bs],
                                              req.get("rule_id", "standin-rule-0001"),
                                              req.get("rule_tag", "standin_rule"))
                        for i in range(0, max(1, len(tweets)), bs)]
        out = []
        for p in payloads:
            try:
                status, body = post_json(url, p, key, float(req.get("timeout", 10.0)))
                out.append({"status": status, "body": body.decode("utf-8", "replace"),
                            "tweets": len(p.get("tweets", []))})
            except OSError as e:
                out.append({"status": None, "error": str(e), "tweets": len(p.get("tweets", []))})
            base.log_line(NAME, "webhook -> %s %s (%d tweets)"
                          % (url, out[-1].get("status"), out[-1]["tweets"]))
        return self.send_json(200, {"ok": True, "deliveries": out})


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------
def build_arg_parser():
    p = argparse.ArgumentParser(description="twitterapi.io stand-in (test/dev only)")
    p.add_argument("--port", type=int, default=8090, help="listen port on 127.0.0.1 (0 = any)")
    p.add_argument("--api-key", default=os.environ.get("TWITTER_API_KEY") or DEFAULT_API_KEY,
                   help="expected X-API-Key (default $TWITTER_API_KEY or %s)" % DEFAULT_API_KEY)
    p.add_argument("--max-ids", type=int, default=100, help="ids per call above which 400")
    p.add_argument("--slow-seconds", type=float, default=5.0, help="delay of the 'slow' failure")
    p.add_argument("--no-shuffle", action="store_true", help="answer tweets in request order")
    p.add_argument("--seed", type=int, default=None, help="seed of the answer shuffling")
    p.add_argument("--rate-limit", type=float, default=0.0,
                   help="requests per second before 429 (0 = unlimited; 0.2 = free tier)")
    p.add_argument("--credit-limit", type=int, default=None,
                   help="credits after which every call answers 402 (default unlimited)")
    return p


def main(argv=None):
    a = build_arg_parser().parse_args(argv)
    app = TwitterApiStandin(api_key=a.api_key, max_ids=a.max_ids, slow_seconds=a.slow_seconds,
                            shuffle=not a.no_shuffle, seed=a.seed, rate_limit=a.rate_limit,
                            credit_limit=a.credit_limit)
    httpd = app.serve(a.port)
    base.log_line(NAME, "max_ids=%d slow_seconds=%g shuffle=%s rate_limit=%g credit_limit=%s"
                  % (a.max_ids, a.slow_seconds, not a.no_shuffle, a.rate_limit, a.credit_limit))
    return base.run_forever(httpd, NAME)


if __name__ == "__main__":
    sys.exit(main())
