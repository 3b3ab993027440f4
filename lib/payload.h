/* payload.h - validation of the two request bodies: the upstream webhook
 * envelope and the QStash track-lot body. Pure: no I/O. */
#ifndef ET_PAYLOAD_H
#define ET_PAYLOAD_H

#include "tweet.h"

typedef enum {
    WEBHOOK_TWEETS,   /* event_type "tweet" (or absent) with a tweets array: store */
    WEBHOOK_IGNORED   /* test_webhook_url probe, other event types, no `tweets` key: answer 200, store nothing */
} webhook_kind;

typedef struct {
    size_t index;          /* position in `tweets` */
    const char *reason;    /* static string */
    const json_t *raw;     /* borrowed from root: the rejected object, kept for inspection */
} webhook_reject;

typedef struct {
    json_t *root;                 /* owned */
    webhook_kind kind;
    const char *event_type;       /* borrowed, may be NULL */
    const char *rule_id, *rule_tag; /* borrowed; rule_id non-empty when kind == WEBHOOK_TWEETS */
    size_t received;              /* size of the tweets array */
    tweet *tweets;                /* owned: the valid tweets, in delivery order */
    size_t n_tweets;
    webhook_reject *rejects;      /* owned */
    size_t n_rejects;
} webhook_payload;

/* Parse and validate a webhook body. Returns 0, or -1 with a message naming
 * the problem in err (answer 400): malformed JSON, envelope of the wrong
 * shape, `tweets` not an array, empty, or longer than max_tweets. A single
 * bad tweet is not an error: it goes to rejects. When memory ran out, err
 * is exactly TWEET_ERR_NOMEM (a server error, not the sender's fault). */
int webhook_payload_parse(const char *body, size_t len, size_t max_tweets,
                          webhook_payload *out, char *err, size_t errlen);
void webhook_payload_free(webhook_payload *p);

#define ET_UUID_LEN 36

typedef struct {
    json_t *root;            /* owned */
    const char *lot_id;      /* borrowed; 1..128 chars of [A-Za-z0-9_:-] */
    const char **tweet_ids;  /* owned array of borrowed strings: UUIDs, no duplicates */
    size_t n_tweet_ids;
    int update_number;       /* 1..max_updates */
    const char *zone_id;     /* borrowed; UUID */
} track_payload;

/* Parse {lotId, tweetDbIds, updateNumber, zoneId}. Returns 0, or -1 with a
 * message naming the field in err (answer 400). tweetDbIds: 1..max_ids UUIDs;
 * duplicates are an error. err is TWEET_ERR_NOMEM when memory ran out. */
int track_payload_parse(const char *body, size_t len, int max_updates, size_t max_ids,
                        track_payload *out, char *err, size_t errlen);
void track_payload_free(track_payload *p);

/* 8-4-4-4-12 hex digits. */
bool payload_uuid_valid(const char *s);

#endif
