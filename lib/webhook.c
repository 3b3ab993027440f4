/* webhook.c - authenticate, validate, store, schedule. */
#include "webhook.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "policy.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *webhook_thread_init(const et_config *cfg)
{
    webhook_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->db = db_new(cfg->database_url);
    c->qstash = qstash_client_new(cfg->qstash_url, cfg->qstash_token, cfg->qstash_timeout_ms);
    if (!c->db || !c->qstash) {
        webhook_thread_free(c);
        return NULL;
    }
    return c;
}

void webhook_thread_free(void *ctx)
{
    webhook_ctx *c = ctx;
    if (!c)
        return;
    outbox_pending_clear(&c->pending);
    db_free(c->db);
    qstash_client_free(c->qstash);
    free(c);
}

void webhook_new_lot_id(char *out, size_t outlen)
{
    unsigned char rnd[8];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        memset(rnd, 0, sizeof rnd);   /* uniqueness then rests on the clock */
    snprintf(out, outlen, "lot_%lld_%02x%02x%02x%02x%02x%02x%02x%02x", (long long)time(NULL),
             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
}

db_status webhook_store(webhook_ctx *c, const webhook_payload *p, const char *zone_id, json_t **answer)
{
    const et_config *cfg = c->cfg;
    policy_params pp = config_policy_params(cfg);
    char lot_id[64];
    ingest_result res;

    webhook_new_lot_id(lot_id, sizeof lot_id);
    int first = policy_first_slot(cfg->policy, &pp);
    ingest_opts o = { .zone_id = zone_id,
                      .rule_id = p->rule_id,
                      .lot_id = lot_id,
                      .first_update = first,
                      .first_delay_s = (long)first * cfg->interval_s,
                      .claim_s = cfg->outbox_retry_s };
    log_info("msg=\"processing tweets\" rule=%s zone=%s received=%zu valid=%zu rejected=%zu",
             p->rule_id, zone_id, p->received, p->n_tweets, p->n_rejects);
    db_status st = ingest_delivery(c->db, p, &o, &res);
    if (st != DB_OK)
        return st;

    if (res.outbox_id[0]) {
        outbox_pending *pd = &c->pending;
        outbox_pending_clear(pd);
        snprintf(pd->id, sizeof pd->id, "%s", res.outbox_id);
        snprintf(pd->lot_id, sizeof pd->lot_id, "%s", lot_id);
        snprintf(pd->dedup_id, sizeof pd->dedup_id, "%s", lot_id);
        pd->update_number = first;
        pd->delay_s = o.first_delay_s;
        pd->body = res.outbox_body;     /* taken over */
        res.outbox_body = NULL;
        log_info("msg=\"lot stored\" lot=%s tweets=%zu first_update_in_s=%ld", lot_id, res.created,
                 o.first_delay_s);
    }

    json_t *rejected = json_array();
    for (size_t i = 0; i < p->n_rejects; i++) {
        json_array_append_new(rejected, json_pack("{s:I, s:s}", "index", (json_int_t)p->rejects[i].index,
                                                  "reason", p->rejects[i].reason));
        log_warn("msg=\"tweet rejected\" rule=%s index=%zu reason=\"%s\"", p->rule_id,
                 p->rejects[i].index, p->rejects[i].reason);
    }
    *answer = json_pack("{s:I, s:I, s:I, s:o, s:o}", "received", (json_int_t)p->received,
                        "created", (json_int_t)res.created, "duplicates", (json_int_t)res.duplicates,
                        "rejected", rejected,
                        "lotId", res.outbox_id[0] ? json_string(lot_id) : json_null());
    log_info("msg=\"webhook stored\" rule=%s zone=%s created=%zu duplicates=%zu rejected=%zu lot=%s",
             p->rule_id, zone_id, res.created, res.duplicates, p->n_rejects,
             res.outbox_id[0] ? lot_id : "-");
    ingest_result_free(&res);
    return DB_OK;
}

/* The zone of a rule, "" when unknown. */
static db_status zone_of_rule(db *d, const char *rule_id, char zone[ET_UUID_LEN + 1])
{
    PGresult *r;
    const char *params[] = { rule_id };
    db_status st = db_exec(d, &r,
                           "SELECT zone_id FROM twitter_rules WHERE external_rule_id = $1 AND is_active"
                           " ORDER BY created_at LIMIT 1",
                           1, params);
    if (st != DB_OK)
        return st;
    zone[0] = '\0';
    if (PQntuples(r) == 1)
        snprintf(zone, ET_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return DB_OK;
}

static void answer_db_failure(http_response *resp, db *d, db_status st)
{
    if (st == DB_FAILED) {
        log_error("msg=\"database error\" error=\"%s\"", db_error(d));
        http_error(resp, 500, "internal", "database error");
        return;
    }
    log_warn("msg=\"database unavailable, asking the sender to retry\" error=\"%s\"", db_error(d));
    http_error(resp, 503, "unavailable", "database unavailable, retry later");
    resp->retry_after_s = 5;
}

void webhook_handle(void *ctx, const http_request *req, http_response *resp)
{
    webhook_ctx *c = ctx;
    const et_config *cfg = c->cfg;
    webhook_payload p;
    char err[256], zone[ET_UUID_LEN + 1];
    json_t *answer = NULL;

    memset(&p, 0, sizeof p);
    bool key_ok = http_secret_equal(http_param(req, "HTTP_X_API_KEY"), cfg->twitter_api_key);
    int perr = webhook_payload_parse(req->body, req->body_len, (size_t)cfg->max_tweets, &p, err, sizeof err);

    /* The upstream's URL-validation probe may come without the key. */
    if (perr == 0 && p.kind == WEBHOOK_IGNORED) {
        log_info("msg=\"webhook probe or ignored event\" event_type=%s",
                 p.event_type ? p.event_type : "-");
        http_json(resp, 200, json_pack("{s:b, s:s?}", "ok", 1, "ignored", p.event_type));
        goto out;
    }
    if (!key_ok) {
        log_warn("msg=\"webhook refused: bad or missing X-API-Key\"");
        http_error(resp, 401, "unauthorized", "missing or invalid X-API-Key");
        goto out;
    }
    if (perr && strcmp(err, TWEET_ERR_NOMEM) == 0) {
        log_error("msg=\"out of memory while parsing a delivery\"");
        http_error(resp, 503, "unavailable", "server out of memory, retry later");
        resp->retry_after_s = 5;
        goto out;
    }
    if (perr) {
        log_warn("msg=\"webhook refused: bad payload\" error=\"%s\"", err);
        http_error(resp, 400, "bad_payload", "%s", err);
        goto out;
    }
    log_info("msg=\"webhook received\" rule=%s tweets=%zu", p.rule_id, p.received);

    db_status st = zone_of_rule(c->db, p.rule_id, zone);
    if (st != DB_OK) {
        answer_db_failure(resp, c->db, st);
        goto out;
    }
    if (!zone[0]) {
        /* Unknown rule: keep the delivery as it came, replay it later. */
        PGresult *r;
        const char *params[] = { p.rule_id, req->body };
        st = db_exec(c->db, &r, "INSERT INTO webhook_parked (rule_id, body) VALUES ($1, $2) RETURNING id",
                     2, params);
        if (st != DB_OK) {
            answer_db_failure(resp, c->db, st);
            goto out;
        }
        log_warn("msg=\"unknown rule, delivery parked\" rule=%s parked_id=%s tweets=%zu", p.rule_id,
                 PQgetvalue(r, 0, 0), p.received);
        http_json(resp, 202, json_pack("{s:s, s:s, s:I, s:I}", "status", "parked", "reason",
                                       "unknown rule_id", "parkedId",
                                       (json_int_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10), "received",
                                       (json_int_t)p.received));
        PQclear(r);
        goto out;
    }

    st = webhook_store(c, &p, zone, &answer);
    if (st != DB_OK) {
        answer_db_failure(resp, c->db, st);
        goto out;
    }
    http_json(resp, 200, answer);
out:
    webhook_payload_free(&p);
}

/* A failed publish leaves the lot pending in the outbox: it is stored and
 * scheduled, the answer (already sent) was right. */
void webhook_after(void *ctx)
{
    webhook_ctx *c = ctx;
    outbox_opts o = outbox_opts_from_config(c->cfg, &c->qstash_breaker);
    outbox_publish_pending(c->db, c->qstash, &o, &c->pending);
    outbox_flush_due(c->db, c->qstash, &o, &c->last_flush);
}
