/* test_hostile.c - the parsers and the signature verifier under hostile
 * input: nesting, sizes, bad UTF-8, NUL bytes, numbers out of range, ids
 * that are not digit strings, SQL metacharacters, trailing garbage, empty
 * bodies. Every case pins the exact outcome: refused (400, with jansson's
 * reason), tweet rejected (with its reason), or accepted with the exact
 * stored value. Regression inputs found by the fuzz targets (test/fuzz/)
 * belong here too.
 *
 * All data is invented and built here: no file is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "payload.h"
#include "qstash.h"
#include "tweet.h"

#define MAX_TWEETS 100
#define MAX_UPDATES 12
#define MAX_IDS 100
#define MAX_ENTITIES 1000      /* tweet.c: entities of one tweet beyond this are dropped */
#define JANSSON_MAX_DEPTH 2048 /* jansson 2.14 JSON_PARSER_MAX_DEPTH: every value counts */

#define TWEET_ID "1908811223344556601"
#define CREATED "\"createdAt\":\"Tue Jan 06 18:02:11 +0000 2026\""
#define CREATED_T 1767722531 /* 2026-01-06T18:02:11Z */
#define ENV_HEAD "{\"event_type\":\"tweet\",\"rule_id\":\"rule-5521\",\"tweets\":["
#define ENV_TAIL "]}"
/* One tweet with a valid id and date plus FIELDS (which start with ','). */
#define ONE(FIELDS) ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED FIELDS "}" ENV_TAIL

/* ---- helpers ------------------------------------------------------------ */

/* malloc'ed concatenation of a NULL-terminated list of strings. */
static char *join(const char *first, ...)
{
    va_list ap;
    size_t n = 0;
    char *out, *o;

    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        n += strlen(s);
    va_end(ap);
    out = o = malloc(n + 1);
    assert_non_null(out);
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *)) {
        memcpy(o, s, strlen(s));
        o += strlen(s);
    }
    va_end(ap);
    *o = '\0';
    return out;
}

/* malloc'ed: s repeated n times. */
static char *repeat(const char *s, size_t n)
{
    size_t len = strlen(s);
    char *out = malloc(len * n + 1);

    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * len, s, len);
    out[len * n] = '\0';
    return out;
}

static int parse_len(const char *body, size_t len, webhook_payload *p, char *err, size_t errlen)
{
    err[0] = '\0';
    return webhook_payload_parse(body, len, MAX_TWEETS, p, err, errlen);
}

static void assert_zeroed(const webhook_payload *p)
{
    assert_null(p->root);
    assert_null(p->tweets);
    assert_null(p->rejects);
    assert_int_equal(p->n_tweets, 0);
    assert_int_equal(p->n_rejects, 0);
}

static void assert_prefix(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

/* The whole body is refused (400) and err starts with want. */
static void expect_refused_len(const char *body, size_t len, const char *want)
{
    webhook_payload p;
    char err[256];

    assert_int_equal(parse_len(body, len, &p, err, sizeof err), -1);
    assert_prefix(err, want);
    assert_zeroed(&p);
}

static void expect_refused(const char *body, const char *want)
{
    expect_refused_len(body, strlen(body), want);
}

/* Accepted with exactly one valid tweet; the caller frees p. */
static void expect_one_tweet_len(const char *body, size_t len, webhook_payload *p)
{
    char err[256];

    if (parse_len(body, len, p, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_int_equal(p->kind, WEBHOOK_TWEETS);
    assert_int_equal(p->received, 1);
    if (p->n_rejects)
        fail_msg("tweet rejected: %s", p->rejects[0].reason);
    assert_int_equal(p->n_tweets, 1);
}

static void expect_one_tweet(const char *body, webhook_payload *p)
{
    expect_one_tweet_len(body, strlen(body), p);
}

/* Accepted delivery whose only tweet is rejected with exactly `reason`. */
static void expect_rejected(const char *body, const char *reason)
{
    webhook_payload p;
    char err[256];

    if (parse_len(body, strlen(body), &p, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_int_equal(p.kind, WEBHOOK_TWEETS);
    assert_int_equal(p.received, 1);
    assert_int_equal(p.n_tweets, 0);
    assert_int_equal(p.n_rejects, 1);
    assert_int_equal(p.rejects[0].index, 0);
    assert_string_equal(p.rejects[0].reason, reason);
    webhook_payload_free(&p);
}

/* ---- empty bodies, trailing garbage, NUL bytes -------------------------- */

static void test_empty_body(void **state)
{
    webhook_payload p;
    char err[256];

    (void)state;
    expect_refused_len("", 0, "malformed JSON: '[' or '{' expected near end of file");
    expect_refused_len(NULL, 0, "malformed JSON: '[' or '{' expected near end of file");
    expect_refused(" \r\n\t ", "malformed JSON: '[' or '{' expected near end of file");
    /* len 0 wins over whatever the buffer holds. */
    expect_refused_len(ONE(""), 0, "malformed JSON: '[' or '{' expected near end of file");
    /* Not an object at the top. */
    expect_refused("[]", "malformed JSON: top level must be an object");
    expect_refused("null", "malformed JSON: '[' or '{' expected near 'null'");
    expect_refused("\"tweet\"", "malformed JSON: '[' or '{' expected near '\"tweet\"'");
    /* A UTF-8 byte order mark is not JSON (RFC 8259 8.1): refused. */
    expect_refused("\xef\xbb\xbf{}", "malformed JSON: '[' or '{' expected near");
    /* An empty object is a probe-like body: answered 200, nothing stored. */
    assert_int_equal(parse_len("{}", 2, &p, err, sizeof err), 0);
    assert_int_equal(p.kind, WEBHOOK_IGNORED);
    webhook_payload_free(&p);
}

static void test_trailing_garbage(void **state)
{
    webhook_payload p;

    (void)state;
    expect_refused(ONE("") " x", "malformed JSON: end of file expected near 'x'");
    expect_refused(ONE("") ONE(""), "malformed JSON: end of file expected near '{'");
    expect_refused(ONE("") ",", "malformed JSON: end of file expected near ','");
    expect_refused(ONE("") "]", "malformed JSON: end of file expected near ']'");
    expect_refused("{\"event_type\":\"test_webhook_url\"}garbage",
                   "malformed JSON: end of file expected near 'garbage'");
    /* Trailing whitespace is JSON. */
    expect_one_tweet(ONE("") " \r\n\t", &p);
    assert_string_equal(p.tweets[0].id, TWEET_ID);
    webhook_payload_free(&p);
}

static void test_raw_nul_bytes(void **state)
{
    static const char IN_STRING[] = ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED
                                             ",\"text\":\"a\0b\"}" ENV_TAIL;
    static const char AFTER[] = ONE("") "\0";
    static const char AFTER_GARBAGE[] = ONE("") "\0{\"x\":1}";
    static const char BEFORE[] = "\0" ONE("");
    static const char IN_KEY[] = "{\"rule\0_id\":\"r\"}";
    const char *good = ONE(",\"text\":\"bounded\"");
    size_t n = strlen(good);
    char *exact;
    webhook_payload p;

    (void)state;
    expect_refused_len(IN_STRING, sizeof IN_STRING - 1, "malformed JSON: control character 0x0");
    expect_refused_len(IN_KEY, sizeof IN_KEY - 1, "malformed JSON: control character 0x0");
    expect_refused_len(AFTER, sizeof AFTER - 1, "malformed JSON: end of file expected");
    expect_refused_len(AFTER_GARBAGE, sizeof AFTER_GARBAGE - 1,
                       "malformed JSON: end of file expected");
    expect_refused_len(BEFORE, sizeof BEFORE - 1, "malformed JSON: '[' or '{' expected");
    /* len bounds the body: the NUL and the garbage after it are not read. */
    expect_one_tweet_len(AFTER_GARBAGE, strlen(AFTER_GARBAGE), &p);
    webhook_payload_free(&p);
    /* A buffer without any terminating NUL (ASan: no read past len). */
    exact = malloc(n);
    assert_non_null(exact);
    memcpy(exact, good, n);
    expect_one_tweet_len(exact, n, &p);
    assert_string_equal(p.tweets[0].text, "bounded");
    webhook_payload_free(&p);
    free(exact);
}

static void test_escaped_nul(void **state)
{
    (void)state;
    /* An escaped NUL is valid JSON that PostgreSQL text and jsonb refuse, so
     * it becomes U+FFFD before parsing: no string can hide bytes after an
     * embedded NUL, and one such tweet does not sink the delivery. */
    webhook_payload p;
    expect_one_tweet(ONE(",\"text\":\"before\\u0000after\""), &p);
    assert_string_equal(p.tweets[0].text, "before\xef\xbf\xbd" "after");
    webhook_payload_free(&p);
    expect_rejected(ENV_HEAD "{\"id\":\"19\\u00000\"," CREATED "}" ENV_TAIL, "id: not 1..19 digits");
    expect_one_tweet(ONE(",\"te\\u0000xt\":\"x\""), &p);   /* in a key: an unknown field */
    webhook_payload_free(&p);
}

/* ---- UTF-8 ---------------------------------------------------------------- */

static void test_invalid_utf8(void **state)
{
    static const struct {
        const char *bytes, *why;
    } bad[] = {
        {"\xff", "malformed JSON: unable to decode byte 0xff"},
        {"\xfe", "malformed JSON: unable to decode byte 0xfe"},
        {"\x80", "malformed JSON: unable to decode byte 0x80"},         /* lone continuation */
        {"\xc0\xaf", "malformed JSON: unable to decode byte 0xc0"},     /* overlong '/' */
        {"\xe0\x80\xaf", "malformed JSON: unable to decode byte 0xe0"}, /* overlong '/' */
        {"\xed\xa0\x80", "malformed JSON: unable to decode byte 0xed"}, /* UTF-16 surrogate */
        {"\xe2\x82", "malformed JSON: unable to decode byte 0xe2"},     /* truncated euro sign */
        {"\xf4\x90\x80\x80", "malformed JSON: unable to decode byte 0xf4"}, /* > U+10FFFF */
        {"\xf8\x88\x80\x80\x80", "malformed JSON: unable to decode byte 0xf8"}, /* 5 bytes */
    };
    webhook_payload p;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body, *in_text = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"text\":\"ok ", bad[i].bytes,
                       " ok\"}" ENV_TAIL, NULL);
        expect_refused(in_text, bad[i].why);
        free(in_text);
        body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"author\":{\"id\":\"7\","
                             "\"userName\":\"",
                    bad[i].bytes, "\"}}" ENV_TAIL, NULL);
        expect_refused(body, bad[i].why);
        free(body);
        body = join("{\"rule_id\":\"", bad[i].bytes, "\",\"tweets\":[]}", NULL);
        expect_refused(body, bad[i].why);
        free(body);
        body = join("{\"k", bad[i].bytes, "\":1}", NULL); /* in a key */
        expect_refused(body, bad[i].why);
        free(body);
        body = join("{\"k\":1}", bad[i].bytes, NULL); /* outside any string */
        expect_refused(body, bad[i].why);
        free(body);
    }
    /* Escaped lone surrogates (texts cut inside an emoji) become U+FFFD. */
    expect_one_tweet(ONE(",\"text\":\"\\ud800\""), &p);
    assert_string_equal(p.tweets[0].text, "\xef\xbf\xbd");
    webhook_payload_free(&p);
    expect_one_tweet(ONE(",\"text\":\"\\udfff x\""), &p);
    assert_string_equal(p.tweets[0].text, "\xef\xbf\xbd x");
    webhook_payload_free(&p);
    expect_one_tweet(ONE(",\"text\":\"\\ud83dx\""), &p);
    assert_string_equal(p.tweets[0].text, "\xef\xbf\xbdx");
    webhook_payload_free(&p);
    /* Valid UTF-8, raw or escaped, is stored byte for byte. */
    expect_one_tweet(ONE(",\"text\":\"\xf0\x9f\x9a\x80 \\ud83d\\ude80 caf\\u00e9 \xe2\x80\xa8\""),
                     &p);
    assert_string_equal(p.tweets[0].text,
                        "\xf0\x9f\x9a\x80 \xf0\x9f\x9a\x80 caf\xc3\xa9 \xe2\x80\xa8");
    webhook_payload_free(&p);
}

/* ---- nesting -------------------------------------------------------------- */

static void test_deep_nesting_refused(void **state)
{
    char *arrays = repeat("[", 100000), *objects = repeat("{\"a\":", 100000);
    char *mixed = repeat("{\"a\":[", 50000), *in_tweets, *body;
    track_payload tp;
    char err[256];

    (void)state;
    /* jansson 2.14 stops at depth 2048 with an error: no unbounded
     * recursion, no stack overflow, and a 400 for the sender. */
    expect_refused_len(arrays, 100000, "malformed JSON: maximum parsing depth reached near '['");
    expect_refused(objects, "malformed JSON: maximum parsing depth reached");
    expect_refused(mixed, "malformed JSON: maximum parsing depth reached");
    in_tweets = join(ENV_HEAD, arrays, NULL);
    expect_refused(in_tweets, "malformed JSON: maximum parsing depth reached");
    free(in_tweets);
    /* Balanced too (a closed document, not a truncated one). */
    body = join("{\"x\":", arrays, NULL);
    free(arrays);
    arrays = repeat("]", 100000);
    in_tweets = join(body, arrays, "}", NULL);
    expect_refused(in_tweets, "malformed JSON: maximum parsing depth reached");
    assert_int_equal(track_payload_parse(in_tweets, strlen(in_tweets), MAX_UPDATES, MAX_IDS, &tp,
                                         err, sizeof err),
                     -1);
    assert_prefix(err, "malformed JSON: maximum parsing depth reached");
    assert_null(tp.root);
    free(in_tweets);
    free(body);
    free(arrays);
    free(objects);
    free(mixed);
}

/* A value nested `depth` arrays deep inside a tweet's "card" field. The
 * root object, the tweets array and the tweet are 3 levels: the card can
 * take JANSSON_MAX_DEPTH - 3 arrays (the innermost one empty). */
static char *nested_card(size_t depth)
{
    char *open = repeat("[", depth), *close = repeat("]", depth);
    char *body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"card\":", open, close,
                      "}" ENV_TAIL, NULL);

    free(open);
    free(close);
    return body;
}

static void test_nesting_limit_inside_tweet(void **state)
{
    const size_t depth = JANSSON_MAX_DEPTH - 3;
    char *body = nested_card(depth), *want;
    webhook_payload p;

    (void)state;
    /* At the limit: accepted, and the whole object survives in raw_json
     * (json_dumps recurses as deep as the parser did). */
    expect_one_tweet(body, &p);
    want = strstr(body, "{\"id\"");
    assert_int_equal(strlen(p.tweets[0].raw_json), strlen(want) - strlen(ENV_TAIL));
    assert_memory_equal(p.tweets[0].raw_json, want, strlen(want) - strlen(ENV_TAIL));
    webhook_payload_free(&p);
    free(body);
    /* One deeper: the whole delivery is refused. */
    body = nested_card(depth + 1);
    expect_refused(body, "malformed JSON: maximum parsing depth reached near '['");
    free(body);
}

/* ---- sizes ---------------------------------------------------------------- */

static void test_huge_text(void **state)
{
    const size_t n = 1900000; /* 1.9 MB */
    char *text = repeat("a", n), *body;
    webhook_payload p;

    (void)state;
    /* The 'z' at the end proves nothing was truncated. */
    text[n - 1] = 'z';
    body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"text\":\"", text,
                "\",\"author\":{\"id\":\"7\",\"description\":\"", text, "\"}}" ENV_TAIL, NULL);
    expect_one_tweet(body, &p);
    assert_int_equal(strlen(p.tweets[0].text), n);
    assert_string_equal(p.tweets[0].text, text);
    assert_int_equal(strlen(p.tweets[0].author.description), n);
    assert_non_null(strstr(p.tweets[0].raw_json, text));
    webhook_payload_free(&p);
    free(body);
    free(text);
}

static void test_huge_tweets_array(void **state)
{
    char *items = repeat("{},", 100000), *body;
    webhook_payload p;
    char err[256];

    (void)state;
    items[strlen(items) - 1] = '\0'; /* last ',' */
    body = join(ENV_HEAD, items, ENV_TAIL, NULL);
    expect_refused(body, "tweets: 100000 items, limit is 100");
    free(body);
    free(items);
    /* At the limit the array is parsed; each "{}" is a reject, not a 400. */
    items = repeat("{},", MAX_TWEETS);
    items[strlen(items) - 1] = '\0';
    body = join(ENV_HEAD, items, ENV_TAIL, NULL);
    assert_int_equal(parse_len(body, strlen(body), &p, err, sizeof err), 0);
    assert_int_equal(p.received, MAX_TWEETS);
    assert_int_equal(p.n_tweets, 0);
    assert_int_equal(p.n_rejects, MAX_TWEETS);
    assert_string_equal(p.rejects[MAX_TWEETS - 1].reason, "id: missing or not a string");
    webhook_payload_free(&p);
    free(body);
    free(items);
}

/* `count` entries like {"KEY":"<prefix><i>"} as a JSON array. */
static char *entity_array(const char *key, const char *prefix, size_t count)
{
    size_t cap = count * (strlen(key) + strlen(prefix) + 96) + 3, o = 0; /* 96: syntax + 3 numbers */
    char *out = malloc(cap);

    assert_non_null(out);
    out[o++] = '[';
    for (size_t i = 0; i < count; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s{\"%s\":\"%s%zu\",\"indices\":[%zu,%zu]}",
                              i ? "," : "", key, prefix, i, i, i + 3);
    out[o++] = ']';
    out[o] = '\0';
    return out;
}

static void test_huge_entity_array(void **state)
{
    char *tags = entity_array("text", "Tag", 100000), *body;
    const tweet *t;
    webhook_payload p;

    (void)state;
    body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"entities\":{\"hashtags\":", tags,
                "}}" ENV_TAIL, NULL);
    expect_one_tweet(body, &p);
    t = &p.tweets[0];
    /* Capped: the first 1000, in order; the rest stays in raw_json only. */
    assert_int_equal(t->n_entities, MAX_ENTITIES);
    assert_int_equal(t->entities[0].type, ENTITY_HASHTAG);
    assert_string_equal(t->entities[0].value, "Tag0");
    assert_string_equal(t->entities[0].normalized, "tag0");
    assert_int_equal(t->entities[0].start, 0);
    assert_int_equal(t->entities[0].end, 3);
    assert_string_equal(t->entities[MAX_ENTITIES - 1].value, "Tag999");
    assert_int_equal(t->entities[MAX_ENTITIES - 1].start, 999);
    assert_true(t->has_hashtags);
    assert_non_null(strstr(t->raw_json, "\"Tag99999\""));
    webhook_payload_free(&p);
    free(body);
    free(tags);
}

static void test_thousands_of_entities_mixed(void **state)
{
    char *tags = entity_array("text", "h", 600), *mentions = entity_array("screen_name", "U", 600);
    char *urls = entity_array("expanded_url", "https://e.example/", 600), *body;
    const tweet *t;
    webhook_payload p;

    (void)state;
    /* Junk entries between them are skipped and do not count. */
    tags[strlen(tags) - 1] = '\0';
    body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"entities\":{\"hashtags\":", tags,
                ",null,7,{},{\"text\":\"\"},{\"text\":[]}]", ",\"user_mentions\":", mentions,
                ",\"urls\":", urls, "}}" ENV_TAIL, NULL);
    expect_one_tweet(body, &p);
    t = &p.tweets[0];
    /* Filled in list order (hashtags, mentions, urls) up to the cap. */
    assert_int_equal(t->n_entities, MAX_ENTITIES);
    assert_string_equal(t->entities[599].value, "h599");
    assert_int_equal(t->entities[600].type, ENTITY_MENTION);
    assert_string_equal(t->entities[600].value, "U0");
    assert_string_equal(t->entities[600].normalized, "u0");
    assert_string_equal(t->entities[999].value, "U399");
    assert_true(t->has_hashtags);
    assert_true(t->has_mentions);
    /* Past the cap: the urls are not entities, so has_links stays false. */
    assert_false(t->has_links);
    webhook_payload_free(&p);
    free(body);
    free(tags);
    free(mentions);
    free(urls);
}

/* ---- numbers -------------------------------------------------------------- */

typedef enum { REFUSED, REJECTED, ACCEPTED } outcome;

static void test_counters_out_of_range(void **state)
{
    static const struct {
        const char *literal;
        outcome out;
        const char *why; /* REFUSED: err prefix; REJECTED: reason */
        long long value; /* ACCEPTED */
    } cases[] = {
        {"-1", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"-9223372036854775808", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"1e400", REFUSED, "malformed JSON: real number overflow near '1e400'", 0},
        {"-1e400", REFUSED, "malformed JSON: real number overflow near '-1e400'", 0},
        {"9223372036854775808", REFUSED, "malformed JSON: too big integer near '9223372036854775808'", 0},
        {"-9223372036854775809", REFUSED, "malformed JSON: too big negative integer", 0},
        {"99999999999999999999999", REFUSED, "malformed JSON: too big integer", 0},
        {"1.5", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"0.0000001", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"1e-400", ACCEPTED, NULL, 0}, /* underflows to 0.0: integral, harmless */
        {"9.3e18", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        /* 2^63 - 1 as a double rounds up to 2^63: out of range. */
        {"9223372036854775807.0", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"\"37\"", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"true", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"[]", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"{}", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"NaN", REFUSED, "malformed JSON: invalid token near 'NaN'", 0},
        {"Infinity", REFUSED, "malformed JSON: invalid token near 'Infinity'", 0},
        {"0x10", REFUSED, "malformed JSON: '}' expected near 'x'", 0},
        {"01", REFUSED, "malformed JSON: invalid token near '0'", 0},
        {"+1", REFUSED, "malformed JSON: invalid token near '+'", 0},
        {"9223372036854775807", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"1000000000000001", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"1000000000000000", ACCEPTED, NULL, 1000000000000000LL},
        {"37.0", ACCEPTED, NULL, 37},
        {"-0", ACCEPTED, NULL, 0},
        {"-0.0", ACCEPTED, NULL, 0},
        {"1e18", REJECTED, "likeCount: not an integer in 0..1e15", 0},
        {"1e15", ACCEPTED, NULL, 1000000000000000LL},
        {"null", ACCEPTED, NULL, 0},
    };
    webhook_payload p;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"likeCount\":",
                          cases[i].literal, "}" ENV_TAIL, NULL);
        print_message("likeCount: %s\n", cases[i].literal);
        switch (cases[i].out) {
        case REFUSED:
            expect_refused(body, cases[i].why);
            break;
        case REJECTED:
            expect_rejected(body, cases[i].why);
            break;
        case ACCEPTED:
            expect_one_tweet(body, &p);
            assert_int_equal(p.tweets[0].metrics.likes, cases[i].value);
            webhook_payload_free(&p);
            break;
        }
        free(body);
    }
}

static void test_every_counter_checked(void **state)
{
    static const struct {
        const char *key, *why;
    } counters[] = {
        {"likeCount", "likeCount: not an integer in 0..1e15"},
        {"retweetCount", "retweetCount: not an integer in 0..1e15"},
        {"replyCount", "replyCount: not an integer in 0..1e15"},
        {"quoteCount", "quoteCount: not an integer in 0..1e15"},
        {"bookmarkCount", "bookmarkCount: not an integer in 0..1e15"},
        {"viewCount", "viewCount: not an integer in 0..1e15"},
    };
    webhook_payload p;

    (void)state;
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        char *neg = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"", counters[i].key,
                         "\":-1}" ENV_TAIL, NULL);
        char *frac = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"", counters[i].key,
                          "\":0.5}" ENV_TAIL, NULL);
        expect_rejected(neg, counters[i].why);
        expect_rejected(frac, counters[i].why);
        free(neg);
        free(frac);
    }
    /* Counters are bounded so that the database's generated
     * total_engagement (a bigint sum of four of them) cannot overflow: such
     * a tweet is rejected alone instead of failing the delivery's statement
     * (found by review: a batch with one 2^63-1 counter answered 500). */
    expect_rejected(ONE(",\"likeCount\":9223372036854775807,\"retweetCount\":1"),
                    "likeCount: not an integer in 0..1e15");
    expect_one_tweet(ONE(",\"likeCount\":1000000000000000,\"retweetCount\":1000000000000000,"
                         "\"replyCount\":1000000000000000,\"quoteCount\":1000000000000000,"
                         "\"viewCount\":1000000000000000"),
                     &p);
    assert_int_equal(tweet_metrics_engagement(&p.tweets[0].metrics), 4000000000000000LL);
    webhook_payload_free(&p);
    /* viewCount null is "unknown", not 0. */
    expect_one_tweet(ONE(",\"viewCount\":null"), &p);
    assert_false(p.tweets[0].metrics.has_views);
    webhook_payload_free(&p);
    /* Author counters are decoration: bad ones become 0, the tweet stays. */
    expect_one_tweet(ONE(",\"author\":{\"id\":\"7\",\"followers\":-5,\"following\":1.5,"
                         "\"statusesCount\":\"12\",\"mediaCount\":1e18,\"favouritesCount\":3}"),
                     &p);
    assert_int_equal(p.tweets[0].author.followers, 0);
    assert_int_equal(p.tweets[0].author.following, 0);
    assert_int_equal(p.tweets[0].author.statuses, 0);
    assert_int_equal(p.tweets[0].author.media, 0);   /* beyond the counter bound */
    assert_int_equal(p.tweets[0].author.favourites, 3);
    webhook_payload_free(&p);
    /* Entity indices out of int range are dropped to -1, not truncated. */
    expect_one_tweet(ONE(",\"entities\":{\"hashtags\":[{\"text\":\"a\",\"indices\":[2147483648,1]},"
                         "{\"text\":\"b\",\"indices\":[-1,2]},{\"text\":\"c\",\"indices\":[1,2,3]},"
                         "{\"text\":\"d\",\"indices\":[0,2147483647]}]}"),
                     &p);
    assert_int_equal(p.tweets[0].n_entities, 4);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(p.tweets[0].entities[i].start, -1);
        assert_int_equal(p.tweets[0].entities[i].end, -1);
    }
    assert_int_equal(p.tweets[0].entities[3].start, 0);
    assert_int_equal(p.tweets[0].entities[3].end, INT_MAX);
    webhook_payload_free(&p);
}

/* ---- ids ------------------------------------------------------------------ */

static void test_ids_with_non_digits(void **state)
{
    static const char *const bad[] = {
        "12a", " 123", "123 ", "+123", "-123", "", "12345678901234567890", /* 20 digits */
        "0x1F", "1e3", "1.0", "1_000", "\xd9\xa1\xd9\xa2",                 /* Arabic-Indic */
        "\xef\xbc\x91\xef\xbc\x92",                                        /* fullwidth */
        "1\\n", "1\\t", "'; DROP TABLE tweets; --", "00000000000000000000",
        "0123", "0000000000000000001", "00", /* leading zeros: one tweet, one spelling */
    };
    static const char *const not_string[] = {"123", "1908811223344556601", "null", "true",
                                             "[\"1\"]", "{}"};
    webhook_payload p;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = join(ENV_HEAD "{\"id\":\"", bad[i], "\"," CREATED "}" ENV_TAIL, NULL);
        print_message("id: \"%s\"\n", bad[i]);
        expect_rejected(body, "id: not 1..19 digits");
        free(body);
        body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"author\":{\"id\":\"", bad[i],
                    "\"}}" ENV_TAIL, NULL);
        expect_rejected(body, "author.id: missing or not 1..19 digits");
        free(body);
    }
    for (size_t i = 0; i < sizeof not_string / sizeof not_string[0]; i++) {
        char *body = join(ENV_HEAD "{\"id\":", not_string[i], "," CREATED "}" ENV_TAIL, NULL);
        expect_rejected(body, "id: missing or not a string");
        free(body);
        body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\"," CREATED ",\"author\":{\"id\":",
                    not_string[i], "}}" ENV_TAIL, NULL);
        expect_rejected(body, "author.id: missing or not 1..19 digits");
        free(body);
    }
    expect_rejected(ENV_HEAD "{" CREATED "}" ENV_TAIL, "id: missing or not a string");
    /* Accepted verbatim: 1 and 19 digits (the largest is above INT64_MAX:
     * ids are text, never numbers). */
    expect_one_tweet(ENV_HEAD "{\"id\":\"9999999999999999999\"," CREATED "}" ENV_TAIL, &p);
    assert_string_equal(p.tweets[0].id, "9999999999999999999");
    webhook_payload_free(&p);
    expect_one_tweet(ENV_HEAD "{\"id\":\"1\"," CREATED ",\"author\":{\"id\":\"0\"}}" ENV_TAIL,
                     &p);
    assert_string_equal(p.tweets[0].id, "1");
    assert_string_equal(p.tweets[0].author.id, "0");
    webhook_payload_free(&p);
}

/* ---- SQL metacharacters: data, stored verbatim ----------------------------- */

static void test_sql_metacharacters_verbatim(void **state)
{
    /* Quotes, comment markers, statement separators, LIKE wildcards,
     * backslashes, positional parameters, dollar quoting and the array
     * literal syntax used for unnest($1::text[]): {, }, ", comma, NULL. */
    static const char *const evil[] = {
        "'; DROP TABLE tweets; --",
        "\" OR \"1\"=\"1",
        "Robert'); DELETE FROM zones WHERE ('1'='1",
        "%_\\%\\_ LIKE '%'",
        "\\'\\\\ E'\\x00' $1 $$body$$ ::text",
        "{NULL,\"a,b\",\"}\"} NULL",
        "/* c */ -- x\n; COMMIT; BEGIN;",
    };
    webhook_payload p;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        const char *s = evil[i];
        json_t *tw = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
            "id", TWEET_ID, "createdAt", "Tue Jan 06 18:02:11 +0000 2026", "text", s, "lang", s,
            "source", s, "url", s, "twitterUrl", s, "conversationId", s, "inReplyToId", s,
            "inReplyToUserId", s, "inReplyToUsername", s,
            "author",
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", "4242",
                      "userName", s, "name", s, "description", s, "location", s,
                      "profilePicture", s, "coverPicture", s, "verifiedType", s, "automatedBy", s,
                      "createdAt", s),
            "entities",
            json_pack("{s:[{s:s}], s:[{s:s}], s:[{s:s, s:s}]}", "hashtags", "text", s,
                      "user_mentions", "screen_name", s, "urls", "url", "https://t.co/x",
                      "expanded_url", s));
        json_t *env = json_pack("{s:s, s:s, s:s, s:[O]}", "event_type", "tweet", "rule_id", s,
                                "rule_tag", s, "tweets", tw);
        char *body = json_dumps(env, JSON_COMPACT);
        const tweet *t;
        const tweet_author *a;
        char *lower = strdup(s);
        json_t *back;

        assert_non_null(tw);
        assert_non_null(env);
        assert_non_null(body);
        assert_non_null(lower);
        for (char *c = lower; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');

        assert_int_equal(parse_len(body, strlen(body), &p, err, sizeof err), 0);
        assert_int_equal(p.n_tweets, 1);
        assert_string_equal(p.rule_id, s);
        assert_string_equal(p.rule_tag, s);
        t = &p.tweets[0];
        a = &t->author;
        assert_string_equal(t->text, s);
        assert_string_equal(t->lang, s);
        assert_string_equal(t->source, s);
        assert_string_equal(t->url, s);
        assert_string_equal(t->twitter_url, s);
        assert_string_equal(t->conversation_id, s);
        assert_string_equal(t->in_reply_to_id, s);
        assert_string_equal(t->in_reply_to_user_id, s);
        assert_string_equal(t->in_reply_to_username, s);
        assert_true(t->is_reply); /* no isReply: a parent id says enough */
        assert_string_equal(a->username, s);
        assert_string_equal(a->username_lower, lower);
        assert_string_equal(a->name, s);
        assert_string_equal(a->description, s);
        assert_string_equal(a->location, s);
        assert_string_equal(a->profile_picture_url, s);
        assert_string_equal(a->cover_picture_url, s);
        assert_string_equal(a->verified_type, s);
        assert_string_equal(a->automated_by, s);
        assert_false(a->has_created_at);
        assert_int_equal(t->n_entities, 3);
        for (size_t e = 0; e < 3; e++) {
            assert_string_equal(t->entities[e].value, s);
            assert_string_equal(t->entities[e].normalized, lower);
        }
        /* raw_data is the same JSON value, not a re-escaped variant. */
        back = json_loads(t->raw_json, 0, NULL);
        assert_non_null(back);
        assert_true(json_equal(back, tw));
        json_decref(back);
        back = json_loads(a->raw_json, 0, NULL);
        assert_true(json_equal(back, json_object_get(tw, "author")));
        json_decref(back);

        webhook_payload_free(&p);
        free(lower);
        free(body);
        json_decref(env);
        json_decref(tw);
    }
}

/* ---- dates ---------------------------------------------------------------- */

static void test_hostile_dates(void **state)
{
    static const char *const bad[] = {
        "", " ", "Tue Jan 06 18:02:11 +0000 2026 ", " Tue Jan 06 18:02:11 +0000 2026",
        "Tue Jan 06 18:02:11 +0000 20260", "Tue Jan 06 18:02:11 +0000 202", "Tue Jan  6 18:02:11 +0000 2026",
        "tue jan 06 18:02:11 +0000 2026", "Tue Jan 06 24:00:00 +0000 2026",
        "Tue Jan 06 18:60:00 +0000 2026", "Tue Jan 06 18:02:60 +0000 2026",
        "Tue Jan 32 18:02:11 +0000 2026", "Tue Jan 00 18:02:11 +0000 2026",
        "Sun Feb 29 18:02:11 +0000 2026", "Tue Jan 06 18:02:11 +2400 2026",
        "Tue Jan 06 18:02:11 +0060 2026", "Tue Jan 06 18:02:11 0000 2026",
        "Tue Jan 06 18:02:11 +00:00 2026", "Tue Jan 06 18:02:11 UTC 2026",
        "Tue Jan 06 18:02:11 +0000 2026\xc3\xa9", "2026-01-06T18:02:11", "2026-01-06 18:02:11Z",
        "2026-01-06T18:02:11.Z", "2026-01-06T18:02:11z", "2026-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-1-06T18:02:11Z",
        "2026-01-06T18:02:11+0", "2026-01-06T18:02:11+00:0", "2026-01-06T18:02:11Z ",
        "-2026-01-06T18:02:11Z", "1767722531", "'; DROP TABLE tweets; --",
    };
    static const struct {
        const char *s;
        long long t;
    } good[] = {
        {"Thu Feb 29 23:59:59 +0000 2024", 1709251199},
        {"Mon Jan 06 18:02:11 +0000 2026", CREATED_T}, /* weekday not checked */
        {"2026-01-06T20:02:11+02:00", CREATED_T},
        {"2026-01-06T13:02:11.999-0500", CREATED_T},
        {"1970-01-01T00:00:00Z", 0},
        {"9999-12-31T23:59:59Z", 253402300799LL},
    };
    char *frac;
    webhook_payload p;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\",\"createdAt\":\"", bad[i],
                          "\"}" ENV_TAIL, NULL);
        time_t t = 42;
        print_message("createdAt: \"%s\"\n", bad[i]);
        expect_rejected(body, "createdAt: unparseable date");
        assert_int_equal(tweet_parse_time(bad[i], &t), -1);
        assert_int_equal(t, 42);
        free(body);
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        time_t t = 0;
        print_message("createdAt: \"%s\"\n", good[i].s);
        assert_int_equal(tweet_parse_time(good[i].s, &t), 0);
        assert_int_equal((long long)t, good[i].t);
    }
    /* Not a string at all. */
    expect_rejected(ENV_HEAD "{\"id\":\"" TWEET_ID "\",\"createdAt\":1767722531}" ENV_TAIL,
                    "createdAt: missing or not a string");
    /* A 100k-digit fraction is read and dropped, not rounded. */
    frac = repeat("9", 100000);
    {
        char *s = join("2026-01-06T18:02:11.", frac, "Z", NULL);
        char *body = join(ENV_HEAD "{\"id\":\"" TWEET_ID "\",\"createdAt\":\"", s, "\"}" ENV_TAIL,
                          NULL);
        expect_one_tweet(body, &p);
        assert_int_equal((long long)p.tweets[0].created_at, CREATED_T);
        webhook_payload_free(&p);
        free(body);
        free(s);
    }
    free(frac);
    /* The author's date is decoration: a bad one does not cost the tweet. */
    expect_one_tweet(ONE(",\"author\":{\"id\":\"7\",\"createdAt\":\"yesterday\"}"), &p);
    assert_false(p.tweets[0].author.has_created_at);
    assert_int_equal(p.tweets[0].author.created_at, 0);
    webhook_payload_free(&p);
}

/* ---- track-lot body --------------------------------------------------------- */

#define UUID1 "3f2a9c1e-8b7d-4e60-a1f2-0c9d8e7b6a51"
#define ZONE "c9e8d7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f"

static void expect_track(const char *body, size_t len, const char *want)
{
    track_payload p;
    char err[256] = "";

    assert_int_equal(track_payload_parse(body, len, MAX_UPDATES, MAX_IDS, &p, err, sizeof err),
                     -1);
    assert_prefix(err, want);
    assert_null(p.root);
    assert_null(p.tweet_ids);
}

/* A track-lot body from the raw JSON text of its four values. */
#define TRACK(LOT, IDS, UPD, ZONEID) \
    "{\"lotId\":\"" LOT "\",\"tweetDbIds\":[" IDS "],\"updateNumber\":" UPD ",\"zoneId\":\"" ZONEID "\"}"
#define U1 "\"" UUID1 "\""
#define DUP_KEY                                                                     \
    "{\"lotId\":\"L\",\"lotId\":\"M\",\"tweetDbIds\":[" U1 "],\"updateNumber\":1,"          \
    "\"zoneId\":\"" ZONE "\"}"

static void test_track_hostile(void **state)
{
    static const struct {
        const char *body, *want;
    } refused[] = {
        {TRACK("L\xff", U1, "1", ZONE), "malformed JSON: unable to decode byte 0xff"},
        {TRACK("L", U1, "1", ZONE "\\u0000"), "malformed JSON: \\u0000 is not allowed"},
        {TRACK("L", U1, "1", ZONE) " x", "malformed JSON: end of file expected near 'x'"},
        {DUP_KEY, "malformed JSON: duplicate object key near '\"lotId\"'"},
        {TRACK("L", U1, "1e400", ZONE), "malformed JSON: real number overflow near '1e400'"},
        {TRACK("L", U1, "9223372036854775808", ZONE), "malformed JSON: too big integer"},
        {TRACK("'; DROP TABLE lots; --", U1, "1", ZONE),
         "lotId: must be 1..128 characters of [A-Za-z0-9_:-]"},
        {TRACK("lot 1", U1, "1", ZONE), "lotId: must be 1..128 characters of [A-Za-z0-9_:-]"},
        {TRACK("", U1, "1", ZONE), "lotId: must be 1..128 characters of [A-Za-z0-9_:-]"},
        {TRACK("L", U1, "4294967297", ZONE), "updateNumber: must be an integer 1..12"},
        {TRACK("L", U1, "-1", ZONE), "updateNumber: must be an integer 1..12"},
        {TRACK("L", U1, "1.0", ZONE), "updateNumber: must be an integer 1..12"},
        {TRACK("L", U1, "13", ZONE), "updateNumber: must be an integer 1..12"},
        {TRACK("L", "\"" UUID1 "' OR '1'='1\"", "1", ZONE), "tweetDbIds[0]: not a UUID"},
        {TRACK("L", "\" " UUID1 "\"", "1", ZONE), "tweetDbIds[0]: not a UUID"},
        {TRACK("L", U1 ",null", "1", ZONE), "tweetDbIds[1]: not a UUID"},
        {TRACK("L", "", "1", ZONE), "tweetDbIds: must be a non-empty array"},
        {TRACK("L", U1, "1", "c9e8d7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6g"), "zoneId: must be a UUID"},
        {TRACK("L", U1, "1", ZONE "0"), "zoneId: must be a UUID"},
    };
    static const char NUL_BODY[] = "{\"lotId\":\"L\0\"}";
    char *ids = repeat("\"" UUID1 "\",", 100000), *body;
    track_payload p;
    char err[256];

    (void)state;
    expect_track("", 0, "malformed JSON: '[' or '{' expected near end of file");
    expect_track(NULL, 0, "malformed JSON: '[' or '{' expected near end of file");
    expect_track(NUL_BODY, sizeof NUL_BODY - 1, "malformed JSON: control character 0x0");
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        expect_track(refused[i].body, strlen(refused[i].body), refused[i].want);

    ids[strlen(ids) - 1] = '\0';
    body = join("{\"lotId\":\"L\",\"tweetDbIds\":[", ids, "],\"updateNumber\":1,\"zoneId\":\"" ZONE "\"}",
                NULL);
    expect_track(body, strlen(body), "tweetDbIds: 100000 items, limit is 100");
    free(body);
    free(ids);
    /* At the limit, 100 copies of one id: the duplicate check names it. */
    ids = repeat("\"" UUID1 "\",", MAX_IDS);
    ids[strlen(ids) - 1] = '\0';
    body = join("{\"lotId\":\"L\",\"tweetDbIds\":[", ids, "],\"updateNumber\":1,\"zoneId\":\"" ZONE "\"}",
                NULL);
    expect_track(body, strlen(body), "tweetDbIds: duplicate id " UUID1);
    free(body);
    free(ids);
    /* A 129-character lot id is one too many; 128 is fine. */
    ids = repeat("a", 128);
    body = join("{\"lotId\":\"", ids, "\",\"tweetDbIds\":[\"" UUID1 "\"],\"updateNumber\":12,\"zoneId\":\"" ZONE "\"}",
                NULL);
    assert_int_equal(track_payload_parse(body, strlen(body), MAX_UPDATES, MAX_IDS, &p, err,
                                         sizeof err),
                     0);
    assert_string_equal(p.lot_id, ids);
    assert_int_equal(p.update_number, 12);
    track_payload_free(&p);
    free(body);
    free(ids);
    ids = repeat("a", 129);
    body = join("{\"lotId\":\"", ids, "\",\"tweetDbIds\":[\"" UUID1 "\"],\"updateNumber\":1,\"zoneId\":\"" ZONE "\"}",
                NULL);
    expect_track(body, strlen(body), "lotId: must be 1..128 characters");
    free(body);
    free(ids);
}

/* ---- QStash signature -------------------------------------------------------- */

#define KEY_CUR "sig_hostileCurrent4Tq8Lm2Vx6Zp"
#define KEY_NXT "sig_hostileNext9Rw3Kj7Bn1Yc5"
#define NOW ((time_t)1767724260)

static const qstash_verify_opts QOPTS = {KEY_CUR, KEY_NXT, NULL, 30};

static char *b64url(const unsigned char *in, size_t len)
{
    char *out = malloc(4 * (len / 3 + 1) + 1);
    int n;

    assert_non_null(out);
    n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return out;
}

/* HS256 token over the given header and claims JSON texts. */
static char *mint(const char *header, const char *claims, const char *key)
{
    char *h = b64url((const unsigned char *)header, strlen(header));
    char *c = b64url((const unsigned char *)claims, strlen(claims));
    char *signing = join(h, ".", c, NULL), *sig, *tok;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;

    assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)signing,
                         strlen(signing), mac, &mac_len));
    sig = b64url(mac, mac_len);
    tok = join(signing, ".", sig, NULL);
    free(h);
    free(c);
    free(signing);
    free(sig);
    return tok;
}

static char *body_hash(const unsigned char *body, size_t len)
{
    unsigned char d[SHA256_DIGEST_LENGTH];

    SHA256(len ? body : (const unsigned char *)"", len, d);
    return b64url(d, sizeof d);
}

#define HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static void test_qstash_hostile(void **state)
{
    /* A body with raw NUL bytes: hashed as the exact bytes, never as a C string. */
    static const unsigned char BODY[] = "{\"lotId\":\"L\"}\0\0tail";
    const size_t body_len = sizeof BODY - 1;
    char *hash = body_hash(BODY, body_len), *claims, *tok, *big, *open, *close;

    (void)state;
    claims = join("{\"iss\":\"Upstash\",\"exp\":1767724560,\"nbf\":0,\"body\":\"", hash, "=\"}",
                  NULL);
    tok = mint(HDR, claims, KEY_NXT);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_OK);
    /* Truncated at the first NUL (what a strlen would hash): refused. */
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, strlen((const char *)BODY), NOW),
                     QSV_BAD_BODY);
    free(tok);
    free(claims);

    /* exp at the top of the integer range: valid, no overflow in the checks. */
    claims = join("{\"iss\":\"Upstash\",\"exp\":9223372036854775807,\"nbf\":-9223372036854775808,"
                  "\"body\":\"", hash, "\"}", NULL);
    tok = mint(HDR, claims, KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_OK);
    free(tok);
    free(claims);
    /* Numbers jansson cannot hold: the signed claims are malformed. */
    tok = mint(HDR, "{\"iss\":\"Upstash\",\"exp\":1e400}", KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_MALFORMED);
    free(tok);
    tok = mint(HDR, "{\"iss\":\"Upstash\",\"exp\":9223372036854775808}", KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_MALFORMED);
    free(tok);
    /* NUL and bad UTF-8 inside signed claims: malformed, not "Upstash". */
    tok = mint(HDR, "{\"iss\":\"Upstash\\u0000x\",\"exp\":1767724560}", KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_MALFORMED);
    free(tok);
    tok = mint(HDR, "{\"iss\":\"Upstash\xff\",\"exp\":1767724560}", KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_MALFORMED);
    free(tok);
    /* Trailing garbage after the claims object. */
    tok = mint(HDR, "{\"iss\":\"Upstash\",\"exp\":1767724560} x", KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_MALFORMED);
    free(tok);
    /* Deeply nested signed claims (within the token size cap). */
    open = repeat("[", 3000);
    close = repeat("]", 3000);
    claims = join("{\"iss\":\"Upstash\",\"x\":", open, close, "}", NULL);
    tok = mint(HDR, claims, KEY_CUR);
    assert_int_equal(qstash_verify(&QOPTS, tok, BODY, body_len, NOW), QSV_MALFORMED);
    free(tok);
    free(claims);
    free(open);
    free(close);
    /* Oversized tokens are refused before any decoding. */
    big = repeat("A", 8193);
    big[10] = '.';
    big[20] = '.';
    assert_int_equal(qstash_verify(&QOPTS, big, BODY, body_len, NOW), QSV_MALFORMED);
    free(big);
    big = repeat(".", 100000);
    assert_int_equal(qstash_verify(&QOPTS, big, BODY, body_len, NOW), QSV_MALFORMED);
    free(big);
    big = repeat("eyJhbGciOiJIUzI1NiJ9.", 5000);
    assert_int_equal(qstash_verify(&QOPTS, big, BODY, body_len, NOW), QSV_MALFORMED);
    free(big);
    /* Non-base64url bytes, including non-ASCII, in each segment. */
    assert_int_equal(qstash_verify(&QOPTS, "\xff\xfe.e30.AAAA", BODY, body_len, NOW), QSV_MALFORMED);
    assert_int_equal(qstash_verify(&QOPTS, "e30.\xc3\xa9.AAAA", BODY, body_len, NOW), QSV_BAD_ALG);
    free(hash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_raw_nul_bytes),
        cmocka_unit_test(test_escaped_nul),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_nesting_limit_inside_tweet),
        cmocka_unit_test(test_huge_text),
        cmocka_unit_test(test_huge_tweets_array),
        cmocka_unit_test(test_huge_entity_array),
        cmocka_unit_test(test_thousands_of_entities_mixed),
        cmocka_unit_test(test_counters_out_of_range),
        cmocka_unit_test(test_every_counter_checked),
        cmocka_unit_test(test_ids_with_non_digits),
        cmocka_unit_test(test_sql_metacharacters_verbatim),
        cmocka_unit_test(test_hostile_dates),
        cmocka_unit_test(test_track_hostile),
        cmocka_unit_test(test_qstash_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
