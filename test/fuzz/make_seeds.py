#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into corpus/<target>/.

Every example is invented here (ids, names, text); the shapes follow the
upstream contract: camelCase at tweet and author level, snake_case inside
`entities`. The QStash seeds are signed with the fuzz harness's own keys and
clock (see fuzz_qstash_verify.c), so some of them verify. Deterministic:
running it again rewrites the same files. Python standard library only.

    python3 test/fuzz/make_seeds.py
"""
import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# Must match fuzz_qstash_verify.c.
KEY_CURRENT = b"sig_fuzzCurrent7kQ2mX9pL4vR8tW"
KEY_NEXT = b"sig_fuzzNext3hJ6nB1cY5zD0gF2s"
EXPECTED_SUB = "https://tracker.example.org/api/track-lot"
NOW = 1767724260  # 2026-01-06T18:31:00Z
PLACEHOLDER = "@BODY@"


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---- webhook --------------------------------------------------------------

def author(uid, user, name, followers, bio=""):
    return {
        "type": "user", "id": uid, "userName": user, "name": name,
        "url": "https://x.com/" + user, "twitterUrl": "https://twitter.com/" + user,
        "isVerified": False, "isBlueVerified": True, "verifiedType": "",
        "profilePicture": "https://pbs.example.net/p/" + uid + ".jpg",
        "coverPicture": "", "description": "", "location": "Lisbon",
        "followers": followers, "following": 311, "statusesCount": 4120,
        "favouritesCount": 9031, "mediaCount": 57,
        "createdAt": "Wed Aug 12 07:44:21 +0000 2015", "canDm": False,
        "isAutomated": False, "automatedBy": None, "possiblySensitive": False,
        "profile_bio": {"description": bio, "entities": {}},
    }


def tweet(tid, text, created, likes, author_obj, entities, **extra):
    t = {
        "type": "tweet", "id": tid,
        "url": "https://x.com/i/status/" + tid, "twitterUrl": "https://twitter.com/i/status/" + tid,
        "text": text, "source": "", "retweetCount": 2, "replyCount": 1,
        "likeCount": likes, "quoteCount": 0, "viewCount": 1830, "bookmarkCount": 4,
        "createdAt": created, "lang": "en", "isReply": False,
        "inReplyToId": "", "conversationId": tid, "inReplyToUserId": "",
        "inReplyToUsername": "", "author": author_obj, "entities": entities,
        "extendedEntities": {}, "card": None, "place": {}, "quoted_tweet": None,
        "retweeted_tweet": None,
    }
    t.update(extra)
    return t


def envelope(tweets, rule_id="rule-5521", tag="launch_watch"):
    return {"event_type": "tweet", "rule_id": rule_id, "rule_tag": tag,
            "tweets": tweets, "timestamp": NOW * 1000}


def webhook_seeds():
    t = "fuzz_webhook_payload"
    mara = author("1402219870045", "Mara_Quill", "Mara Quill", 2841, "Makes kites. Flies them badly.")
    root = tweet(
        "1908811223344556601",
        "Kite festival moves to Saturday #KiteDay details: https://t.co/kq81Zp",
        "Tue Jan 06 18:02:11 +0000 2026", 37, mara,
        {"hashtags": [{"text": "KiteDay", "indices": [33, 41]}], "symbols": [],
         "urls": [{"url": "https://t.co/kq81Zp", "expanded_url": "https://kites.example.org/sat",
                   "display_url": "kites.example.org/sat", "indices": [51, 70]}],
         "user_mentions": []})
    reply = tweet(
        "1908811223344556602",
        "@Mara_Quill will there be\nnight flights?",
        "Tue Jan 06 18:09:40 +0000 2026", 3,
        author("88120034", "tobin_v", "Tobin V.", 96),
        {"user_mentions": [{"id_str": "1402219870045", "screen_name": "Mara_Quill",
                            "name": "Mara Quill", "indices": [0, 11]}]},
        isReply=True, inReplyToId="1908811223344556601",
        conversationId="1908811223344556601", inReplyToUserId="1402219870045",
        inReplyToUsername="Mara_Quill")
    del reply["viewCount"]  # missing is not 0
    cash = tweet(
        "1908811223344556603",
        "$KITE up 4% \U0001F680 on festival news, caf\u00e9 queues already",
        "Tue Jan 06 18:15:02 +0000 2026", 120,
        author("5530017", "ledger_lou", "Lou \u00b7 Ledger", 15022),
        {"symbols": [{"text": "KITE", "indices": [0, 5]}], "hashtags": [], "urls": []},
        extendedEntities={"media": [{"type": "photo", "media_url_https": "https://pbs.example.net/m/1.jpg"}]},
        quoted_tweet=root)
    write(t, "delivery_3_tweets.json", dumps(envelope([root, reply, cash])))
    write(t, "probe.json", '{"event_type":"test_webhook_url"}')
    write(t, "probe_with_fields.json",
          dumps({"event_type": "test_webhook_url", "rule_id": "", "timestamp": NOW * 1000}))
    iso = tweet("1908811223344556604", "ISO dated, no author", "2026-01-06T18:20:00.000000Z", 0,
                None, {})
    del iso["author"]
    write(t, "delivery_iso_date.json", dumps(envelope([iso], tag="")))
    bad = [
        tweet("19088112233445566a5", "bad id", "Tue Jan 06 18:21:00 +0000 2026", 1, None, {}),
        tweet("1908811223344556606", "negative likes", "Tue Jan 06 18:21:00 +0000 2026", -1, None, {}),
        tweet("1908811223344556607", "bad date", "Tue Jan 06 25:21:00 +0000 2026", 1, None, {}),
        "not an object",
        tweet("1908811223344556608", "ok", "2026-01-06T18:21:00+00:00", 1.0, None, {}),
    ]
    write(t, "delivery_rejects.json", dumps(envelope(bad)))
    ents = tweet(
        "1908811223344556609", "entity edge cases", "Tue Jan 06 18:22:00 +0000 2026", 5,
        author("77", "X", "", 0),
        {"hashtags": [{"text": "A"}, {"text": ""}, {"indices": [1, 2]}, {"text": "B", "indices": [-1, 3]}],
         "urls": [{"url": "https://t.co/a"}, {"expanded_url": "", "url": ""}],
         "user_mentions": [{"screen_name": "Zed", "indices": [2147483648, 1]}, 7]})
    write(t, "delivery_entities_edge.json", dumps(envelope([ents])))
    # Escapes PostgreSQL would refuse: a text cut inside an emoji (lone
    # surrogate), an escaped NUL, and an escaped backslash before "u0000"
    # (which is text, not an escape). Written by hand: json.dumps cannot.
    cut = tweet("1908811223344556610", "@TEXT@", "Tue Jan 06 18:23:00 +0000 2026", 9, None, {})
    write(t, "delivery_bad_escapes.json", dumps(envelope([cut])).replace(
        '"@TEXT@"', '"cut here \\ud83d, nul \\u0000, pair \\ud83d\\ude80, not one \\\\u0000"'))


# ---- tweet time -------------------------------------------------------------

def time_seeds():
    t = "fuzz_tweet_time"
    write(t, "twitter.txt", "Sat Mar 14 09:15:07 +0000 2026")
    write(t, "twitter_leap_day.txt", "Thu Feb 29 23:59:59 +0000 2024")
    write(t, "iso_micro.txt", "2026-03-14T09:15:07.000000Z")
    write(t, "iso_plain.txt", "2026-03-14T09:15:07Z")
    write(t, "iso_offset_colon.txt", "2026-03-14T11:15:07+02:00")
    write(t, "iso_offset_compact.txt", "2026-03-14T04:15:07.5-0500")


# ---- track-lot --------------------------------------------------------------

def track_seeds():
    t = "fuzz_track_payload"
    ids = ["3f2a9c1e-8b7d-4e60-a1f2-0c9d8e7b6a51", "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
           "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918"]
    zone = "c9e8d7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f"
    write(t, "track_3_ids.json", dumps({"lotId": "lot:2026-01-06T18:00:zone-c9e8", "tweetDbIds": ids,
                                        "updateNumber": 1, "zoneId": zone}))
    write(t, "track_1_id_upper.json", dumps({"lotId": "L_1", "tweetDbIds": [ids[0].upper()],
                                             "updateNumber": 12, "zoneId": zone.upper()}))
    write(t, "track_duplicate.json", dumps({"lotId": "lot-dup", "tweetDbIds": [ids[1], ids[1].upper()],
                                            "updateNumber": 2, "zoneId": zone}))


# ---- qstash -----------------------------------------------------------------

def b64url(raw, pad=False):
    s = base64.urlsafe_b64encode(raw).decode()
    return s if pad else s.rstrip("=")


def make_token(key, claims, header=None):
    header = header or {"alg": "HS256", "typ": "JWT"}
    signing = b64url(dumps(header).encode()) + "." + b64url(dumps(claims).encode())
    mac = hmac.new(key, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(mac)


def claims_for(body_hash, exp=NOW + 300, **over):
    c = {"iss": "Upstash", "sub": EXPECTED_SUB, "exp": exp, "nbf": 0, "iat": NOW,
         "jti": "jwt_3NcXg1sR7wQpF2bZ", "body": body_hash}
    c.update(over)
    return c


def qstash_seeds():
    t = "fuzz_qstash_verify"
    body = dumps({"lotId": "lot:2026-01-06T18:00:zone-c9e8",
                  "tweetDbIds": ["3f2a9c1e-8b7d-4e60-a1f2-0c9d8e7b6a51"],
                  "updateNumber": 3, "zoneId": "c9e8d7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f"}).encode()
    padded = b64url(hashlib.sha256(body).digest(), pad=True)

    def raw(flags, token, b=body):
        return bytes([flags]) + token.encode() + b"\n" + b

    # Raw mode: complete tokens (flags bit 2: the subject is checked).
    write(t, "raw_ok_current.bin", raw(0x04, make_token(KEY_CURRENT, claims_for(padded))))
    write(t, "raw_ok_next_empty_body.bin",
          raw(0x00, make_token(KEY_NEXT, claims_for(b64url(hashlib.sha256(b"").digest()))), b""))
    write(t, "raw_expired.bin", raw(0x00, make_token(KEY_CURRENT, claims_for(padded, exp=NOW - 3600))))
    write(t, "raw_bad_issuer.bin", raw(0x00, make_token(KEY_CURRENT, claims_for(padded, iss="upstash"))))
    write(t, "raw_hs384.bin", raw(0x00, make_token(KEY_CURRENT, claims_for(padded),
                                                   {"alg": "HS384", "typ": "JWT"})))
    write(t, "raw_alg_none.bin", raw(0x00, b64url(b'{"alg":"none"}') + "." +
                                     b64url(dumps(claims_for(padded)).encode()) + "."))
    # Signed mode: header / claims / body; the harness signs and hashes.
    hdr = dumps({"alg": "HS256", "typ": "JWT"}).encode()
    tmpl = dumps(claims_for(PLACEHOLDER)).encode()
    write(t, "signed_current_sub.bin", bytes([0x01 | 0x04]) + hdr + b"\n" + tmpl + b"\n" + body)
    write(t, "signed_next_padded.bin", bytes([0x01 | 0x02 | 0x08]) + hdr + b"\n" + tmpl + b"\n" + body)
    write(t, "signed_nbf_future.bin", bytes([0x01]) + hdr + b"\n" +
          dumps(claims_for(PLACEHOLDER, nbf=NOW + 600)).encode() + b"\n" + body)
    write(t, "signed_crit.bin", bytes([0x01]) + dumps({"alg": "HS256", "crit": ["b64"]}).encode() +
          b"\n" + tmpl + b"\n")


if __name__ == "__main__":
    webhook_seeds()
    time_seeds()
    track_seeds()
    qstash_seeds()
