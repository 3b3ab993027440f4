/* test_tweet.c - tweet.h: time and id parsing, one tweet object to struct.
 * All data is invented and embedded: no file outside the test is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tweet.h"

/* A complete tweet in the upstream's camelCase shape. 2026-01-06 was a
 * Tuesday; 1767724200 is that day at 18:30:00 UTC. */
#define T_CREATED 1767724200
#define A_CREATED 1464775200 /* Wed Jun 01 10:00:00 +0000 2016 */
static const char BASE_TWEET[] =
    "{\"type\":\"tweet\",\"id\":\"1900000000000000042\","
    "\"url\":\"https://x.com/wren_hollow/status/1900000000000000042\","
    "\"twitterUrl\":\"https://twitter.com/wren_hollow/status/1900000000000000042\","
    "\"text\":\"Benchmarking #FastCGI responders with @Kestrel_Ops: https://t.co/Zz9\","
    "\"source\":\"web\",\"retweetCount\":7,\"replyCount\":2,\"likeCount\":48,\"quoteCount\":1,"
    "\"viewCount\":3100,\"createdAt\":\"Tue Jan 06 18:30:00 +0000 2026\",\"lang\":\"en\","
    "\"bookmarkCount\":5,\"isReply\":false,\"inReplyToId\":\"\","
    "\"conversationId\":\"1900000000000000042\",\"inReplyToUserId\":\"\","
    "\"inReplyToUsername\":\"\","
    "\"author\":{\"type\":\"user\",\"userName\":\"Wren_Hollow\",\"id\":\"730000000000000001\","
    "\"name\":\"Wren Hollow\",\"isVerified\":false,\"isBlueVerified\":true,"
    "\"verifiedType\":\"Business\",\"profilePicture\":\"https://img.example/p.jpg\","
    "\"coverPicture\":\"https://img.example/c.jpg\",\"description\":\"Latency hunter.\","
    "\"location\":\"Oslo\",\"followers\":1200,\"following\":85,\"canDm\":true,"
    "\"createdAt\":\"Wed Jun 01 10:00:00 +0000 2016\",\"favouritesCount\":640,"
    "\"mediaCount\":33,\"statusesCount\":5100,\"possiblySensitive\":false,"
    "\"profile_bio\":{\"description\":\"Bio from profile.\"},\"isAutomated\":true,"
    "\"automatedBy\":\"wren_main\"},"
    "\"extendedEntities\":{},\"card\":null,\"place\":{},"
    "\"entities\":{\"hashtags\":[{\"indices\":[13,21],\"text\":\"FastCGI\"}],\"symbols\":[],"
    "\"urls\":[{\"display_url\":\"example.net/bench\",\"expanded_url\":\"https://example.net/Bench\","
    "\"indices\":[52,67],\"url\":\"https://t.co/Zz9\"}],"
    "\"user_mentions\":[{\"id_str\":\"730000000000000077\",\"indices\":[39,50],"
    "\"name\":\"Kestrel\",\"screen_name\":\"Kestrel_Ops\"}]},"
    "\"quoted_tweet\":null,\"retweeted_tweet\":null}";

static json_t *load(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &e);

    if (!j)
        fail_msg("test JSON does not parse: %s (line %d col %d)", e.text, e.line, e.column);
    return j;
}

/* The base tweet with one field replaced (value_json) or removed (NULL).
 * key "author.x" addresses the author object. */
static json_t *base_with(const char *key, const char *value_json)
{
    json_t *root = load(BASE_TWEET), *target = root;

    if (strncmp(key, "author.", 7) == 0) {
        target = json_object_get(root, "author");
        key += 7;
    }
    if (value_json)
        json_object_set_new(target, key, load(value_json));
    else
        json_object_del(target, key);
    return root;
}

/* ---- tweet_parse_time ------------------------------------------------- */

static void expect_time(const char *s, long long want)
{
    time_t t = 0;

    if (tweet_parse_time(s, &t) != 0)
        fail_msg("rejected: \"%s\"", s);
    if ((long long)t != want)
        fail_msg("\"%s\": got %lld, want %lld", s, (long long)t, want);
}

static void expect_bad(const char *s)
{
    time_t t = 0;

    if (tweet_parse_time(s, &t) == 0)
        fail_msg("accepted: \"%s\"", s);
}

static void test_time_twitter_format(void **state)
{
    (void)state;
    expect_time("Sat Mar 14 09:15:07 +0000 2026", 1773479707);
    expect_time("Thu Jan 01 00:00:00 +0000 1970", 0);
    expect_bad("Wed Dec 31 23:59:59 +0000 1969");   /* before 1970: refused */
    expect_time("Thu Feb 29 12:00:00 +0000 2024", 1709208000); /* leap day */
    expect_time("Wed Mar 01 00:00:00 +0000 2000", 951868800);  /* 400-year leap */
    expect_time("Mon Sep 19 08:44:00 +0000 2011", 1316421840);
    /* Other offsets are applied, though the upstream always sends +0000. */
    expect_time("Sat Mar 14 11:15:07 +0200 2026", 1773479707);
}

static void test_time_iso_format(void **state)
{
    (void)state;
    expect_time("2026-03-14T09:15:07Z", 1773479707);
    expect_time("2026-03-14T09:15:07.000000Z", 1773479707);
    expect_time("2026-03-14T09:15:07.9Z", 1773479707);           /* truncated, not rounded */
    expect_time("2026-03-14T09:15:07.123456789012345Z", 1773479707);
    expect_time("2026-03-14T09:15:07+00:00", 1773479707);
    expect_time("2026-03-14T09:15:07+0000", 1773479707);
    expect_time("2026-03-14T09:15:07.5-00:00", 1773479707);
    expect_time("2026-03-14T11:15:07+02:00", 1773479707);
    expect_time("2026-03-14T03:45:07-05:30", 1773479707);
    expect_time("2026-03-14T00:15:07-0900", 1773479707);
    expect_bad("1900-02-28T00:00:00Z");             /* years outside 1970..9999 */
    expect_bad("0000-06-01T00:00:00Z");
    expect_bad("10000-01-01T00:00:00Z");
    expect_time("9999-12-31T23:59:59Z", 253402300799LL);
    expect_time("2024-02-29T12:00:00Z", 1709208000);
}

static void test_time_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        " ",
        "Sat Mar 14 09:15:07 +0000 2026 ",   /* trailing space */
        "Sat Mar 14 09:15:07 +0000 2026x",   /* trailing garbage */
        " Sat Mar 14 09:15:07 +0000 2026",   /* leading space */
        "Sat Mar 14 09:15:07 +0000 26",      /* 2-digit year */
        "Sat Mar 14 09:15:07 2026",          /* no offset */
        "Sat Mar 14 09:15:07 0000 2026",     /* offset without sign */
        "Sat Mar 14 09:15:07 +00:00 2026",   /* colon not in this form */
        "Sat Mar 14 9:15:07 +0000 2026",     /* 1-digit hour */
        "Sat Mar 4 09:15:07 +0000 2026",     /* 1-digit day */
        "Sat mar 14 09:15:07 +0000 2026",    /* month names are capitalised */
        "Sat Mrz 14 09:15:07 +0000 2026",
        "Sab Mar 14 09:15:07 +0000 2026",
        "Sat Mar 00 09:15:07 +0000 2026",
        "Sat Mar 32 09:15:07 +0000 2026",
        "Sat Apr 31 09:15:07 +0000 2026",
        "Sat Feb 29 09:15:07 +0000 2026",    /* 2026 is not a leap year */
        "Sat Feb 29 09:15:07 +0000 1900",    /* nor 1900 */
        "Sat Mar 14 24:00:00 +0000 2026",
        "Sat Mar 14 09:60:07 +0000 2026",
        "Sat Mar 14 09:15:60 +0000 2026",
        "Sat Mar 14 09:15:07 +2400 2026",
        "Sat Mar 14 09:15:07 +0060 2026",
        "Saturday, 14-Mar-26 09:15:07 UTC",
        "2026-03-14T09:15:07",               /* no zone: would be a guess */
        "2026-03-14 09:15:07Z",              /* space separator */
        "2026-03-14T09:15:07.Z",             /* empty fraction */
        "2026-03-14T09:15:07Zjunk",
        "2026-03-14T09:15:07+00:00 ",
        "2026-03-14T09:15:07+0",
        "2026-03-14T09:15:07+00:0",
        "2026-03-14T09:15Z",
        "2026-3-14T09:15:07Z",
        "2026-00-14T09:15:07Z",
        "2026-13-14T09:15:07Z",
        "2026-03-00T09:15:07Z",
        "2026-06-31T09:15:07Z",
        "2026-03-14T25:15:07Z",
        "2026-03-14T09:15:07+25:00",
        "1773479707",
        "+2026-03-14T09:15:07Z",
    };
    time_t t = 42;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tweet_parse_time(bad[i], &t) != -1)
            fail_msg("accepted: \"%s\"", bad[i]);
        assert_int_equal(t, 42); /* untouched on failure */
    }
    assert_int_equal(tweet_parse_time(NULL, &t), -1);
    assert_int_equal(tweet_parse_time("2026-03-14T09:15:07Z", NULL), -1);
}

/* ---- tweet_id_valid --------------------------------------------------- */

static void test_id_valid(void **state)
{
    (void)state;
    assert_true(tweet_id_valid("2032747339445186561"));
    assert_true(tweet_id_valid("1"));
    assert_true(tweet_id_valid("88001234"));
    assert_true(tweet_id_valid("9999999999999999999")); /* 19 digits, < 2^64 */
    assert_false(tweet_id_valid("18446744073709551615")); /* UINT64_MAX: 20 digits */
    assert_false(tweet_id_valid("12345678901234567890"));
    assert_false(tweet_id_valid(NULL));
    assert_false(tweet_id_valid(""));
    assert_false(tweet_id_valid("-1"));
    assert_false(tweet_id_valid("+1"));
    assert_false(tweet_id_valid(" 1"));
    assert_false(tweet_id_valid("1 "));
    assert_false(tweet_id_valid("12a"));
    assert_false(tweet_id_valid("0x1F"));
    assert_false(tweet_id_valid("1.5"));
    assert_false(tweet_id_valid("1e18"));
    assert_false(tweet_id_valid("\xd9\xa1")); /* ARABIC-INDIC DIGIT ONE */
    assert_false(tweet_id_valid("0123"));   /* leading zero: would alias "123" */
    assert_true(tweet_id_valid("0"));
}

/* ---- tweet_parse: the good path --------------------------------------- */

static void test_parse_full_tweet(void **state)
{
    json_t *root = load(BASE_TWEET), *back;
    const char *why = NULL;
    tweet t;

    (void)state;
    assert_int_equal(tweet_parse(root, &t, &why), 0);
    assert_string_equal(t.id, "1900000000000000042");
    assert_string_equal(t.text, "Benchmarking #FastCGI responders with @Kestrel_Ops: https://t.co/Zz9");
    assert_string_equal(t.lang, "en");
    assert_string_equal(t.source, "web");
    assert_string_equal(t.url, "https://x.com/wren_hollow/status/1900000000000000042");
    assert_string_equal(t.twitter_url, "https://twitter.com/wren_hollow/status/1900000000000000042");
    assert_string_equal(t.conversation_id, "1900000000000000042");
    assert_int_equal(t.created_at, T_CREATED);
    assert_int_equal(t.metrics.likes, 48);
    assert_int_equal(t.metrics.retweets, 7);
    assert_int_equal(t.metrics.replies, 2);
    assert_int_equal(t.metrics.quotes, 1);
    assert_int_equal(t.metrics.bookmarks, 5);
    assert_true(t.metrics.has_views);
    assert_int_equal(t.metrics.views, 3100);
    assert_int_equal(tweet_metrics_engagement(&t.metrics), 48 + 7 + 2 + 1);
    assert_false(t.is_reply);
    assert_null(t.in_reply_to_id);
    assert_null(t.in_reply_to_user_id);
    assert_null(t.in_reply_to_username);
    assert_false(t.has_media);

    assert_true(t.has_author);
    assert_string_equal(t.author.id, "730000000000000001");
    assert_string_equal(t.author.username, "Wren_Hollow");
    assert_string_equal(t.author.username_lower, "wren_hollow");
    assert_string_equal(t.author.name, "Wren Hollow");
    assert_string_equal(t.author.description, "Latency hunter."); /* not the bio */
    assert_string_equal(t.author.location, "Oslo");
    assert_string_equal(t.author.profile_picture_url, "https://img.example/p.jpg");
    assert_string_equal(t.author.cover_picture_url, "https://img.example/c.jpg");
    assert_string_equal(t.author.verified_type, "Business");
    assert_string_equal(t.author.automated_by, "wren_main");
    assert_false(t.author.is_verified);
    assert_true(t.author.is_blue_verified);
    assert_true(t.author.is_automated);
    assert_true(t.author.can_dm);
    assert_false(t.author.possibly_sensitive);
    assert_int_equal(t.author.followers, 1200);
    assert_int_equal(t.author.following, 85);
    assert_int_equal(t.author.statuses, 5100);
    assert_int_equal(t.author.media, 33);
    assert_int_equal(t.author.favourites, 640);
    assert_true(t.author.has_created_at);
    assert_int_equal(t.author.created_at, A_CREATED);

    /* raw_json: compact, and the same document as the input. */
    assert_non_null(t.raw_json);
    assert_null(strstr(t.raw_json, "\": "));
    assert_null(strstr(t.raw_json, ", \""));
    back = load(t.raw_json);
    assert_true(json_equal(back, root));
    json_decref(back);
    back = load(t.author.raw_json);
    assert_true(json_equal(back, json_object_get(root, "author")));
    json_decref(back);

    tweet_free(&t);
    assert_null(t.raw_json); /* zeroed: a second free is harmless */
    tweet_free(&t);
    json_decref(root);
}

static void test_nineteen_digit_ids_exact(void **state)
{
    json_t *root = base_with("id", "\"2032747339445186561\"");
    tweet t;

    (void)state;
    json_object_set_new(json_object_get(root, "author"), "id", json_string("9223372036854775807"));
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_string_equal(t.id, "2032747339445186561");
    assert_string_equal(t.author.id, "9223372036854775807");
    assert_non_null(strstr(t.raw_json, "\"id\":\"2032747339445186561\""));
    tweet_free(&t);
    json_decref(root);
}

static void test_iso_created_at(void **state)
{
    json_t *root = base_with("createdAt", "\"2026-01-06T18:30:00.000000Z\"");
    tweet t;

    (void)state;
    json_object_set_new(json_object_get(root, "author"), "createdAt",
                        json_string("2016-06-01T12:00:00+02:00"));
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_int_equal(t.created_at, T_CREATED);
    assert_true(t.author.has_created_at);
    assert_int_equal(t.author.created_at, A_CREATED);
    tweet_free(&t);
    json_decref(root);
}

static void test_view_count_missing_null_zero(void **state)
{
    tweet t;
    json_t *root;

    (void)state;
    root = base_with("viewCount", NULL);
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.metrics.has_views);
    tweet_free(&t);
    json_decref(root);

    root = base_with("viewCount", "null");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.metrics.has_views);
    tweet_free(&t);
    json_decref(root);

    root = base_with("viewCount", "0");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_true(t.metrics.has_views);
    assert_int_equal(t.metrics.views, 0);
    tweet_free(&t);
    json_decref(root);
}

static void test_metrics_parse(void **state)
{
    tweet_metrics m;
    const char *why = NULL;
    json_t *j;

    (void)state;
    /* Missing counters are 0; integral reals are accepted. */
    j = load("{\"likeCount\":12.0,\"retweetCount\":900719925474099}");
    assert_int_equal(tweet_metrics_parse(j, &m, &why), 0);
    assert_int_equal(m.likes, 12);
    assert_int_equal(m.retweets, 900719925474099LL); /* kept exact: an integer, not a double */
    assert_int_equal(m.replies, 0);
    assert_int_equal(m.quotes, 0);
    assert_int_equal(m.bookmarks, 0);
    assert_false(m.has_views);
    json_decref(j);

    /* Counters that would overflow the database's bigint sum are refused. */
    j = load("{\"likeCount\":9223372036854775807,\"retweetCount\":1}");
    assert_int_equal(tweet_metrics_parse(j, &m, &why), -1);
    assert_string_equal(why, "likeCount: not an integer in 0..1e15");
    json_decref(j);
    j = load("{\"likeCount\":1000000000000000,\"retweetCount\":1000000000000000,"
             "\"replyCount\":1000000000000000,\"quoteCount\":1000000000000000}");
    assert_int_equal(tweet_metrics_parse(j, &m, &why), 0);
    assert_true(tweet_metrics_engagement(&m) == 4000000000000000LL);
    json_decref(j);
    assert_int_equal(tweet_metrics_engagement(NULL), 0);

    j = load("{\"quoteCount\":1e30}");
    assert_int_equal(tweet_metrics_parse(j, &m, &why), -1);
    assert_string_equal(why, "quoteCount: not an integer in 0..1e15");
    json_decref(j);

    j = load("{\"viewCount\":\"10\"}");
    assert_int_equal(tweet_metrics_parse(j, &m, &why), -1);
    assert_string_equal(why, "viewCount: not an integer in 0..1e15");
    json_decref(j);

    j = load("[1]");
    assert_int_equal(tweet_metrics_parse(j, &m, &why), -1);
    json_decref(j);
    assert_int_equal(tweet_metrics_parse(NULL, &m, NULL), -1);
}

static void test_reply_fields(void **state)
{
    static const char REPLY[] =
        "{\"id\":\"1900000000000000050\",\"createdAt\":\"Tue Jan 06 18:31:00 +0000 2026\","
        "\"text\":\"@wren_hollow which wrk settings?\",\"isReply\":true,"
        "\"inReplyToId\":\"1900000000000000042\",\"inReplyToUserId\":\"730000000000000001\","
        "\"inReplyToUsername\":\"wren_hollow\",\"conversationId\":\"1900000000000000042\"}";
    tweet t;
    json_t *root;

    (void)state;
    /* "" -> NULL (the base tweet), null -> NULL, a value -> kept. */
    root = base_with("inReplyToId", "null");
    json_object_set_new(root, "inReplyToUserId", json_null());
    json_object_del(root, "inReplyToUsername");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_null(t.in_reply_to_id);
    assert_null(t.in_reply_to_user_id);
    assert_null(t.in_reply_to_username);
    assert_false(t.is_reply);
    tweet_free(&t);
    json_decref(root);

    root = load(REPLY);
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_true(t.is_reply);
    assert_string_equal(t.in_reply_to_id, "1900000000000000042");
    assert_string_equal(t.in_reply_to_user_id, "730000000000000001");
    assert_string_equal(t.in_reply_to_username, "wren_hollow");
    /* A minimal tweet: no author, no entities, no counters. */
    assert_false(t.has_author);
    assert_null(t.author.id);
    assert_int_equal(t.n_entities, 0);
    assert_null(t.entities);
    assert_int_equal(t.metrics.likes, 0);
    assert_false(t.metrics.has_views);
    assert_null(t.lang);
    tweet_free(&t);
    json_decref(root);
}

static void test_emoji_and_surrogates(void **state)
{
    /* One rocket escaped as a surrogate pair, one as raw UTF-8, plus an
     * escaped newline and a CJK character. */
    static const char TW[] =
        "{\"id\":\"1900000000000000060\",\"createdAt\":\"2026-01-06T18:40:00Z\","
        "\"text\":\"liftoff \\ud83d\\ude80 and \xf0\x9f\x9a\x80\\nline two \xe7\x8c\xab\"}";
    static const char WANT[] =
        "liftoff \xf0\x9f\x9a\x80 and \xf0\x9f\x9a\x80\nline two \xe7\x8c\xab";
    json_t *root = load(TW), *back;
    tweet t;

    (void)state;
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_string_equal(t.text, WANT);
    /* raw_json keeps UTF-8 as UTF-8 (no \u escapes to re-decode). */
    assert_non_null(strstr(t.raw_json, "liftoff \xf0\x9f\x9a\x80 and \xf0\x9f\x9a\x80\\nline two"));
    back = load(t.raw_json);
    assert_string_equal(json_string_value(json_object_get(back, "text")), WANT);
    json_decref(back);
    tweet_free(&t);
    json_decref(root);
}

static void test_nested_quoted_and_unknown_fields(void **state)
{
    json_t *root = base_with(
        "quoted_tweet",
        "{\"id\":\"1800000000000000001\",\"text\":\"the original #Other\","
        "\"createdAt\":\"not a date at all\",\"likeCount\":\"lots\","
        "\"author\":{\"id\":\"bogus\"},"
        "\"entities\":{\"hashtags\":[{\"text\":\"Other\",\"indices\":[13,19]}]}}");
    tweet t;

    (void)state;
    json_object_set_new(root, "someFutureField", load("{\"nested\":[1,2,{\"deep\":true}]}"));
    json_object_set_new(root, "isPinned", json_true());
    json_object_set_new(root, "retweeted_tweet", load("{\"id\":\"x\"}"));
    json_object_set_new(root, "card", load("{\"name\":\"summary\"}"));
    json_object_set_new(json_object_get(root, "author"), "unknownFlag", json_integer(3));
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    /* The nested tweet is data, not validated and not mixed in. */
    assert_string_equal(t.id, "1900000000000000042");
    assert_int_equal(t.metrics.likes, 48);
    assert_int_equal(t.n_entities, 3);
    for (size_t i = 0; i < t.n_entities; i++)
        assert_string_not_equal(t.entities[i].value, "Other");
    assert_non_null(strstr(t.raw_json, "\"quoted_tweet\":{\"id\":\"1800000000000000001\""));
    assert_non_null(strstr(t.raw_json, "someFutureField"));
    tweet_free(&t);
    json_decref(root);
}

static void test_profile_bio_fallback(void **state)
{
    tweet t;
    json_t *root;

    (void)state;
    root = base_with("author.description", "\"\"");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_string_equal(t.author.description, "Bio from profile.");
    tweet_free(&t);
    json_decref(root);

    root = base_with("author.description", NULL);
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_string_equal(t.author.description, "Bio from profile.");
    tweet_free(&t);
    json_decref(root);

    /* Both empty: empty, not NULL. */
    root = base_with("author.description", "\"\"");
    json_object_set_new(json_object_get(root, "author"), "profile_bio",
                        load("{\"description\":\"\"}"));
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_string_equal(t.author.description, "");
    tweet_free(&t);
    json_decref(root);

    /* Neither present. */
    root = base_with("author.description", NULL);
    json_object_del(json_object_get(root, "author"), "profile_bio");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_null(t.author.description);
    tweet_free(&t);
    json_decref(root);
}

static void test_author_tolerances(void **state)
{
    tweet t;
    json_t *root;

    (void)state;
    /* An unparseable account date is not a reject. */
    root = base_with("author.createdAt", "\"sometime in 2016\"");
    json_object_set_new(json_object_get(root, "author"), "followers", json_string("1.2K"));
    json_object_set_new(json_object_get(root, "author"), "verifiedType", json_null());
    json_object_del(json_object_get(root, "author"), "userName");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.author.has_created_at);
    assert_int_equal(t.author.followers, 0);
    assert_null(t.author.verified_type);
    assert_null(t.author.username);
    assert_null(t.author.username_lower);
    tweet_free(&t);
    json_decref(root);

    root = base_with("author", "null");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.has_author);
    assert_null(t.author.raw_json);
    tweet_free(&t);
    json_decref(root);

    root = base_with("author", NULL);
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.has_author);
    tweet_free(&t);
    json_decref(root);
}

/* ---- entities --------------------------------------------------------- */

static const tweet_entity *find_entity(const tweet *t, tweet_entity_type type, const char *value)
{
    for (size_t i = 0; i < t->n_entities; i++)
        if (t->entities[i].type == type && strcmp(t->entities[i].value, value) == 0)
            return &t->entities[i];
    return NULL;
}

static void test_entities(void **state)
{
    const tweet_entity *e;
    tweet t;
    json_t *root = load(BASE_TWEET);

    (void)state;
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_int_equal(t.n_entities, 3);
    assert_true(t.has_hashtags);
    assert_true(t.has_mentions);
    assert_true(t.has_links);

    e = find_entity(&t, ENTITY_HASHTAG, "FastCGI");
    assert_non_null(e);
    assert_string_equal(e->normalized, "fastcgi");
    assert_int_equal(e->start, 13);
    assert_int_equal(e->end, 21);

    e = find_entity(&t, ENTITY_MENTION, "Kestrel_Ops");
    assert_non_null(e);
    assert_string_equal(e->normalized, "kestrel_ops");
    assert_int_equal(e->start, 39);

    e = find_entity(&t, ENTITY_URL, "https://example.net/Bench"); /* expanded_url wins */
    assert_non_null(e);
    assert_string_equal(e->normalized, "https://example.net/bench");
    assert_int_equal(e->end, 67);
    tweet_free(&t);
    json_decref(root);
}

static void test_entities_malformed_and_fallbacks(void **state)
{
    tweet t;
    json_t *root = base_with(
        "entities",
        "{\"hashtags\":[42,{\"indices\":[0,4]},{\"text\":\"\"},{\"text\":7},"
        "{\"text\":\"\xc3\x9c" "BER_Tag\",\"indices\":\"0,4\"},{\"text\":\"Ok\",\"indices\":[1]},"
        "{\"text\":\"Big\",\"indices\":[1,99999999999]}],"
        "\"user_mentions\":[null,{\"id_str\":\"1\",\"name\":\"x\"}],"
        "\"urls\":[{\"url\":\"https://t.co/OnlyShort\",\"expanded_url\":\"\"},"
        "{\"url\":\"https://t.co/Q\",\"expanded_url\":null},{\"display_url\":\"a.b\"}],"
        "\"symbols\":[{\"text\":\"ORBIT\",\"indices\":[0,6]}]}");
    const tweet_entity *e;

    (void)state;
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_int_equal(t.n_entities, 5);
    assert_true(t.has_hashtags);
    assert_false(t.has_mentions);
    assert_true(t.has_links);

    /* ASCII folding only: the UTF-8 bytes of U+00DC stay as they are. */
    e = find_entity(&t, ENTITY_HASHTAG, "\xc3\x9c" "BER_Tag");
    assert_non_null(e);
    assert_string_equal(e->normalized, "\xc3\x9c" "ber_tag");
    assert_int_equal(e->start, -1);
    assert_int_equal(e->end, -1);
    e = find_entity(&t, ENTITY_HASHTAG, "Ok");
    assert_non_null(e);
    assert_int_equal(e->start, -1);
    e = find_entity(&t, ENTITY_HASHTAG, "Big");
    assert_non_null(e);
    assert_int_equal(e->end, -1);

    assert_non_null(find_entity(&t, ENTITY_URL, "https://t.co/OnlyShort"));
    e = find_entity(&t, ENTITY_URL, "https://t.co/Q");
    assert_non_null(e);
    assert_string_equal(e->normalized, "https://t.co/q");
    tweet_free(&t);
    json_decref(root);

    /* entities of the wrong type, or absent: nothing, no error. */
    root = base_with("entities", "[1,2]");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_int_equal(t.n_entities, 0);
    assert_false(t.has_hashtags || t.has_mentions || t.has_links);
    tweet_free(&t);
    json_decref(root);

    root = base_with("entities", "{\"hashtags\":{},\"urls\":\"x\"}");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_int_equal(t.n_entities, 0);
    tweet_free(&t);
    json_decref(root);
}

static void test_entities_capped(void **state)
{
    json_t *root = load(BASE_TWEET), *ents = json_object(), *tags = json_array(),
           *mentions = json_array();
    char buf[32];
    tweet t;

    (void)state;
    for (int i = 0; i < 1500; i++) {
        snprintf(buf, sizeof buf, "Tag%d", i);
        json_array_append_new(tags, json_pack("{s:s, s:[i,i]}", "text", buf, "indices", 0, 4));
    }
    json_array_append_new(mentions, json_pack("{s:s}", "screen_name", "Late"));
    json_object_set_new(ents, "hashtags", tags);
    json_object_set_new(ents, "user_mentions", mentions);
    json_object_set_new(root, "entities", ents);

    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_int_equal(t.n_entities, 1000);
    assert_string_equal(t.entities[999].value, "Tag999");
    assert_string_equal(t.entities[999].normalized, "tag999");
    assert_false(t.has_mentions); /* past the cap */
    tweet_free(&t);
    json_decref(root);
}

static void test_has_media(void **state)
{
    tweet t;
    json_t *root;

    (void)state;
    root = base_with("extendedEntities", "{\"media\":[{\"type\":\"photo\"}]}");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_true(t.has_media);
    tweet_free(&t);
    json_decref(root);

    root = base_with("extendedEntities", "{\"media\":[]}");
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.has_media);
    tweet_free(&t);
    json_decref(root);

    root = base_with("extendedEntities", NULL);
    assert_int_equal(tweet_parse(root, &t, NULL), 0);
    assert_false(t.has_media);
    tweet_free(&t);
    json_decref(root);
}

/* ---- tweet_parse: rejects --------------------------------------------- */

static void test_rejects(void **state)
{
    static const struct {
        const char *key, *value; /* value NULL = remove the key */
        const char *why;
    } cases[] = {
        {"id", NULL, "id: missing or not a string"},
        {"id", "1900000000000000042", "id: missing or not a string"}, /* a number */
        {"id", "null", "id: missing or not a string"},
        {"id", "\"\"", "id: not 1..19 digits"},
        {"id", "\"18446744073709551615\"", "id: not 1..19 digits"},
        {"id", "\"19000000000000000a2\"", "id: not 1..19 digits"},
        {"id", "\"-1900000000000000042\"", "id: not 1..19 digits"},
        {"createdAt", NULL, "createdAt: missing or not a string"},
        {"createdAt", "1767724200", "createdAt: missing or not a string"},
        {"createdAt", "\"Tue Jan 06 18:30:00 +0000\"", "createdAt: unparseable date"},
        {"createdAt", "\"2026-02-30T00:00:00Z\"", "createdAt: unparseable date"},
        {"text", "42", "text: not a string"},
        {"text", "null", "text: not a string"},
        {"likeCount", "\"48\"", "likeCount: not an integer in 0..1e15"},
        {"likeCount", "-1", "likeCount: not an integer in 0..1e15"},
        {"likeCount", "1.5", "likeCount: not an integer in 0..1e15"},
        {"likeCount", "-0.5", "likeCount: not an integer in 0..1e15"},
        {"retweetCount", "true", "retweetCount: not an integer in 0..1e15"},
        {"replyCount", "[]", "replyCount: not an integer in 0..1e15"},
        {"quoteCount", "{}", "quoteCount: not an integer in 0..1e15"},
        {"bookmarkCount", "-3", "bookmarkCount: not an integer in 0..1e15"},
        {"viewCount", "\"3100\"", "viewCount: not an integer in 0..1e15"},
        {"viewCount", "-1", "viewCount: not an integer in 0..1e15"},
        {"author", "\"wren\"", "author: not an object"},
        {"author.id", NULL, "author.id: missing or not 1..19 digits"},
        {"author.id", "730000000000000001", "author.id: missing or not 1..19 digits"},
        {"author.id", "\"@wren\"", "author.id: missing or not 1..19 digits"},
        {"author.id", "\"\"", "author.id: missing or not 1..19 digits"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *root = base_with(cases[i].key, cases[i].value);
        const char *why = NULL;
        tweet t;

        if (tweet_parse(root, &t, &why) != -1)
            fail_msg("case %zu (%s=%s) accepted", i, cases[i].key,
                     cases[i].value ? cases[i].value : "<removed>");
        if (!why || strcmp(why, cases[i].why) != 0)
            fail_msg("case %zu: why \"%s\", want \"%s\"", i, why ? why : "(null)", cases[i].why);
        /* Nothing to free, and the struct is zeroed. */
        assert_null(t.id);
        assert_null(t.raw_json);
        assert_null(t.entities);
        assert_null(t.author.username_lower);
        tweet_free(&t);
        json_decref(root);
    }
}

static void test_reject_not_object(void **state)
{
    static const char *const docs[] = {"[]", "\"tweet\"", "42", "null", "true"};
    const char *why = NULL;
    tweet t;

    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *j = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        assert_int_equal(tweet_parse(j, &t, &why), -1);
        assert_string_equal(why, "tweet: not an object");
        json_decref(j);
    }
    assert_int_equal(tweet_parse(NULL, &t, &why), -1);
    assert_string_equal(why, "tweet: not an object");
    assert_int_equal(tweet_parse(NULL, &t, NULL), -1); /* why is optional */
    tweet_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_twitter_format),
        cmocka_unit_test(test_time_iso_format),
        cmocka_unit_test(test_time_rejects),
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_parse_full_tweet),
        cmocka_unit_test(test_nineteen_digit_ids_exact),
        cmocka_unit_test(test_iso_created_at),
        cmocka_unit_test(test_view_count_missing_null_zero),
        cmocka_unit_test(test_metrics_parse),
        cmocka_unit_test(test_reply_fields),
        cmocka_unit_test(test_emoji_and_surrogates),
        cmocka_unit_test(test_nested_quoted_and_unknown_fields),
        cmocka_unit_test(test_profile_bio_fallback),
        cmocka_unit_test(test_author_tolerances),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_entities_malformed_and_fallbacks),
        cmocka_unit_test(test_entities_capped),
        cmocka_unit_test(test_has_media),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_reject_not_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
