/* test_payload.c - payload.h: the webhook envelope and the track-lot body.
 * All data is invented and embedded: no file outside the test is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"

#define MAX_TWEETS 100

/* A small valid tweet, and an envelope around a list of them. */
#define TW(ID)                                                                          \
    "{\"id\":\"" ID "\",\"createdAt\":\"Tue Jan 06 18:30:00 +0000 2026\","              \
    "\"text\":\"ping #Relay\",\"likeCount\":3,\"viewCount\":40,"                         \
    "\"author\":{\"id\":\"4242\",\"userName\":\"Ash_Rowe\"},"                            \
    "\"entities\":{\"hashtags\":[{\"text\":\"Relay\",\"indices\":[5,11]}]}}"
#define ENV(TWEETS)                                                                     \
    "{\"event_type\":\"tweet\",\"rule_id\":\"rule-7\",\"rule_tag\":\"relay_watch\","     \
    "\"timestamp\":1767724260000,\"tweets\":[" TWEETS "]}"

static int parse(const char *body, webhook_payload *p, char *err, size_t errlen)
{
    return webhook_payload_parse(body, strlen(body), MAX_TWEETS, p, err, errlen);
}

/* ---- webhook: accepted deliveries ------------------------------------- */

static void test_webhook_good_batch(void **state)
{
    static const char BODY[] =
        ENV(TW("1900000000000000101") "," TW("1900000000000000102"));
    webhook_payload p;
    char err[256] = "";

    (void)state;
    assert_int_equal(parse(BODY, &p, err, sizeof err), 0);
    assert_int_equal(p.kind, WEBHOOK_TWEETS);
    assert_non_null(p.root);
    assert_string_equal(p.event_type, "tweet");
    assert_string_equal(p.rule_id, "rule-7");
    assert_string_equal(p.rule_tag, "relay_watch");
    assert_int_equal(p.received, 2);
    assert_int_equal(p.n_tweets, 2);
    assert_int_equal(p.n_rejects, 0);
    assert_string_equal(p.tweets[0].id, "1900000000000000101");
    assert_int_equal(p.tweets[0].index, 0);
    assert_string_equal(p.tweets[1].id, "1900000000000000102");
    assert_int_equal(p.tweets[1].index, 1);
    assert_int_equal(p.tweets[1].metrics.likes, 3);
    assert_string_equal(p.tweets[1].author.username_lower, "ash_rowe");
    assert_int_equal(p.tweets[1].n_entities, 1);
    assert_string_equal(p.tweets[1].entities[0].normalized, "relay");
    webhook_payload_free(&p);
    assert_null(p.root);
    webhook_payload_free(&p); /* zeroed: harmless */
    webhook_payload_free(NULL);
}

static void test_webhook_event_type_optional(void **state)
{
    static const char NO_TYPE[] =
        "{\"rule_id\":\"r1\",\"tweets\":[" TW("1") "]}";
    static const char NULL_TYPE[] =
        "{\"event_type\":null,\"rule_id\":\"r1\",\"rule_tag\":7,\"tweets\":[" TW("2") "]}";
    webhook_payload p;

    (void)state;
    assert_int_equal(parse(NO_TYPE, &p, NULL, 0), 0);
    assert_int_equal(p.kind, WEBHOOK_TWEETS);
    assert_null(p.event_type);
    assert_null(p.rule_tag); /* optional */
    assert_int_equal(p.n_tweets, 1);
    webhook_payload_free(&p);

    assert_int_equal(parse(NULL_TYPE, &p, NULL, 0), 0);
    assert_int_equal(p.kind, WEBHOOK_TWEETS);
    assert_null(p.rule_tag); /* not a string: ignored */
    assert_string_equal(p.tweets[0].id, "2");
    webhook_payload_free(&p);
}

static void test_webhook_ignored(void **state)
{
    static const struct {
        const char *body, *event_type;
    } cases[] = {
        {"{\"event_type\":\"test_webhook_url\"}", "test_webhook_url"},
        {"{\"event_type\":\"test_webhook_url\",\"rule_id\":\"\",\"tweets\":[]}", "test_webhook_url"},
        {"{\"event_type\":\"user_update\",\"tweets\":[" TW("1") "]}", "user_update"},
        {"{\"event_type\":\"future_thing\",\"tweets\":\"whatever\"}", "future_thing"},
        {"{}", NULL},
        {"{\"rule_id\":\"r1\",\"timestamp\":1}", NULL},
        {"{\"event_type\":\"tweet\",\"rule_id\":\"r1\"}", "tweet"}, /* no tweets key */
        {"  {\"event_type\":\"test_webhook_url\"}\n", "test_webhook_url"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        webhook_payload p;
        char err[256] = "";

        if (parse(cases[i].body, &p, err, sizeof err) != 0)
            fail_msg("case %zu refused: %s", i, err);
        assert_int_equal(p.kind, WEBHOOK_IGNORED);
        if (cases[i].event_type)
            assert_string_equal(p.event_type, cases[i].event_type);
        else
            assert_null(p.event_type);
        assert_int_equal(p.n_tweets, 0);
        assert_int_equal(p.n_rejects, 0);
        assert_null(p.tweets);
        webhook_payload_free(&p);
    }
}

static void test_webhook_one_bad_tweet(void **state)
{
    static const char BODY[] =
        ENV(TW("1900000000000000201") ","
            TW("19000000000000002O2") ","    /* letter O, not zero */
            TW("1900000000000000203") ","
            "42,"
            "{\"id\":\"1900000000000000205\",\"createdAt\":\"Tue Jan 06 18:30:00 +0000 2026\","
            "\"likeCount\":-4}");
    webhook_payload p;
    const json_t *arr;

    (void)state;
    assert_int_equal(parse(BODY, &p, NULL, 0), 0);
    assert_int_equal(p.kind, WEBHOOK_TWEETS);
    assert_int_equal(p.received, 5);
    assert_int_equal(p.n_tweets, 2);
    assert_int_equal(p.n_rejects, 3);
    assert_string_equal(p.tweets[0].id, "1900000000000000201");
    assert_int_equal(p.tweets[0].index, 0);
    assert_string_equal(p.tweets[1].id, "1900000000000000203");
    assert_int_equal(p.tweets[1].index, 2);

    arr = json_object_get(p.root, "tweets");
    assert_int_equal(p.rejects[0].index, 1);
    assert_string_equal(p.rejects[0].reason, "id: not 1..19 digits");
    assert_ptr_equal(p.rejects[0].raw, json_array_get(arr, 1));
    assert_int_equal(p.rejects[1].index, 3);
    assert_string_equal(p.rejects[1].reason, "tweet: not an object");
    assert_ptr_equal(p.rejects[1].raw, json_array_get(arr, 3));
    assert_int_equal(p.rejects[2].index, 4);
    assert_string_equal(p.rejects[2].reason, "likeCount: not an integer in 0..1e15");
    webhook_payload_free(&p);
}

static void test_webhook_all_rejected(void **state)
{
    static const char BODY[] = ENV("{\"id\":1},null,{\"id\":\"7\"}");
    webhook_payload p;

    (void)state;
    assert_int_equal(parse(BODY, &p, NULL, 0), 0); /* still a 200 for the caller */
    assert_int_equal(p.kind, WEBHOOK_TWEETS);
    assert_int_equal(p.received, 3);
    assert_int_equal(p.n_tweets, 0);
    assert_int_equal(p.n_rejects, 3);
    assert_string_equal(p.rejects[0].reason, "id: missing or not a string");
    assert_string_equal(p.rejects[1].reason, "tweet: not an object");
    assert_string_equal(p.rejects[2].reason, "createdAt: missing or not a string");
    webhook_payload_free(&p);
}

static void test_webhook_len_bounds_body(void **state)
{
    /* The body is not NUL-terminated for the parser: only len counts. */
    static const char BODY[] = ENV(TW("5")) "GARBAGE AFTER THE BODY";
    webhook_payload p;

    (void)state;
    assert_int_equal(webhook_payload_parse(BODY, strlen(BODY) - strlen("GARBAGE AFTER THE BODY"),
                                           MAX_TWEETS, &p, NULL, 0),
                     0);
    assert_int_equal(p.n_tweets, 1);
    webhook_payload_free(&p);
}

static void test_webhook_duplicate_keys_tolerated(void **state)
{
    static const char BODY[] =
        "{\"event_type\":\"tweet\",\"rule_id\":\"old\",\"rule_id\":\"new\","
        "\"tweets\":[" TW("9") "]}";
    webhook_payload p;

    (void)state;
    assert_int_equal(parse(BODY, &p, NULL, 0), 0);
    assert_string_equal(p.rule_id, "new");
    webhook_payload_free(&p);
}

/* ---- webhook: refused deliveries -------------------------------------- */

static void expect_refused(const char *body, size_t len, size_t max, const char *want,
                           bool prefix_only)
{
    webhook_payload p;
    char err[256] = "";

    memset(&p, 0x5a, sizeof p); /* must be reset by the parser */
    if (webhook_payload_parse(body, len, max, &p, err, sizeof err) != -1)
        fail_msg("accepted: %.80s", body ? body : "(null)");
    if (prefix_only ? strncmp(err, want, strlen(want)) != 0 : strcmp(err, want) != 0)
        fail_msg("body %.60s: err \"%s\", want \"%s\"", body ? body : "(null)", err, want);
    /* Nothing left to free. */
    assert_null(p.root);
    assert_null(p.tweets);
    assert_null(p.rejects);
    webhook_payload_free(&p);
}

static void test_webhook_envelope_errors(void **state)
{
    static const struct {
        const char *body, *err;
        bool prefix;
    } cases[] = {
        {"{", "malformed JSON: ", true},
        {"", "malformed JSON: ", true},
        {"   ", "malformed JSON: ", true},
        {"{\"event_type\":\"tweet\",}", "malformed JSON: ", true},
        {"{} {}", "malformed JSON: ", true},
        {"\"tweet\"", "malformed JSON: ", true},
        {"{\"text\":\"\xff\xfe\"}", "malformed JSON: ", true},  /* not UTF-8 */
        {"[]", "malformed JSON: top level must be an object", false},
        {"[{\"event_type\":\"tweet\"}]", "malformed JSON: top level must be an object", false},
        {"{\"event_type\":5}", "event_type: must be a string", false},
        {"{\"event_type\":\"tweet\",\"rule_id\":\"r\",\"tweets\":[]}",
         "tweets: must be a non-empty array", false},
        {"{\"event_type\":\"tweet\",\"rule_id\":\"r\",\"tweets\":{}}",
         "tweets: must be a non-empty array", false},
        {"{\"event_type\":\"tweet\",\"rule_id\":\"r\",\"tweets\":null}",
         "tweets: must be a non-empty array", false},
        {"{\"rule_id\":\"r\",\"tweets\":1}", "tweets: must be a non-empty array", false},
        {"{\"event_type\":\"tweet\",\"tweets\":[" TW("1") "]}",
         "rule_id: must be a non-empty string", false},
        {"{\"event_type\":\"tweet\",\"rule_id\":\"\",\"tweets\":[" TW("1") "]}",
         "rule_id: must be a non-empty string", false},
        {"{\"event_type\":\"tweet\",\"rule_id\":17,\"tweets\":[" TW("1") "]}",
         "rule_id: must be a non-empty string", false},
        {"{\"event_type\":\"tweet\",\"rule_id\":null,\"tweets\":[" TW("1") "]}",
         "rule_id: must be a non-empty string", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(cases[i].body, strlen(cases[i].body), MAX_TWEETS, cases[i].err,
                       cases[i].prefix);

    /* jansson's position survives into the message. */
    {
        webhook_payload p;
        char err[256];
        const char *body = "{\n  \"rule_id\": \"r\",\n  \"tweets\": [}\n";
        assert_int_equal(webhook_payload_parse(body, strlen(body), 10, &p, err, sizeof err), -1);
        assert_non_null(strstr(err, " at line 3 column "));
    }
    /* A raw NUL byte inside the body. */
    expect_refused("{\"a\":1}\0{}", 10, MAX_TWEETS, "malformed JSON: ", true);
    /* No body at all. */
    expect_refused(NULL, 0, MAX_TWEETS, "malformed JSON: ", true);
}

static char *batch_of(size_t n)
{
    json_t *root = json_pack("{s:s, s:s, s:[]}", "event_type", "tweet", "rule_id", "r-big",
                             "tweets");
    json_t *arr = json_object_get(root, "tweets");
    char id[24];
    char *s;

    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%llu", 1900000000000000000ULL + i);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", id, "createdAt",
                                             "2026-01-06T18:30:00Z", "text", "bulk"));
    }
    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    assert_non_null(s);
    return s;
}

static void test_webhook_oversized(void **state)
{
    char *body = batch_of(120);
    webhook_payload p;

    (void)state;
    expect_refused(body, strlen(body), 100, "tweets: 120 items, limit is 100", false);
    free(body);

    body = batch_of(100);
    assert_int_equal(webhook_payload_parse(body, strlen(body), 100, &p, NULL, 0), 0);
    assert_int_equal(p.n_tweets, 100);
    assert_int_equal(p.tweets[99].index, 99);
    assert_string_equal(p.tweets[99].id, "1900000000000000099");
    webhook_payload_free(&p);
    expect_refused(body, strlen(body), 99, "tweets: 100 items, limit is 99", false);
    free(body);
}

static void test_webhook_err_buffer(void **state)
{
    webhook_payload p;
    char small[8];

    (void)state;
    /* err is optional; a short one is truncated, never overrun. */
    assert_int_equal(webhook_payload_parse("{", 1, 10, &p, NULL, 0), -1);
    assert_int_equal(webhook_payload_parse("{", 1, 10, &p, small, sizeof small), -1);
    assert_string_equal(small, "malform");
    assert_int_equal(webhook_payload_parse("{}", 2, 10, NULL, small, sizeof small), -1);
}

/* ---- track-lot -------------------------------------------------------- */

#define U1 "3f2c9a1e-6b7d-4c58-9a2e-1d0b7c44e5f1"
#define U2 "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"
#define U3 "00000000-0000-4000-8000-000000000001"
#define ZONE "7d3e5b2a-1c4f-4e8d-b9a6-2f0c8e1d7b35"

#define MAX_UPDATES 6
#define MAX_IDS 50

/* A body from its parts; a NULL part omits the key. Values are raw JSON. */
static char *track_body(const char *lot, const char *ids, const char *upd, const char *zone)
{
    char *buf = malloc(16384);
    size_t n = 0;

    assert_non_null(buf);
    n += (size_t)snprintf(buf + n, 16384 - n, "{\"note\":\"extra fields are fine\"");
    if (lot)
        n += (size_t)snprintf(buf + n, 16384 - n, ",\"lotId\":%s", lot);
    if (ids)
        n += (size_t)snprintf(buf + n, 16384 - n, ",\"tweetDbIds\":%s", ids);
    if (upd)
        n += (size_t)snprintf(buf + n, 16384 - n, ",\"updateNumber\":%s", upd);
    if (zone)
        n += (size_t)snprintf(buf + n, 16384 - n, ",\"zoneId\":%s", zone);
    snprintf(buf + n, 16384 - n, "}");
    return buf;
}

static void test_track_good(void **state)
{
    char *body = track_body("\"lot_1767724200_a9Z-x:1\"", "[\"" U1 "\",\"" U2 "\",\"" U3 "\"]",
                            "2", "\"" ZONE "\"");
    char err[256] = "";
    track_payload p;

    (void)state;
    if (track_payload_parse(body, strlen(body), MAX_UPDATES, MAX_IDS, &p, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_non_null(p.root);
    assert_string_equal(p.lot_id, "lot_1767724200_a9Z-x:1");
    assert_int_equal(p.n_tweet_ids, 3);
    assert_string_equal(p.tweet_ids[0], U1); /* delivery order kept */
    assert_string_equal(p.tweet_ids[1], U2);
    assert_string_equal(p.tweet_ids[2], U3);
    assert_int_equal(p.update_number, 2);
    assert_string_equal(p.zone_id, ZONE);
    track_payload_free(&p);
    assert_null(p.root);
    track_payload_free(&p);
    track_payload_free(NULL);
    free(body);
}

static void test_track_limits_accepted(void **state)
{
    char lot[131];
    char *body;
    track_payload p;

    (void)state;
    /* 128-char lot id, upper-case UUIDs, updateNumber at both ends. */
    lot[0] = '"';
    memset(lot + 1, 'L', 128);
    lot[129] = '"';
    lot[130] = '\0';
    body = track_body(lot, "[\"3F2C9A1E-6B7D-4C58-9A2E-1D0B7C44E5F1\"]", "6",
                      "\"7D3E5B2A-1C4F-4E8D-B9A6-2F0C8E1D7B35\"");
    assert_int_equal(track_payload_parse(body, strlen(body), MAX_UPDATES, MAX_IDS, &p, NULL, 0),
                     0);
    assert_int_equal(strlen(p.lot_id), 128);
    assert_int_equal(p.update_number, 6);
    track_payload_free(&p);
    free(body);

    body = track_body("\"l\"", "[\"" U1 "\"]", "1", "\"" ZONE "\"");
    assert_int_equal(track_payload_parse(body, strlen(body), MAX_UPDATES, 1, &p, NULL, 0), 0);
    assert_int_equal(p.update_number, 1);
    track_payload_free(&p);
    free(body);
}

static void expect_track_refused(char *body, size_t max_ids, const char *want, bool prefix)
{
    char err[256] = "";
    track_payload p;

    memset(&p, 0x5a, sizeof p);
    if (track_payload_parse(body, strlen(body), MAX_UPDATES, max_ids, &p, err, sizeof err) != -1)
        fail_msg("accepted: %s", body);
    if (prefix ? strncmp(err, want, strlen(want)) != 0 : strcmp(err, want) != 0)
        fail_msg("body %s: err \"%s\", want \"%s\"", body, err, want);
    assert_null(p.root);
    assert_null(p.tweet_ids);
    track_payload_free(&p);
    free(body);
}

#define GOOD_LOT "\"lot_1\""
#define GOOD_IDS "[\"" U1 "\",\"" U2 "\"]"
#define GOOD_ZONE "\"" ZONE "\""
#define LOT_ERR "lotId: must be 1..128 characters of [A-Za-z0-9_:-]"
#define IDS_ERR "tweetDbIds: must be a non-empty array"
#define UPD_ERR "updateNumber: must be an integer 1..6"
#define ZONE_ERR "zoneId: must be a UUID"

static void test_track_bad_lot_id(void **state)
{
    char lot[132];

    (void)state;
    expect_track_refused(track_body(NULL, GOOD_IDS, "1", GOOD_ZONE), MAX_IDS,
                         "lotId: missing or not a string", false);
    expect_track_refused(track_body("7", GOOD_IDS, "1", GOOD_ZONE), MAX_IDS,
                         "lotId: missing or not a string", false);
    expect_track_refused(track_body("null", GOOD_IDS, "1", GOOD_ZONE), MAX_IDS,
                         "lotId: missing or not a string", false);
    expect_track_refused(track_body("\"\"", GOOD_IDS, "1", GOOD_ZONE), MAX_IDS, LOT_ERR, false);
    expect_track_refused(track_body("\"lot 1\"", GOOD_IDS, "1", GOOD_ZONE), MAX_IDS, LOT_ERR,
                         false);
    expect_track_refused(track_body("\"lot/1\"", GOOD_IDS, "1", GOOD_ZONE), MAX_IDS, LOT_ERR,
                         false);
    expect_track_refused(track_body("\"lot_\xc3\xa9\"", GOOD_IDS, "1", GOOD_ZONE), MAX_IDS,
                         LOT_ERR, false);
    lot[0] = '"';
    memset(lot + 1, 'L', 129);
    lot[130] = '"';
    lot[131] = '\0';
    expect_track_refused(track_body(lot, GOOD_IDS, "1", GOOD_ZONE), MAX_IDS, LOT_ERR, false);
}

static void test_track_bad_tweet_ids(void **state)
{
    char many[4096];
    size_t n = 0;

    (void)state;
    expect_track_refused(track_body(GOOD_LOT, NULL, "1", GOOD_ZONE), MAX_IDS, IDS_ERR, false);
    expect_track_refused(track_body(GOOD_LOT, "[]", "1", GOOD_ZONE), MAX_IDS, IDS_ERR, false);
    expect_track_refused(track_body(GOOD_LOT, "\"" U1 "\"", "1", GOOD_ZONE), MAX_IDS, IDS_ERR,
                         false);
    expect_track_refused(track_body(GOOD_LOT, "{}", "1", GOOD_ZONE), MAX_IDS, IDS_ERR, false);
    expect_track_refused(track_body(GOOD_LOT, "[5]", "1", GOOD_ZONE), MAX_IDS,
                         "tweetDbIds[0]: not a UUID", false);
    expect_track_refused(track_body(GOOD_LOT, "[\"" U1 "\",\"not-a-uuid\"]", "1", GOOD_ZONE),
                         MAX_IDS, "tweetDbIds[1]: not a UUID", false);
    expect_track_refused(track_body(GOOD_LOT, "[\"{" U1 "}\"]", "1", GOOD_ZONE), MAX_IDS,
                         "tweetDbIds[0]: not a UUID", false);
    expect_track_refused(track_body(GOOD_LOT, "[\"" U1 "0\"]", "1", GOOD_ZONE), MAX_IDS,
                         "tweetDbIds[0]: not a UUID", false);
    expect_track_refused(
        track_body(GOOD_LOT, "[\"3f2c9a1e-6b7d-4c58-9a2e-1d0b7c44e5f\"]", "1", GOOD_ZONE),
        MAX_IDS, "tweetDbIds[0]: not a UUID", false);
    expect_track_refused(
        track_body(GOOD_LOT, "[\"3f2c9a1e6b7d-4c58-9a2e-1d0b7c44e5f1a\"]", "1", GOOD_ZONE),
        MAX_IDS, "tweetDbIds[0]: not a UUID", false);
    expect_track_refused(track_body(GOOD_LOT, "[\"" U1 "\",\"" U2 "\",\"" U1 "\"]", "1",
                                    GOOD_ZONE),
                         MAX_IDS, "tweetDbIds: duplicate id ", true);
    /* The same UUID in another case is the same id. */
    expect_track_refused(track_body(GOOD_LOT,
                                    "[\"" U2 "\",\"A0B1C2D3-E4F5-4A6B-8C7D-9E0F1A2B3C4D\"]", "1",
                                    GOOD_ZONE),
                         MAX_IDS, "tweetDbIds: duplicate id ", true);

    /* One over the limit. */
    n += (size_t)snprintf(many + n, sizeof many - n, "[");
    for (int i = 0; i < 4; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%s\"00000000-0000-4000-8000-00000000000%d\"",
                              i ? "," : "", i);
    snprintf(many + n, sizeof many - n, "]");
    expect_track_refused(track_body(GOOD_LOT, many, "1", GOOD_ZONE), 3,
                         "tweetDbIds: 4 items, limit is 3", false);
}

static void test_track_bad_update_number(void **state)
{
    static const char *const bad[] = {
        NULL, "0", "7", "-1", "\"1\"", "1.0", "true", "null", "99999999999", "[1]",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_track_refused(track_body(GOOD_LOT, GOOD_IDS, bad[i], GOOD_ZONE), MAX_IDS, UPD_ERR,
                             false);
}

static void test_track_bad_zone_id(void **state)
{
    static const char *const bad[] = {
        NULL, "\"\"", "5", "null", "\"zone-1\"", "\"" U1 "x\"",
        "\"7d3e5b2a-1c4f-4e8d-b9a6_2f0c8e1d7b35\"", "\"7d3e5b2a-1c4f-4e8d-b9a6-2f0c8e1d7b3g\"",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_track_refused(track_body(GOOD_LOT, GOOD_IDS, "1", bad[i]), MAX_IDS, ZONE_ERR,
                             false);
}

static void test_track_malformed(void **state)
{
    static const char *const bodies[] = {
        "", "{", "[]", "null", "{\"lotId\":\"a\",\"lotId\":\"b\"}", /* duplicate key */
    };
    char err[256];
    track_payload p;

    (void)state;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *b = malloc(strlen(bodies[i]) + 1);
        assert_non_null(b);
        strcpy(b, bodies[i]);
        expect_track_refused(b, MAX_IDS, "malformed JSON: ", true);
    }
    assert_int_equal(track_payload_parse(NULL, 0, MAX_UPDATES, MAX_IDS, &p, err, sizeof err), -1);
    assert_int_equal(track_payload_parse("{}", 2, MAX_UPDATES, MAX_IDS, NULL, NULL, 0), -1);
}

static void test_uuid_valid(void **state)
{
    (void)state;
    assert_true(payload_uuid_valid(U1));
    assert_true(payload_uuid_valid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
    assert_true(payload_uuid_valid("00000000-0000-0000-0000-000000000000"));
    assert_false(payload_uuid_valid(NULL));
    assert_false(payload_uuid_valid(""));
    assert_false(payload_uuid_valid("3f2c9a1e6b7d4c589a2e1d0b7c44e5f1"));
    assert_false(payload_uuid_valid("3f2c9a1e-6b7d-4c58-9a2e-1d0b7c44e5f"));
    assert_false(payload_uuid_valid("3f2c9a1e-6b7d-4c58-9a2e-1d0b7c44e5f1 "));
    assert_false(payload_uuid_valid(" 3f2c9a1e-6b7d-4c58-9a2e-1d0b7c44e5f1"));
    assert_false(payload_uuid_valid("3f2c9a1e-6b7d-4c58-9a2e-1d0b7c44e5g1"));
    assert_false(payload_uuid_valid("3f2c9a1e-6b7d-4c58-9a2e+1d0b7c44e5f1"));
    assert_false(payload_uuid_valid("3f2c9a1e--b7d-4c58-9a2e-1d0b7c44e5f1"));
}

/* ---- allocation failures ---------------------------------------------- */

/* jansson's allocator fails its N-th call from now: every N is tried until
 * a run sees no failure. A failed run must say "out of memory" (never
 * reject a tweet for it, never call it malformed) and leak nothing. */
static long oom_countdown = -1; /* < 0: never fail */
static bool oom_hit;

static void *oom_malloc(size_t n)
{
    if (oom_countdown == 0) {
        oom_hit = true;
        return NULL;
    }
    if (oom_countdown > 0)
        oom_countdown--;
    return malloc(n);
}

static void oom_arm(long n)
{
    oom_countdown = n;
    oom_hit = false;
    json_set_alloc_funcs(oom_malloc, free);
}

static void oom_disarm(void)
{
    oom_countdown = -1;
}

/* How many allocations jansson makes to load body. Below that count a
 * failure hits json_loadb, which sometimes reports it as a syntax error
 * (its lexer cannot tell): only "refused, nothing leaked" can be required. */
static long load_allocations(const char *body, size_t flags)
{
    json_t *j;
    long n = 1L << 30;

    oom_arm(n);
    j = json_loadb(body, strlen(body), flags, NULL);
    n = (1L << 30) - oom_countdown;
    oom_disarm();
    assert_non_null(j);
    json_decref(j);
    return n;
}

static void test_webhook_allocation_failures(void **state)
{
    static const char BODY[] = ENV(TW("1900000000000000301") ",{\"id\":\"x\"}," TW("1900000000000000303"));
    long n, loading = load_allocations(BODY, 0);

    (void)state;
    for (n = 0;; n++) {
        webhook_payload p;
        char err[256] = "";
        int rc;

        oom_arm(n);
        rc = webhook_payload_parse(BODY, strlen(BODY), MAX_TWEETS, &p, err, sizeof err);
        oom_disarm();
        if (!oom_hit) {
            assert_int_equal(rc, 0);
            assert_int_equal(p.n_tweets, 2);
            assert_int_equal(p.n_rejects, 1);
            webhook_payload_free(&p);
            break;
        }
        if (rc != -1)
            fail_msg("allocation %ld failed but the parse succeeded", n);
        if (n >= loading && strcmp(err, TWEET_ERR_NOMEM) != 0)
            fail_msg("allocation %ld failed: err \"%s\"", n, err);
        assert_null(p.root);
    }
    assert_true(n > loading + 5); /* failures were injected past the load */
}

static void test_track_allocation_failures(void **state)
{
    static const char BODY[] = "{\"lotId\":\"lot_9\",\"tweetDbIds\":[\"" U1 "\",\"" U2
                               "\"],\"updateNumber\":3,\"zoneId\":\"" ZONE "\"}";
    long n, loading = load_allocations(BODY, JSON_REJECT_DUPLICATES);

    (void)state;
    for (n = 0;; n++) {
        track_payload p;
        char err[256] = "";
        int rc;

        oom_arm(n);
        rc = track_payload_parse(BODY, strlen(BODY), MAX_UPDATES, MAX_IDS, &p, err, sizeof err);
        oom_disarm();
        if (!oom_hit) {
            assert_int_equal(rc, 0);
            track_payload_free(&p);
            break;
        }
        if (rc != -1 || (n >= loading && strcmp(err, TWEET_ERR_NOMEM) != 0))
            fail_msg("allocation %ld failed: rc %d err \"%s\"", n, rc, err);
    }
    assert_true(n >= loading);
}

/* One tweet whose text carries the given JSON string body. */
static void expect_text(const char *escaped, const char *want)
{
    char body[512], err[256];
    webhook_payload p;
    snprintf(body, sizeof body,
             "{\"event_type\":\"tweet\",\"rule_id\":\"r\",\"tweets\":[{\"id\":\"11\","
             "\"createdAt\":\"2026-03-14T09:15:07Z\",\"text\":\"%s\"},{\"id\":\"12\","
             "\"createdAt\":\"2026-03-14T09:15:07Z\",\"text\":\"ok\"}]}", escaped);
    if (parse(body, &p, err, sizeof err) != 0)
        fail_msg("%s: refused: %s", escaped, err);
    assert_int_equal(p.n_tweets, 2);      /* the other tweet is never sunk */
    assert_string_equal(p.tweets[0].text, want);
    webhook_payload_free(&p);
}

/* A text cut inside an emoji, or carrying NUL, must not sink the delivery:
 * the bad escape becomes U+FFFD, everything else is kept as sent. */
static void test_webhook_bad_escapes_become_replacement_chars(void **state)
{
    (void)state;
    expect_text("cut \\ud83d", "cut \xef\xbf\xbd");
    expect_text("\\ude80 low alone", "\xef\xbf\xbd low alone");
    expect_text("nul\\u0000byte", "nul\xef\xbf\xbd" "byte");
    expect_text("pair \\ud83d\\ude80 kept", "pair \xf0\x9f\x9a\x80 kept");
    expect_text("two highs \\ud83d\\ud83d\\ude80", "two highs \xef\xbf\xbd\xf0\x9f\x9a\x80");
    expect_text("escaped backslash \\\\u0000", "escaped backslash \\u0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook_good_batch),
        cmocka_unit_test(test_webhook_bad_escapes_become_replacement_chars),
        cmocka_unit_test(test_webhook_event_type_optional),
        cmocka_unit_test(test_webhook_ignored),
        cmocka_unit_test(test_webhook_one_bad_tweet),
        cmocka_unit_test(test_webhook_all_rejected),
        cmocka_unit_test(test_webhook_len_bounds_body),
        cmocka_unit_test(test_webhook_duplicate_keys_tolerated),
        cmocka_unit_test(test_webhook_envelope_errors),
        cmocka_unit_test(test_webhook_oversized),
        cmocka_unit_test(test_webhook_err_buffer),
        cmocka_unit_test(test_track_good),
        cmocka_unit_test(test_track_limits_accepted),
        cmocka_unit_test(test_track_bad_lot_id),
        cmocka_unit_test(test_track_bad_tweet_ids),
        cmocka_unit_test(test_track_bad_update_number),
        cmocka_unit_test(test_track_bad_zone_id),
        cmocka_unit_test(test_track_malformed),
        cmocka_unit_test(test_uuid_valid),
        cmocka_unit_test(test_webhook_allocation_failures),
        cmocka_unit_test(test_track_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
