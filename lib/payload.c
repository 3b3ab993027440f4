/* payload.c - the webhook envelope and the track-lot body (see payload.h).
 *
 * The envelope is judged as a whole (a wrong shape is a 400 and nothing is
 * stored); tweets inside it are judged one by one, so a single bad tweet
 * costs only itself. */
#include "payload.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOT_ID_MAX 128

/* Writes the message (truncated to errlen) and returns -1, so that every
 * failure is one statement. err may be NULL. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Real tweet texts arrive cut in the middle of an emoji ("\ud83d" alone),
 * and "\u0000" is valid JSON that PostgreSQL text and jsonb refuse. Either
 * would sink the whole delivery, so both become U+FFFD, in a copy, escape
 * for escape (same length). Returns NULL when nothing needed replacing (or
 * on OOM: then jansson sees the original and answers as it would). A
 * backslash only occurs inside strings in valid JSON, so no string state is
 * tracked; invalid JSON is left for jansson to refuse. */
static char *replace_bad_escapes(const char *body, size_t len)
{
    const char *end = body + len;
    char *copy = NULL;
    for (const char *p = body; p < end; p++) {
        if (*p != '\\' || p + 1 >= end)
            continue;
        if (p[1] != 'u') {
            p++;                         /* skip the escaped character */
            continue;
        }
        unsigned v, lo;
        if (hex4(p + 2, end, &v) < 0)
            continue;
        size_t n = 6;                    /* bytes of this escape to keep or replace */
        bool bad = v == 0 || (v >= 0xDC00 && v <= 0xDFFF);
        if (v >= 0xD800 && v <= 0xDBFF) {
            if (end - p >= 12 && p[6] == '\\' && p[7] == 'u' && hex4(p + 8, end, &lo) == 0 &&
                lo >= 0xDC00 && lo <= 0xDFFF)
                n = 12;                  /* a proper pair */
            else
                bad = true;
        }
        if (bad) {
            if (!copy) {
                if (!(copy = malloc(len + 1)))
                    return NULL;
                memcpy(copy, body, len);
                copy[len] = '\0';
            }
            memcpy(copy + (p - body), "\\ufffd", 6);
        }
        p += n - 1;
    }
    return copy;
}

/* jansson's own message carries the position in the text; keep it, the
 * sender needs it to find the problem. */
static json_t *load_object(const char *body, size_t len, size_t flags, char *err,
                           size_t errlen)
{
    json_error_t jerr;
    json_t *root;

    /* json_loadb wants a buffer even for an empty body. */
    root = json_loadb(body ? body : "", body ? len : 0, flags, &jerr);
    if (!root) {
        /* Our memory, not the sender's JSON: must not become a 400.
         * jansson reports every syntax error with a text; the one failure
         * it leaves without any (its lexer buffer) is an allocation. */
        if (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0')
            set_err(err, errlen, "%s", TWEET_ERR_NOMEM);
        else
            set_err(err, errlen, "malformed JSON: %s at line %d column %d", jerr.text,
                    jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        set_err(err, errlen, "malformed JSON: top level must be an object");
        return NULL;
    }
    return root;
}

/* ---- webhook ---------------------------------------------------------- */

/* Every tweet of the array: good ones to p->tweets, bad ones to
 * p->rejects. Only running out of memory fails the whole delivery: it is
 * not the sender's fault, and a reject would answer 200 and lose the tweet. */
static int parse_tweets(const json_t *arr, webhook_payload *p, char *err, size_t errlen)
{
    size_t n = json_array_size(arr);

    p->tweets = calloc(n, sizeof *p->tweets);
    p->rejects = calloc(n, sizeof *p->rejects);
    if (!p->tweets || !p->rejects)
        return set_err(err, errlen, "%s", TWEET_ERR_NOMEM);

    for (size_t i = 0; i < n; i++) {
        const json_t *obj = json_array_get(arr, i);
        tweet *t = &p->tweets[p->n_tweets];
        const char *why = NULL;

        if (tweet_parse(obj, t, &why) == 0) {
            t->index = i;
            p->n_tweets++;
            continue;
        }
        if (why && strcmp(why, TWEET_ERR_NOMEM) == 0)
            return set_err(err, errlen, "%s", TWEET_ERR_NOMEM);
        p->rejects[p->n_rejects].index = i;
        p->rejects[p->n_rejects].reason = why ? why : "tweet: invalid";
        p->rejects[p->n_rejects].raw = obj;
        p->n_rejects++;
    }
    return 0;
}

int webhook_payload_parse(const char *body, size_t len, size_t max_tweets,
                          webhook_payload *out, char *err, size_t errlen)
{
    const json_t *v, *tweets;
    webhook_payload p;

    memset(&p, 0, sizeof p);
    if (out)
        memset(out, 0, sizeof *out);
    if (!out)
        return set_err(err, errlen, "webhook: no output");

    /* Duplicate keys are tolerated (last wins): the upstream is not ours to
     * fix, and refusing would lose a whole delivery over a detail. */
    char *clean = replace_bad_escapes(body, len);
    p.root = load_object(clean ? clean : body, len, 0, err, errlen);
    free(clean);
    if (!p.root)
        return -1;

    v = json_object_get(p.root, "event_type");
    if (v && !json_is_null(v) && !json_is_string(v)) {
        set_err(err, errlen, "event_type: must be a string");
        goto fail;
    }
    p.event_type = json_string_value(v);
    p.rule_id = json_string_value(json_object_get(p.root, "rule_id"));
    p.rule_tag = json_string_value(json_object_get(p.root, "rule_tag"));

    /* The URL-validation probe and any event we do not know: the upstream
     * wants a 200 and there is nothing to store. Likewise a body without a
     * `tweets` key at all (the probe's shape is not documented). */
    tweets = json_object_get(p.root, "tweets");
    if ((p.event_type && strcmp(p.event_type, "tweet") != 0) || !tweets) {
        p.kind = WEBHOOK_IGNORED;
        *out = p;
        return 0;
    }

    p.kind = WEBHOOK_TWEETS;
    if (!json_is_array(tweets) || json_array_size(tweets) == 0) {
        set_err(err, errlen, "tweets: must be a non-empty array");
        goto fail;
    }
    p.received = json_array_size(tweets);
    if (p.received > max_tweets) {
        set_err(err, errlen, "tweets: %zu items, limit is %zu", p.received, max_tweets);
        goto fail;
    }
    /* The rule decides the zone: tweets without one cannot be placed. */
    if (!p.rule_id || !*p.rule_id) {
        set_err(err, errlen, "rule_id: must be a non-empty string");
        goto fail;
    }
    if (parse_tweets(tweets, &p, err, errlen) < 0)
        goto fail;

    *out = p;
    return 0;

fail:
    webhook_payload_free(&p);
    return -1;
}

void webhook_payload_free(webhook_payload *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_tweets; i++)
        tweet_free(&p->tweets[i]);
    free(p->tweets);
    free(p->rejects);
    json_decref(p->root);
    memset(p, 0, sizeof *p);
}

/* ---- track-lot -------------------------------------------------------- */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool payload_uuid_valid(const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < ET_UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return false;   /* also stops at a short string's NUL */
    }
    return s[ET_UUID_LEN] == '\0';
}

static bool lot_id_valid(const char *s)
{
    size_t n;

    for (n = 0; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == ':' || c == '-';
        if (!ok || n >= LOT_ID_MAX)
            return false;
    }
    return n > 0;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* qsort comparator over const char *: ASCII case-insensitive, so that
 * "ABC..." and "abc..." are the same id (strcasecmp follows the locale). */
static int cmp_ci(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;

    for (;; x++, y++) {
        char cx = ascii_lower(*x), cy = ascii_lower(*y);
        if (cx != cy || !cx)
            return (unsigned char)cx - (unsigned char)cy;
    }
}

/* Sorting a copy keeps the check O(n log n) whatever max_ids is, and
 * leaves the delivery order of tweet_ids alone. */
static int check_duplicates(const char **ids, size_t n, char *err, size_t errlen)
{
    const char **sorted = malloc(n * sizeof *sorted);
    int rc = 0;

    if (!sorted)
        return set_err(err, errlen, "%s", TWEET_ERR_NOMEM);
    memcpy(sorted, ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_ci);
    for (size_t i = 1; i < n; i++) {
        if (cmp_ci(&sorted[i - 1], &sorted[i]) == 0) {
            rc = set_err(err, errlen, "tweetDbIds: duplicate id %s", sorted[i]);
            break;
        }
    }
    free(sorted);
    return rc;
}

static int parse_tweet_ids(const json_t *arr, size_t max_ids, track_payload *p, char *err,
                           size_t errlen)
{
    size_t n = json_array_size(arr);

    if (!json_is_array(arr) || n == 0)
        return set_err(err, errlen, "tweetDbIds: must be a non-empty array");
    if (n > max_ids)
        return set_err(err, errlen, "tweetDbIds: %zu items, limit is %zu", n, max_ids);
    if (!(p->tweet_ids = calloc(n, sizeof *p->tweet_ids)))
        return set_err(err, errlen, "%s", TWEET_ERR_NOMEM);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!payload_uuid_valid(s))
            return set_err(err, errlen, "tweetDbIds[%zu]: not a UUID", i);
        p->tweet_ids[i] = s;
    }
    p->n_tweet_ids = n;
    return check_duplicates(p->tweet_ids, n, err, errlen);
}

int track_payload_parse(const char *body, size_t len, int max_updates, size_t max_ids,
                        track_payload *out, char *err, size_t errlen)
{
    const json_t *v;
    track_payload p;

    memset(&p, 0, sizeof p);
    if (out)
        memset(out, 0, sizeof *out);
    if (!out)
        return set_err(err, errlen, "track: no output");

    /* Our own producer wrote this body: any oddity, duplicate keys
     * included, means something is wrong upstream of us. */
    if (!(p.root = load_object(body, len, JSON_REJECT_DUPLICATES, err, errlen)))
        return -1;

    p.lot_id = json_string_value(json_object_get(p.root, "lotId"));
    if (!p.lot_id) {
        set_err(err, errlen, "lotId: missing or not a string");
        goto fail;
    }
    if (!lot_id_valid(p.lot_id)) {
        set_err(err, errlen, "lotId: must be 1..%d characters of [A-Za-z0-9_:-]", LOT_ID_MAX);
        goto fail;
    }

    if (parse_tweet_ids(json_object_get(p.root, "tweetDbIds"), max_ids, &p, err, errlen) < 0)
        goto fail;

    /* Integers only: 1.0 or "1" would mean a producer we do not know. */
    v = json_object_get(p.root, "updateNumber");
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > max_updates) {
        set_err(err, errlen, "updateNumber: must be an integer 1..%d", max_updates);
        goto fail;
    }
    p.update_number = (int)json_integer_value(v);

    p.zone_id = json_string_value(json_object_get(p.root, "zoneId"));
    if (!payload_uuid_valid(p.zone_id)) {
        set_err(err, errlen, "zoneId: must be a UUID");
        goto fail;
    }

    *out = p;
    return 0;

fail:
    track_payload_free(&p);
    return -1;
}

void track_payload_free(track_payload *p)
{
    if (!p)
        return;
    free(p->tweet_ids);
    json_decref(p->root);
    memset(p, 0, sizeof *p);
}
