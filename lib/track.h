/* track.h - the handler behind track-lot.fcgi 
 * verify, claim (lot, update), load, threshold, fetch, decide, one write
 * statement, publish the next update. */
#ifndef ET_TRACK_H
#define ET_TRACK_H

#include "cache.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "outbox.h"
#include "qstash.h"
#include "upstream.h"

#include <time.h>

typedef struct {
    const et_config *cfg;
    db *db;
    qstash_client *qstash;
    upstream_client *upstream;
    cache *cache;
    time_t last_flush;
    time_t qstash_breaker;  /* no inline publish before this (QStash just failed) */
    outbox_pending pending; /* the next update's message, published after the answer */
} track_ctx;

void *track_thread_init(const et_config *cfg);
void track_thread_free(void *ctx);
void track_handle(void *ctx, const http_request *req, http_response *resp);
/* After the answer: publish the next update, retry older pending messages. */
void track_after(void *ctx);

#endif
