/* outbox.h - lots waiting to be scheduled on QStash. A row is written in
 * the same transaction as the work that produced it, published after the
 * commit, and marked sent once QStash accepted it. A failed publish stays
 * pending and is retried by later requests and by `engagementctl
 * flush-outbox`; the QStash deduplication id makes a retry harmless. */
#ifndef ET_OUTBOX_H
#define ET_OUTBOX_H

#include "config.h"
#include "db.h"
#include "qstash.h"

#include <time.h>

typedef struct {
    const char *destination;   /* APP_URL + TRACK_LOT_PATH */
    int qstash_retries;        /* Upstash-Retries */
    long retry_s;              /* a failed or claimed row waits this long before a retry */
    long redrive_s;            /* a sent message whose update never ran is sent again after this */
    time_t *breaker;           /* caller's: no publish before *breaker after a failure; NULL = always try */
} outbox_opts;

typedef struct {
    const char *id;            /* engagement_outbox.id (decimal text) */
    const char *lot_id;
    int update_number;
    const char *dedup_id;
    const char *body;          /* exact bytes to publish */
    long delay_s;              /* seconds until not_before (>= 0) */
} outbox_row;

/* Options from the settings; breaker may be NULL (operator commands). */
outbox_opts outbox_opts_from_config(const et_config *cfg, time_t *breaker);

/* A row the caller's statement just wrote, to publish once it committed. */
typedef struct {
    char id[24];               /* "" = nothing to publish */
    char lot_id[136];
    int update_number;
    char dedup_id[160];
    char *body;                /* owned */
    long delay_s;
} outbox_pending;

/* Publish p when set (see outbox_publish), then clear it. */
void outbox_publish_pending(db *d, qstash_client *q, const outbox_opts *o, outbox_pending *p);
void outbox_pending_clear(outbox_pending *p);

/* Publish one row the caller holds (just committed) and record the outcome.
 * Returns 0 when QStash accepted it, -1 otherwise (the row stays pending). */
int outbox_publish(db *d, qstash_client *q, const outbox_opts *o, const outbox_row *row);

/* First put back in the queue the sent messages whose update has not run
 * redrive_s after it was due (QStash gave up retrying, or lost it): they are
 * published again under a new deduplication id, and the update's claim
 * makes a late original harmless. Then claim up to limit pending rows
 * nobody is publishing (FOR UPDATE SKIP LOCKED, a lease of retry_s) and
 * publish them. Counts go to *sent and *failed. Returns the database
 * status of the claim. */
db_status outbox_flush(db *d, qstash_client *q, const outbox_opts *o, int limit, int *sent, int *failed)
    __attribute__((warn_unused_result));

/* outbox_flush, at most once per retry_s per caller (*last_flush is the
 * caller's own clock), so that healthy requests pay no extra round trip. */
void outbox_flush_due(db *d, qstash_client *q, const outbox_opts *o, time_t *last_flush);

#endif
