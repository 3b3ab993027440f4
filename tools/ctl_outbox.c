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
    outbox_opts o = outbox_opts_from_config(cfg);
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

int ctl_replay(const et_config *cfg, int argc, char **argv)
{
    static const char pick_sql[] =
        "SELECT p.id, p.body, r.zone_id FROM webhook_parked p"
        " JOIN LATERAL (SELECT zone_id FROM twitter_rules"
        "   WHERE external_rule_id = p.rule_id AND is_active ORDER BY created_at LIMIT 1) r ON true"
        " WHERE p.replayed_at IS NULL ORDER BY p.id LIMIT $1::int FOR UPDATE OF p SKIP LOCKED";
    if (need_qstash(cfg, "replay") < 0)
        return 1;
    long limit = option_long(argc, argv, "--limit", 1000);
    char lim[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    webhook_ctx *c = webhook_thread_init(cfg);
    int replayed = 0, bad = 0, rc = 0;
    PGresult *r = NULL;
    if (!c)
        return 1;
    const char *params[] = { lim };
    /* Each parked delivery is stored and marked replayed in one transaction
     * (the row lock keeps two replays from storing it twice). */
    if (db_begin(c->db) != DB_OK || db_exec(c->db, &r, pick_sql, 1, params) != DB_OK) {
        fprintf(stderr, "engagementctl replay: %s\n", db_error(c->db));
        rc = 1;
        goto out;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        const char *id = PQgetvalue(r, i, 0), *body = PQgetvalue(r, i, 1), *zone = PQgetvalue(r, i, 2);
        webhook_payload p;
        char err[256];
        const char *note = "replayed";
        json_t *answer = NULL;
        if (webhook_payload_parse(body, strlen(body), 1000000, &p, err, sizeof err) < 0 ||
            p.kind != WEBHOOK_TWEETS) {
            note = "unparseable";
            bad++;
        } else if (webhook_store(c, &p, zone, &answer) != DB_OK) {
            fprintf(stderr, "engagementctl replay: parked %s: %s\n", id, db_error(c->db));
            webhook_payload_free(&p);
            rc = 1;
            goto out;
        } else {
            replayed++;
            char *text = json_dumps(answer, JSON_COMPACT);
            printf("parked %s -> %s\n", id, text ? text : "?");
            free(text);
        }
        json_decref(answer);
        webhook_payload_free(&p);
        const char *mp[] = { id, note };
        if (db_exec(c->db, NULL, "UPDATE webhook_parked SET replayed_at = now(), replay_note = $2"
                                 " WHERE id = $1::bigint", 2, mp) != DB_OK) {
            rc = 1;
            goto out;
        }
    }
    if (db_commit(c->db) != DB_OK)
        rc = 1;
out:
    if (rc)
        db_rollback(c->db);
    PQclear(r);
    printf("replayed: %d\nunparseable: %d\n", replayed, bad);
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

int ctl_evaluate(int argc, char **argv) { return replay_cli_main(argc, argv); }
