/* webhook.h - the handler behind webhook.fcgi. */
#ifndef ET_WEBHOOK_H
#define ET_WEBHOOK_H

#include "config.h"
#include "db.h"
#include "http.h"
#include "outbox.h"
#include "payload.h"
#include "qstash.h"

typedef struct {
    const et_config *cfg;
    db *db;
    qstash_client *qstash;
    time_t last_flush;      /* last time this thread retried pending lots */
    time_t qstash_breaker;  /* no inline publish before this (QStash just failed) */
    outbox_pending pending; /* the lot of the last request, published after the answer */
} webhook_ctx;

void *webhook_thread_init(const et_config *cfg);
void webhook_thread_free(void *ctx);
void webhook_handle(void *ctx, const http_request *req, http_response *resp);
/* After the answer: publish the request's lot, retry older pending ones. */
void webhook_after(void *ctx);

/* Store a parsed delivery in zone_id. On DB_OK, *answer is a new
 * {received, created, duplicates, rejected, lotId} object and ctx->pending
 * holds the lot to publish once the caller's transaction (if any) committed
 * (webhook_after). Used by the handler and by `engagementctl replay`. */
db_status webhook_store(webhook_ctx *ctx, const webhook_payload *p, const char *zone_id,
                        json_t **answer) __attribute__((warn_unused_result));

/* "lot_<unix seconds>_<16 hex digits>" into out (>= 48 bytes). */
void webhook_new_lot_id(char *out, size_t outlen);

#endif
