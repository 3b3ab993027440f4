/* upstream.h - the twitterapi.io batch lookup client:
 * GET {base}/twitter/tweets?tweet_ids=ID1,ID2,... with X-API-Key, split in
 * chunks of batch_size ids. No database, no logging. */
#ifndef ET_UPSTREAM_H
#define ET_UPSTREAM_H

#include "tweet.h"

typedef struct upstream_client upstream_client;

typedef struct {
    char id[24];             /* the tweet id as returned (digits) */
    tweet_metrics metrics;
} upstream_found;

typedef struct {
    upstream_found *found;   /* owned; order not significant */
    size_t n_found;
    size_t calls;            /* HTTP requests made */
    size_t tweets_returned;  /* tweets in all answers (what the upstream bills) */
} upstream_batch;

typedef struct {
    long http_status;        /* 0 when no HTTP answer (timeout, connection dropped) */
    long retry_after_s;      /* from Retry-After when the upstream gave one, else -1 */
    char message[256];       /* curl error, {"detail"}, {"msg"} or {"message"} text */
} upstream_error;

/* One per thread (owns a CURL easy handle: connections are reused).
 * base_url without trailing '/'. Returns NULL on OOM. */
upstream_client *upstream_client_new(const char *base_url, const char *api_key,
                                     long timeout_ms, size_t batch_size);
void upstream_client_free(upstream_client *c);  /* accepts NULL */

/* Fetch the metrics of n ids (digit strings), ceil(n / batch_size) calls.
 * Returns 0 when every call succeeded (ids absent from the answers are simply
 * not in out->found), -1 on the first failing call (non-2xx, timeout,
 * dropped connection, unparseable body, or HTTP 200 with "status": "error")
 * with err filled and out emptied. */
int upstream_fetch(upstream_client *c, const char *const *ids, size_t n,
                   upstream_batch *out, upstream_error *err);
void upstream_batch_free(upstream_batch *b);   /* accepts NULL */

#endif
