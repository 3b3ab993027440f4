/* tweet.h - one upstream (twitterapi.io) tweet object as a plain struct.
 *
 * The upstream delivers camelCase fields at tweet and user level and
 * snake_case inside `entities` (see the upstream contract in the README).
 * Ids stay text: a 19-digit snowflake never goes through a double.
 *
 * Ownership: every `const char *` field is BORROWED from the json_t the
 * tweet was parsed from, which must outlive the struct. Fields marked
 * "owned" are freed by tweet_free(). */
#ifndef ET_TWEET_H
#define ET_TWEET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Larger counters are refused (the tweet alone): far above any real count,
 * and four of them still sum inside a bigint (total_engagement). */
#define TWEET_COUNTER_MAX 1000000000000000LL

typedef struct {
    long long likes, retweets, replies, quotes, bookmarks;
    long long views;   /* meaningful only when has_views */
    bool has_views;    /* viewCount missing is not 0: keep the previous value */
} tweet_metrics;

/* likes + retweets + replies + quotes (views and bookmarks do not count). */
long long tweet_metrics_engagement(const tweet_metrics *m);

typedef enum { ENTITY_HASHTAG, ENTITY_MENTION, ENTITY_URL } tweet_entity_type;

typedef struct {
    tweet_entity_type type;
    const char *value;  /* hashtag text (no '#'), mention screen_name, url expanded_url (else url) */
    char *normalized;   /* owned: lower-case value (ASCII folding) */
    int start, end;     /* from `indices`, -1 when absent */
} tweet_entity;

typedef struct {
    const char *id;              /* upstream user id, digits */
    const char *username;        /* `userName` as delivered */
    char *username_lower;        /* owned */
    const char *name, *description, *location;
    const char *profile_picture_url, *cover_picture_url, *verified_type, *automated_by;
    bool is_verified, is_blue_verified, is_automated, can_dm, possibly_sensitive;
    long long followers, following, statuses, media, favourites;
    time_t created_at;
    bool has_created_at;
    char *raw_json;              /* owned: compact JSON of the author object */
} tweet_author;

typedef struct {
    size_t index;                /* position in the delivery's `tweets` array */
    const char *id;              /* 1..19 digits, validated */
    const char *text, *lang, *source, *url, *twitter_url, *conversation_id;
    time_t created_at;           /* from `createdAt` */
    tweet_metrics metrics;
    bool is_reply;
    const char *in_reply_to_id, *in_reply_to_user_id, *in_reply_to_username; /* NULL when "" or null */
    bool has_media, has_links, has_hashtags, has_mentions;
    bool has_author;
    tweet_author author;
    tweet_entity *entities;      /* owned array */
    size_t n_entities;
    char *raw_json;              /* owned: compact JSON of the whole tweet object (raw_data) */
} tweet;

/* Parse one tweet object. Returns 0, or -1 with *why set to a static,
 * human-readable reason naming the field ("id: not a digit string", ...).
 * On failure nothing needs freeing (tweet_free is still safe). */
int tweet_parse(const json_t *obj, tweet *out, const char **why);
void tweet_free(tweet *t);   /* accepts NULL and zeroed structs */
/* *why after an allocation failure: not the tweet's fault, so callers must
 * not treat it as a rejected tweet (compare with strcmp). */
#define TWEET_ERR_NOMEM "out of memory"

/* Metrics only, from a tweet object (used for the batch lookup answer).
 * Missing counters are 0 except viewCount (has_views=false). Returns 0 or -1
 * with *why when a counter has a wrong type or is negative. */
int tweet_metrics_parse(const json_t *obj, tweet_metrics *out, const char **why);

/* "Sat Mar 14 09:15:07 +0000 2026" or ISO-8601 "2026-03-14T09:15:07.000000Z"
 * (also "+00:00" offsets). Locale-independent. Returns 0 or -1. */
int tweet_parse_time(const char *s, time_t *out);

/* 1..19 ASCII digits, no sign, no leading zero, fits an unsigned 64-bit snowflake. */
bool tweet_id_valid(const char *s);

#endif
