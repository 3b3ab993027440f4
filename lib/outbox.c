/* outbox.c - publish pending lots exactly once. */
#include "outbox.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

outbox_opts outbox_opts_from_config(const et_config *cfg)
{
    outbox_opts o = { .destination = cfg->track_lot_url,
                      .qstash_retries = (int)cfg->qstash_retries,
                      .retry_s = cfg->outbox_retry_s };
    return o;
}

int outbox_publish(db *d, qstash_client *q, const outbox_opts *o, const outbox_row *row)
{
    qstash_result res;
    int rc = qstash_publish(q, o->destination, row->body, strlen(row->body), row->delay_s,
                            row->dedup_id, o->qstash_retries, &res);
    db_status st;
    if (rc == 0) {
        const char *params[] = { row->id, res.message_id };
        st = db_exec(d, NULL,
                     "UPDATE engagement_outbox SET sent_at = now(), message_id = $2,"
                     " attempts = attempts + 1, last_error = NULL, claimed_until = NULL"
                     " WHERE id = $1::bigint",
                     2, params);
        log_info("msg=\"scheduled lot\" lot=%s update=%d delay_s=%ld message=%s%s", row->lot_id,
                 row->update_number, row->delay_s, res.message_id,
                 res.deduplicated ? " deduplicated=true" : "");
        if (st != DB_OK)
            /* Published but not marked: a later flush publishes it again
             * under the same deduplication id, which QStash drops. */
            log_warn("msg=\"outbox row published but not marked sent\" lot=%s error=\"%s\"",
                     row->lot_id, db_error(d));
        return 0;
    }
    char err[320], retry[32];
    snprintf(err, sizeof err, "HTTP %ld: %s", res.http_status, res.error);
    snprintf(retry, sizeof retry, "%ld", res.retry_after_s > o->retry_s ? res.retry_after_s : o->retry_s);
    const char *params[] = { row->id, err, retry };
    st = db_exec(d, NULL,
                 "UPDATE engagement_outbox SET attempts = attempts + 1, last_error = $2,"
                 " claimed_until = now() + $3::bigint * interval '1 second'"
                 " WHERE id = $1::bigint AND sent_at IS NULL",
                 3, params);
    (void)st;
    log_warn("msg=\"publish failed, lot kept in outbox\" lot=%s update=%d error=\"%s\"", row->lot_id,
             row->update_number, err);
    return -1;
}

db_status outbox_flush(db *d, qstash_client *q, const outbox_opts *o, int limit, int *sent, int *failed)
{
    static const char claim_sql[] =
        "UPDATE engagement_outbox SET claimed_until = now() + $2::bigint * interval '1 second'"
        " WHERE id IN (SELECT id FROM engagement_outbox"
        "   WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())"
        "   ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
        " RETURNING id, lot_id, update_number, dedup_id, body,"
        "   greatest(0, ceil(extract(epoch FROM not_before - now())))::bigint";
    char lim[16], lease[32];
    PGresult *r;
    *sent = *failed = 0;
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(lease, sizeof lease, "%ld", o->retry_s);
    const char *params[] = { lim, lease };
    db_status st = db_exec(d, &r, claim_sql, 2, params);
    if (st != DB_OK)
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        outbox_row row = {
            .id = PQgetvalue(r, i, 0),
            .lot_id = PQgetvalue(r, i, 1),
            .update_number = atoi(PQgetvalue(r, i, 2)),
            .dedup_id = PQgetvalue(r, i, 3),
            .body = PQgetvalue(r, i, 4),
            .delay_s = atol(PQgetvalue(r, i, 5)),
        };
        if (outbox_publish(d, q, o, &row) == 0)
            (*sent)++;
        else
            (*failed)++;
    }
    PQclear(r);
    return DB_OK;
}

void outbox_flush_due(db *d, qstash_client *q, const outbox_opts *o, time_t *last_flush)
{
    enum { FLUSH_BATCH = 10 };
    time_t now = time(NULL);
    if (now - *last_flush < o->retry_s)
        return;
    *last_flush = now;
    int sent = 0, failed = 0;
    if (outbox_flush(d, q, o, FLUSH_BATCH, &sent, &failed) == DB_OK && (sent || failed))
        log_info("msg=\"outbox flushed\" sent=%d failed=%d", sent, failed);
}
