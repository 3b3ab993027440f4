/* ctl_outbox.c - migrate, flush-outbox, replay, zone-stats. */
#include "ctl.h"
#include "db.h"
#include "log.h"
#include "outbox.h"
#include "payload.h"
#include "webhook.h"
#include "zone_stats.h"
#include "cache.h"
#include "replay.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ctl_option(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static long option_long(int argc, char **argv, const char *name, long def)
{
    const char *v = ctl_option(argc, argv, name);
    long out;
    if (!v)
        return def;
    if (config_parse_long(v, 1, 1000000, &out) < 0) {
        fprintf(stderr, "engagementctl: %s: not a positive integer\n", name);
        exit(2);
    }
    return out;
}

int ctl_migrate(const et_config *cfg, int argc, char **argv)
{
    const char *dir = ctl_option(argc, argv, "--schema");
    if (!dir)
        dir = getenv("ET_SCHEMA_DIR");
    if (!dir)
        dir = ET_SCHEMA_DIR;
    char err[512];
    db *d = db_new(cfg->database_url);
    int n = d ? db_migrate(d, dir, err, sizeof err) : -1;
    db_free(d);
    if (n < 0) {
        fprintf(stderr, "engagementctl migrate: %s\n", d ? err : "out of memory");
        return 1;
    }
    printf("migrations applied: %d\n", n);
    return 0;
}

static int need_qstash(const et_config *cfg, const char *cmd)
{
    if (!cfg->qstash_token[0] || !cfg->app_url[0]) {
        fprintf(stderr, "engagementctl %s: QSTASH_TOKEN and APP_URL must be set\n", cmd);
        return -1;
    }
    return 0;
}

int ctl_flush_outbox(const et_config *cfg, int argc, char **argv)
{
    if (need_qstash(cfg, "flush-outbox") < 0)
        return 1;
    long limit = option_long(argc, argv, "--limit", 1000);
    db *d = db_new(cfg->database_url);
    qstash_client *q = qstash_client_new(cfg->qstash_url, cfg->qstash_token, cfg->qstash_timeout_ms);
    outbox_opts o = outbox_opts_from_config(cfg, NULL);
    int total_sent = 0, total_failed = 0, rc = 0;
    /* Batches of 100 until nothing claimable is left or the limit is hit. */
    while (d && q && total_sent + total_failed < limit) {
        int sent = 0, failed = 0;
        int batch = (int)(limit - total_sent - total_failed < 100 ? limit - total_sent - total_failed : 100);
        if (outbox_flush(d, q, &o, batch, &sent, &failed) != DB_OK) {
            fprintf(stderr, "engagementctl flush-outbox: %s\n", db_error(d));
            rc = 1;
            break;
        }
        total_sent += sent;
        total_failed += failed;
        if (sent + failed < batch)
            break;
    }
    printf("published: %d\nfailed: %d\n", total_sent, total_failed);
    db_free(d);
    qstash_client_free(q);
    return rc ? rc : total_failed ? 1 : 0;
}

/* Store one parked delivery whose rule now exists, in its own transaction
 * (the row lock keeps two replays from storing it twice), and publish its
 * lot after the commit. Returns 1 replayed, 0 nothing left, -1 failure. */
static int replay_one(webhook_ctx *c, const char *skip, int *unparseable, char failed_id[24])
{
    static const char pick_sql[] =
        "SELECT p.id, p.body, r.zone_id FROM webhook_parked p"
        " JOIN LATERAL (SELECT zone_id FROM twitter_rules"
        "   WHERE external_rule_id = p.rule_id AND is_active ORDER BY created_at LIMIT 1) r ON true"
        " WHERE p.replayed_at IS NULL AND p.id <> ALL($1::bigint[])"
        " ORDER BY p.id LIMIT 1 FOR UPDATE OF p SKIP LOCKED";
    PGresult *r = NULL;
    webhook_payload p;
    json_t *answer = NULL;
    char err[256];
    int rc = -1;

    memset(&p, 0, sizeof p);
    const char *params[] = { skip };
    failed_id[0] = '\0';
    if (db_begin(c->db) != DB_OK || db_exec(c->db, &r, pick_sql, 1, params) != DB_OK)
        goto fail;
    if (PQntuples(r) == 0) {
        rc = 0;
        goto fail;   /* nothing to do: just end the transaction */
    }
    const char *id = PQgetvalue(r, 0, 0), *body = PQgetvalue(r, 0, 1), *zone = PQgetvalue(r, 0, 2);
    const char *note = "replayed";
    if (webhook_payload_parse(body, strlen(body), 1000000, &p, err, sizeof err) < 0 ||
        p.kind != WEBHOOK_TWEETS) {
        note = "unparseable";
        (*unparseable)++;
    } else if (webhook_store(c, &p, zone, &answer) != DB_OK) {
        fprintf(stderr, "engagementctl replay: parked %s: %s\n", id, db_error(c->db));
        snprintf(failed_id, 24, "%s", id);
        goto fail;
    }
    const char *mp[] = { id, note };
    if (db_exec(c->db, NULL, "UPDATE webhook_parked SET replayed_at = now(), replay_note = $2"
                             " WHERE id = $1::bigint", 2, mp) != DB_OK ||
        db_commit(c->db) != DB_OK)
        goto fail;
    if (answer) {
        char *text = json_dumps(answer, JSON_COMPACT);
        printf("parked %s -> %s\n", id, text ? text : "?");
        free(text);
    }
    rc = 1;
    webhook_after(c);       /* publish the lot, now that it is committed */
    goto out;
fail:
    db_rollback(c->db);
    outbox_pending_clear(&c->pending);
out:
    json_decref(answer);
    webhook_payload_free(&p);
    PQclear(r);
    return rc;
}

int ctl_replay(const et_config *cfg, int argc, char **argv)
{
    if (need_qstash(cfg, "replay") < 0)
        return 1;
    long limit = option_long(argc, argv, "--limit", 1000);
    webhook_ctx *c = webhook_thread_init(cfg);
    int replayed = 0, unparseable = 0, rc = 0;
    if (!c)
        return 1;
    /* A delivery the database refuses is reported and skipped for the rest
     * of the run, so it cannot hold back the ones behind it. */
    sbuf skip;              /* array literal of the ids skipped: "{7,12}" */
    sbuf_init(&skip);
    sbuf_puts(&skip, "{}");
    for (long i = 0; i < limit && !sbuf_failed(&skip); i++) {
        char failed_id[24];
        int one = replay_one(c, sbuf_cstr(&skip), &unparseable, failed_id);
        if (one == 0)
            break;
        if (one > 0) {
            replayed++;
            continue;
        }
        rc = 1;
        if (!failed_id[0])
            break;          /* the database itself failed */
        skip.len--;         /* drop the closing brace, append, close again */
        if (skip.len > 1)
            sbuf_putc(&skip, ',');
        sbuf_puts(&skip, failed_id);
        sbuf_putc(&skip, '}');
    }
    sbuf_free(&skip);
    printf("replayed: %d\nunparseable: %d\n", replayed - unparseable, unparseable);
    webhook_thread_free(c);
    return rc;
}

int ctl_zone_stats(const et_config *cfg, int argc, char **argv)
{
    const char *zone = ctl_option(argc, argv, "--zone");
    if (!zone || !payload_uuid_valid(zone)) {
        fprintf(stderr, "engagementctl zone-stats: --zone UUID is required\n");
        return 2;
    }
    db *d = db_new(cfg->database_url);
    cache *c = cache_new(cfg->redis_url, cfg->redis_timeout_ms);
    zone_stats s;
    double threshold;
    threshold_source src;
    zone_threshold_opts o = { .percentile = cfg->threshold_percentile, .floor = cfg->threshold_floor,
                              .window_s = cfg->threshold_window_s, .ttl_s = cfg->threshold_ttl_s };
    int rc = 0;
    if (!d || zone_stats_get(d, zone, cfg->threshold_window_s, &s) != DB_OK ||
        zone_threshold(d, c, zone, &o, &threshold, &src, NULL) != DB_OK) {
        fprintf(stderr, "engagementctl zone-stats: %s\n", d ? db_error(d) : "out of memory");
        rc = 1;
    } else {
        printf("zone       %s\nwindow     %ld s\ntweets     %lld\np25        %.2f\np50        %.2f\n"
               "p75        %.2f\nmean       %.2f\nthreshold  %.2f (%s)\n",
               zone, cfg->threshold_window_s, s.count, s.p25, s.p50, s.p75, s.mean, threshold,
               src == THRESHOLD_FROM_CACHE ? "cache" : "database");
    }
    cache_free(c);
    db_free(d);
    return rc;
}

