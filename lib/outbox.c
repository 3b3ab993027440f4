/* outbox.c - publish pending lots exactly once. */
#include "outbox.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

outbox_opts outbox_opts_from_config(const et_config *cfg, time_t *breaker)
{
    outbox_opts o = { .destination = cfg->track_lot_url,
                      .qstash_retries = (int)cfg->qstash_retries,
                      .retry_s = cfg->outbox_retry_s,
                      .redrive_s = cfg->outbox_redrive_s,
                      .breaker = breaker };
    return o;
}

void outbox_pending_clear(outbox_pending *p)
{
    if (!p)
        return;
    free(p->body);
    memset(p, 0, sizeof *p);
}

void outbox_publish_pending(db *d, qstash_client *q, const outbox_opts *o, outbox_pending *p)
{
    if (p->id[0] && p->body) {
        outbox_row row = { .id = p->id, .lot_id = p->lot_id, .update_number = p->update_number,
                           .dedup_id = p->dedup_id, .body = p->body, .delay_s = p->delay_s };
        (void)outbox_publish(d, q, o, &row);
    }
    outbox_pending_clear(p);
}

int outbox_publish(db *d, qstash_client *q, const outbox_opts *o, const outbox_row *row)
{
    qstash_result res;
    /* QStash failed moments ago: do not make every request wait for its
     * timeout; the row is pending and a flush publishes it later. */
    if (o->breaker && time(NULL) < *o->breaker) {
        log_debug("msg=\"qstash recently failed, lot left in outbox\" lot=%s update=%d", row->lot_id,
                  row->update_number);
        return -1;
    }
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
    if (o->breaker)
        *o->breaker = time(NULL) + o->retry_s;
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
    static const char redrive_sql[] =
        "UPDATE engagement_outbox SET sent_at = NULL, claimed_until = NULL, redrives = redrives + 1,"
        " dedup_id = lot_id || ':' || update_number || ':r' || (redrives + 1), not_before = now()"
        " WHERE id IN (SELECT id FROM engagement_outbox"
        "   WHERE done_at IS NULL AND sent_at IS NOT NULL"
        "   AND not_before < now() - $1::bigint * interval '1 second'"
        "   ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED)"
        " RETURNING lot_id, update_number";
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
    char grace[32];
    snprintf(grace, sizeof grace, "%ld", o->redrive_s);
    const char *rparams[] = { grace, lim };
    db_status st = db_exec(d, &r, redrive_sql, 2, rparams);
    if (st != DB_OK)
        return st;
    for (int i = 0; i < PQntuples(r); i++)
        log_warn("msg=\"update never ran, message sent again\" lot=%s update=%s", PQgetvalue(r, i, 0),
                 PQgetvalue(r, i, 1));
    PQclear(r);
    if (o->breaker && time(NULL) < *o->breaker)
        return DB_OK;
    const char *params[] = { lim, lease };
    st = db_exec(d, &r, claim_sql, 2, params);
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
