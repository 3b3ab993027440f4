/* ingest.h - the webhook transaction: dedupe, profiles, tweets, tracking
 * rows, entities, rejected tweets and the lot's outbox row, all in one
 * statement (so one round trip, atomic, whatever the batch size). */
#ifndef ET_INGEST_H
#define ET_INGEST_H

#include "db.h"
#include "payload.h"

typedef struct {
    const char *zone_id;
    const char *rule_id;
    const char *lot_id;       /* lot_<unix>_<random> */
    int first_update;         /* updateNumber of the lot's first callback */
    long first_delay_s;       /* delay of that callback */
    long claim_s;             /* the caller publishes the row itself within this lease */
} ingest_opts;

typedef struct {
    size_t created;           /* tweets new in this zone */
    size_t duplicates;        /* already stored in this zone, or repeated in the delivery */
    char outbox_id[24];       /* "" when nothing new (no lot scheduled) */
    char *outbox_body;        /* owned: the lot message, when outbox_id is set */
} ingest_result;

db_status ingest_delivery(db *d, const webhook_payload *p, const ingest_opts *o, ingest_result *out)
    __attribute__((warn_unused_result));
void ingest_result_free(ingest_result *r);   /* accepts NULL */

/* "YYYY-MM-DD HH:MM:SS+00" for a timestamptz parameter. */
void ingest_format_time(time_t t, char out[32]);

#endif
