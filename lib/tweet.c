/* tweet.c - one upstream tweet object as a plain struct (see tweet.h).
 *
 * Strictness is deliberate and uneven: what identifies or dates a tweet
 * (id, createdAt, counters, author id) rejects the tweet, because storing
 * it wrong is worse than not storing it; descriptive fields of the wrong
 * type become NULL, because the upstream adds and reshapes those freely. */
#include "tweet.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Entities beyond this are dropped: a real tweet has a handful, and a
 * hostile object must not make us allocate without bound. */
#define TWEET_MAX_ENTITIES 1000

/* Every failure path sets the reason and returns -1 in one statement. */
static int set_why(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

/* ---- numbers ---------------------------------------------------------- */

/* Saturating: the struct is public and may hold anything, and signed
 * overflow is undefined behaviour. */
static long long add_sat(long long a, long long b)
{
    if (b > 0 && a > LLONG_MAX - b)
        return LLONG_MAX;
    if (b < 0 && a < LLONG_MIN - b)
        return LLONG_MIN;
    return a + b;
}

long long tweet_metrics_engagement(const tweet_metrics *m)
{
    long long sum = 0;

    if (!m)
        return 0;
    sum = add_sat(sum, m->likes);
    sum = add_sat(sum, m->retweets);
    sum = add_sat(sum, m->replies);
    sum = add_sat(sum, m->quotes);
    return sum;
}

/* A counter: a JSON integer 0..TWEET_COUNTER_MAX, or a real with an integral value (some
 * serialisers write 37.0). Strings are refused: "37" means the producer
 * changed and we want to hear about it. Returns 1 when set, 0 when absent
 * or null, -1 when of the wrong type or negative. */
static int get_counter(const json_t *obj, const char *key, long long *out)
{
    const json_t *v = json_object_get(obj, key);
    double d;

    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0 || json_integer_value(v) > TWEET_COUNTER_MAX)
            return -1;
        *out = json_integer_value(v);
        return 1;
    }
    if (!json_is_real(v))
        return -1;
    d = json_real_value(v);
    /* 9.2e18 is LLONG_MAX rounded up to a double: at or above it the
     * conversion would be undefined. The range test also rejects NaN. */
    if (!(d >= 0.0 && d <= (double)TWEET_COUNTER_MAX) || d != (double)(long long)d)
        return -1;
    *out = (long long)d;
    return 1;
}

/* One table so tweet_metrics_parse and its reasons cannot drift apart. */
static const struct {
    const char *key;
    size_t off;
    const char *why;
} counter_fields[] = {
    {"likeCount", offsetof(tweet_metrics, likes), "likeCount: not an integer in 0..1e15"},
    {"retweetCount", offsetof(tweet_metrics, retweets), "retweetCount: not an integer in 0..1e15"},
    {"replyCount", offsetof(tweet_metrics, replies), "replyCount: not an integer in 0..1e15"},
    {"quoteCount", offsetof(tweet_metrics, quotes), "quoteCount: not an integer in 0..1e15"},
    {"bookmarkCount", offsetof(tweet_metrics, bookmarks), "bookmarkCount: not an integer in 0..1e15"},
};

int tweet_metrics_parse(const json_t *obj, tweet_metrics *out, const char **why)
{
    const char *dummy;
    size_t i;
    int rc;

    if (!why)
        why = &dummy;
    if (!out)
        return set_why(why, "metrics: no output");
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj))
        return set_why(why, "tweet: not an object");
    for (i = 0; i < sizeof counter_fields / sizeof counter_fields[0]; i++) {
        long long *dst = (long long *)((char *)out + counter_fields[i].off);
        if (get_counter(obj, counter_fields[i].key, dst) < 0)
            return set_why(why, counter_fields[i].why);
    }
    /* viewCount missing (or null) is "unknown", never 0: views are kept
     * monotonic by the caller, which needs to tell the two apart. */
    rc = get_counter(obj, "viewCount", &out->views);
    if (rc < 0)
        return set_why(why, "viewCount: not an integer in 0..1e15");
    out->has_views = rc > 0;
    return 0;
}

/* ---- ids -------------------------------------------------------------- */

bool tweet_id_valid(const char *s)
{
    size_t n = 0;

    if (!s)
        return false;
    /* 19 digits are at most 9999999999999999999 < 2^64 - 1, so the length
     * check alone guarantees the snowflake fits an unsigned 64-bit. */
    while (s[n] >= '0' && s[n] <= '9') {
        if (++n > 19)
            return false;
    }
    /* A snowflake never starts with 0: "0123" and "123" must not become two
     * different stored ids of one tweet. */
    return n >= 1 && s[n] == '\0' && (s[0] != '0' || n == 1);
}

/* ---- time ------------------------------------------------------------- */

static const char *const month_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

static bool is_leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long long y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). Replaces timegm(), which is neither C11 nor POSIX. */
static long long days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Exactly n ASCII digits; isdigit() would consult the locale. */
static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* A three-letter English name from a table; returns its index or -1. */
static int take_name(const char **p, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (strncmp(*p, names[i], 3) == 0) {
            *p += 3;
            return i;
        }
    }
    return -1;
}

/* HH:MM:SS, range-checked. No leap second: the upstream never sends one. */
static bool take_clock(const char **p, int *h, int *mi, int *s)
{
    return take_digits(p, 2, h) && take_char(p, ':') && take_digits(p, 2, mi) &&
           take_char(p, ':') && take_digits(p, 2, s) && *h < 24 && *mi < 60 && *s < 60;
}

/* +HHMM, or +HH:MM when colon_ok. Returns seconds east of UTC. */
static bool take_offset(const char **p, bool colon_ok, long long *secs)
{
    int sign, h, m;

    if (**p == '+')
        sign = 1;
    else if (**p == '-')
        sign = -1;
    else
        return false;
    (*p)++;
    if (!take_digits(p, 2, &h))
        return false;
    if (colon_ok && **p == ':')
        (*p)++;
    if (!take_digits(p, 2, &m) || h > 23 || m > 59)
        return false;
    *secs = sign * (h * 3600LL + m * 60LL);
    return true;
}

static int make_time(long long y, int mo, int d, int h, int mi, int s, long long offset,
                     time_t *out)
{
    long long v;

    /* Years the database stores and prints as written (year 0 would come
     * back as "0-06-01" and fail the whole delivery's statement). */
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    v = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + s - offset;
    /* time_t may be 32 bits somewhere; never wrap silently. */
    if ((long long)(time_t)v != v)
        return -1;
    *out = (time_t)v;
    return 0;
}

/* "Sat Mar 14 09:15:07 +0000 2026". The weekday must be a weekday name
 * but is not checked against the date: it carries no information. */
static int parse_twitter_time(const char *p, time_t *out)
{
    int mon, d, h, mi, s, y;
    long long off;

    if (take_name(&p, day_names, 7) < 0 || !take_char(&p, ' '))
        return -1;
    if ((mon = take_name(&p, month_names, 12)) < 0 || !take_char(&p, ' '))
        return -1;
    if (!take_digits(&p, 2, &d) || !take_char(&p, ' ') || !take_clock(&p, &h, &mi, &s))
        return -1;
    if (!take_char(&p, ' ') || !take_offset(&p, false, &off) || !take_char(&p, ' '))
        return -1;
    if (!take_digits(&p, 4, &y) || *p != '\0')
        return -1;
    return make_time(y, mon + 1, d, h, mi, s, off, out);
}

/* "2026-03-14T09:15:07[.frac](Z|+HH:MM|+HHMM)". A zone is required: a
 * naive timestamp would be guessed as UTC and silently shifted. */
static int parse_iso_time(const char *p, time_t *out)
{
    int y, mo, d, h, mi, s;
    long long off = 0;

    if (!take_digits(&p, 4, &y) || !take_char(&p, '-') || !take_digits(&p, 2, &mo) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &d) || !take_char(&p, 'T') ||
        !take_clock(&p, &h, &mi, &s))
        return -1;
    if (take_char(&p, '.')) {
        /* Any precision; sub-second time is dropped, not rounded. */
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (!take_char(&p, 'Z') && !take_offset(&p, true, &off))
        return -1;
    if (*p != '\0')
        return -1;
    return make_time(y, mo, d, h, mi, s, off, out);
}

int tweet_parse_time(const char *s, time_t *out)
{
    time_t t;

    if (!s || !out)
        return -1;
    if (s[0] >= '0' && s[0] <= '9') {
        if (parse_iso_time(s, &t) < 0)
            return -1;
    } else if (parse_twitter_time(s, &t) < 0) {
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- strings ---------------------------------------------------------- */

/* A string field, or NULL when absent or of another type. */
static const char *get_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* As get_str, but "" is NULL too (the upstream's "not a reply"). */
static const char *get_str_nonempty(const json_t *obj, const char *key)
{
    const char *s = get_str(obj, key);
    return s && *s ? s : NULL;
}

static bool get_bool(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

/* ASCII-only folding: byte-wise, locale-free, and never touches UTF-8
 * continuation bytes. */
static char *ascii_lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);

    if (!d)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        d[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    return d;
}

/* ---- author ----------------------------------------------------------- */

static long long author_count(const json_t *a, const char *key)
{
    long long v = 0;
    /* A bad follower count is not worth losing the tweet over: it is
     * profile decoration, refreshed on the next delivery. */
    if (get_counter(a, key, &v) <= 0)
        return 0;
    return v;
}

static int parse_author(const json_t *a, tweet_author *au, const char **why)
{
    const char *desc;

    au->id = get_str(a, "id");
    if (!tweet_id_valid(au->id))
        return set_why(why, "author.id: missing or not 1..19 digits");
    au->username = get_str(a, "userName");
    au->name = get_str(a, "name");
    /* The upstream often leaves `description` empty and puts the bio in
     * profile_bio.description. */
    desc = get_str(a, "description");
    if (!desc || !*desc) {
        const char *bio = get_str(json_object_get(a, "profile_bio"), "description");
        if (bio)
            desc = bio;
    }
    au->description = desc;
    au->location = get_str(a, "location");
    au->profile_picture_url = get_str(a, "profilePicture");
    au->cover_picture_url = get_str(a, "coverPicture");
    au->verified_type = get_str(a, "verifiedType");
    au->automated_by = get_str(a, "automatedBy");
    au->is_verified = get_bool(a, "isVerified");
    au->is_blue_verified = get_bool(a, "isBlueVerified");
    au->is_automated = get_bool(a, "isAutomated");
    au->can_dm = get_bool(a, "canDm");
    au->possibly_sensitive = get_bool(a, "possiblySensitive");
    au->followers = author_count(a, "followers");
    au->following = author_count(a, "following");
    au->statuses = author_count(a, "statusesCount");
    au->media = author_count(a, "mediaCount");
    au->favourites = author_count(a, "favouritesCount");
    /* Unlike the tweet's date, an account date is optional decoration. */
    au->has_created_at = tweet_parse_time(get_str(a, "createdAt"), &au->created_at) == 0;
    if (!au->has_created_at)
        au->created_at = 0;
    if (au->username && !(au->username_lower = ascii_lower_dup(au->username)))
        return set_why(why, TWEET_ERR_NOMEM);
    if (!(au->raw_json = json_dumps(a, JSON_COMPACT)))
        return set_why(why, TWEET_ERR_NOMEM);
    return 0;
}

/* ---- entities --------------------------------------------------------- */

/* `indices` = [start, end]; anything else gives -1, -1. */
static void get_indices(const json_t *e, int *start, int *end)
{
    const json_t *ix = json_object_get(e, "indices");
    const json_t *a = json_array_get(ix, 0), *b = json_array_get(ix, 1);

    *start = *end = -1;
    if (json_array_size(ix) != 2 || !json_is_integer(a) || !json_is_integer(b))
        return;
    if (json_integer_value(a) < 0 || json_integer_value(a) > INT_MAX ||
        json_integer_value(b) < 0 || json_integer_value(b) > INT_MAX)
        return;
    *start = (int)json_integer_value(a);
    *end = (int)json_integer_value(b);
}

static const char *entity_value(const json_t *e, tweet_entity_type type)
{
    const char *v;

    switch (type) {
    case ENTITY_HASHTAG:
        return get_str_nonempty(e, "text");
    case ENTITY_MENTION:
        return get_str_nonempty(e, "screen_name");
    case ENTITY_URL:
        v = get_str_nonempty(e, "expanded_url");
        return v ? v : get_str_nonempty(e, "url");
    }
    return NULL;
}

static const struct {
    const char *key;
    tweet_entity_type type;
} entity_lists[] = {
    {"hashtags", ENTITY_HASHTAG},
    {"user_mentions", ENTITY_MENTION},
    {"urls", ENTITY_URL},
};

/* Malformed entries are skipped, not fatal: entities are derived data and
 * the full object survives in raw_json anyway. */
static int parse_entities(const json_t *ents, tweet *t, const char **why)
{
    size_t cap = 0, i, j;

    for (i = 0; i < sizeof entity_lists / sizeof entity_lists[0]; i++)
        cap += json_array_size(json_object_get(ents, entity_lists[i].key));
    if (cap > TWEET_MAX_ENTITIES)
        cap = TWEET_MAX_ENTITIES;
    if (cap == 0)
        return 0;
    if (!(t->entities = calloc(cap, sizeof *t->entities)))
        return set_why(why, TWEET_ERR_NOMEM);

    for (i = 0; i < sizeof entity_lists / sizeof entity_lists[0]; i++) {
        const json_t *arr = json_object_get(ents, entity_lists[i].key);
        for (j = 0; j < json_array_size(arr) && t->n_entities < cap; j++) {
            const json_t *e = json_array_get(arr, j);
            tweet_entity *te = &t->entities[t->n_entities];
            const char *v = entity_value(e, entity_lists[i].type);

            if (!v)
                continue;
            if (!(te->normalized = ascii_lower_dup(v)))
                return set_why(why, TWEET_ERR_NOMEM);
            te->type = entity_lists[i].type;
            te->value = v;
            get_indices(e, &te->start, &te->end);
            t->n_entities++;
            if (te->type == ENTITY_HASHTAG)
                t->has_hashtags = true;
            else if (te->type == ENTITY_MENTION)
                t->has_mentions = true;
            else
                t->has_links = true;
        }
    }
    return 0;
}

/* ---- tweet ------------------------------------------------------------ */

/* Fills a zeroed *out; on failure the caller frees what was set. */
static int parse_fields(const json_t *obj, tweet *out, const char **why)
{
    const json_t *v;

    if (!json_is_object(obj))
        return set_why(why, "tweet: not an object");

    v = json_object_get(obj, "id");
    if (!json_is_string(v))
        return set_why(why, "id: missing or not a string");
    if (!tweet_id_valid(json_string_value(v)))
        return set_why(why, "id: not 1..19 digits");
    out->id = json_string_value(v);

    v = json_object_get(obj, "createdAt");
    if (!json_is_string(v))
        return set_why(why, "createdAt: missing or not a string");
    if (tweet_parse_time(json_string_value(v), &out->created_at) < 0)
        return set_why(why, "createdAt: unparseable date");

    /* Absent text is tolerated as "" (media-only tweets); present text of
     * another type means the object is not what we think it is. */
    v = json_object_get(obj, "text");
    if (v && !json_is_string(v))
        return set_why(why, "text: not a string");
    out->text = v ? json_string_value(v) : "";

    if (tweet_metrics_parse(obj, &out->metrics, why) < 0)
        return -1;

    out->lang = get_str(obj, "lang");
    out->source = get_str(obj, "source");
    out->url = get_str(obj, "url");
    out->twitter_url = get_str(obj, "twitterUrl");
    out->conversation_id = get_str_nonempty(obj, "conversationId");
    out->in_reply_to_id = get_str_nonempty(obj, "inReplyToId");
    out->in_reply_to_user_id = get_str_nonempty(obj, "inReplyToUserId");
    out->in_reply_to_username = get_str_nonempty(obj, "inReplyToUsername");
    /* isReply is authoritative; without it, a parent id says enough. */
    v = json_object_get(obj, "isReply");
    out->is_reply = json_is_boolean(v) ? json_is_true(v) : out->in_reply_to_id != NULL;

    v = json_object_get(obj, "author");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v))
            return set_why(why, "author: not an object");
        out->has_author = true;
        if (parse_author(v, &out->author, why) < 0)
            return -1;
    }

    if (parse_entities(json_object_get(obj, "entities"), out, why) < 0)
        return -1;
    out->has_media =
        json_array_size(json_object_get(json_object_get(obj, "extendedEntities"), "media")) > 0;

    if (!(out->raw_json = json_dumps(obj, JSON_COMPACT)))
        return set_why(why, TWEET_ERR_NOMEM);
    return 0;
}

int tweet_parse(const json_t *obj, tweet *out, const char **why)
{
    const char *dummy;

    if (!why)
        why = &dummy;
    if (!out)
        return set_why(why, "tweet: no output");
    memset(out, 0, sizeof *out);
    if (parse_fields(obj, out, why) < 0) {
        /* Leaves *out zeroed: nothing for the caller to free. */
        tweet_free(out);
        return -1;
    }
    return 0;
}

void tweet_free(tweet *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_entities; i++)
        free(t->entities[i].normalized);
    free(t->entities);
    free(t->author.username_lower);
    free(t->author.raw_json);
    free(t->raw_json);
    /* Zeroed, so a second tweet_free is harmless. */
    memset(t, 0, sizeof *t);
}
