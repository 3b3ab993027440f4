/* ctl_report.c - report: what was stored, scheduled, fetched and stopped,
 * the API economy against blind polling, and the monitoring queries of
 * the operators' dashboards. The figures are gathered into one JSON object,
 * printed as is with --json or rendered as plain text.
 *
 * Every statement is a fixed text with parameters; the zone filter is
 * "($1::uuid IS NULL OR ... = $1::uuid)" so one text serves both forms.
 * A report may scan: these are aggregates run by an operator, not the
 * request path. */
#include "ctl.h"
#include "db.h"
#include "payload.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The three monitoring queries, exactly as the operators' dashboards run them. */
static const struct {
    const char *key, *title, *sql;
} monitoring[] = {
    { "snapshots_per_hour", "snapshots per hour, last 24 h",
      "SELECT DATE_TRUNC('hour', snapshot_at) AS hour, COUNT(*) AS snapshots\n"
      "FROM twitter_engagement_history\n"
      "WHERE snapshot_at > NOW() - INTERVAL '24 hours'\n"
      "GROUP BY 1 ORDER BY 1 DESC;" },
    { "tiers", "tiers",
      "SELECT tier, COUNT(*) AS count, AVG(update_count) AS avg_updates\n"
      "FROM twitter_engagement_tracking GROUP BY tier;" },
    { "stopped_early", "stopped before the last update",
      "SELECT tier, update_count, COUNT(*) AS count\n"
      "FROM twitter_engagement_tracking\n"
      "WHERE tier = 'cold' AND update_count < 6\n"
      "GROUP BY tier, update_count ORDER BY update_count;" },
};

static const char *const tiers[] = { "ultra_hot", "hot", "warm", "cold" };

typedef struct {
    db *d;
    const et_config *cfg;
    const char *zone;          /* NULL: all zones */
    json_t *rep;               /* the figures */
    bool oom;
} report;

/* ---- helpers ------------------------------------------------------------ */

static void put(report *rp, json_t *obj, const char *key, json_t *v)
{
    if (!obj || json_object_set_new(obj, key, v) < 0)
        rp->oom = true;
}

static void put_int(report *rp, json_t *obj, const char *key, long long v)
{
    put(rp, obj, key, json_integer((json_int_t)v));
}

static long long cell_ll(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static long long get_ll(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static double get_real(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* Runs sql with the zone as $1 (and an optional $2); *r is the result. */
static db_status run(report *rp, PGresult **r, const char *sql, const char *p2)
{
    const char *params[] = { rp->zone, p2 };
    return db_exec(rp->d, r, sql, p2 ? 2 : 1, params);
}

/* ---- gathering ---------------------------------------------------------- */

static db_status gather_tweets(report *rp)
{
    static const char sql[] =
        "SELECT z.id::text, z.name, count(t.id)"
        " FROM zones z LEFT JOIN twitter_tweets t ON t.zone_id = z.id"
        " WHERE ($1::uuid IS NULL OR z.id = $1::uuid)"
        " GROUP BY z.id, z.name ORDER BY count(t.id) DESC, z.name, z.id";
    PGresult *r = NULL;
    db_status st = run(rp, &r, sql, NULL);
    if (st != DB_OK)
        return st;
    json_t *zones = json_array();
    long long total = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *z = json_object();
        put(rp, z, "zone_id", json_string(PQgetvalue(r, i, 0)));
        put(rp, z, "name", json_string(PQgetvalue(r, i, 1)));
        put_int(rp, z, "tweets", cell_ll(r, i, 2));
        total += cell_ll(r, i, 2);
        if (!zones || json_array_append_new(zones, z) < 0)
            rp->oom = true;
    }
    PQclear(r);
    put_int(rp, rp->rep, "tweets", total);
    put(rp, rp->rep, "zones", zones);
    return DB_OK;
}

static db_status gather_deliveries(report *rp)
{
    static const char rejected_sql[] =
        "SELECT count(*) FROM webhook_rejected_tweets WHERE ($1::uuid IS NULL OR zone_id = $1::uuid)";
    /* A parked delivery belongs to a zone once a rule maps its rule_id there. */
    static const char parked_sql[] =
        "SELECT count(*) FILTER (WHERE replayed_at IS NULL),"
        " count(*) FILTER (WHERE replayed_at IS NOT NULL)"
        " FROM webhook_parked p WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM twitter_rules r"
        "  WHERE r.external_rule_id = p.rule_id AND r.zone_id = $1::uuid))";
    PGresult *r = NULL;
    db_status st = run(rp, &r, rejected_sql, NULL);
    if (st != DB_OK)
        return st;
    put_int(rp, rp->rep, "rejected", cell_ll(r, 0, 0));
    PQclear(r);
    if ((st = run(rp, &r, parked_sql, NULL)) != DB_OK)
        return st;
    put_int(rp, rp->rep, "parked_pending", cell_ll(r, 0, 0));
    put_int(rp, rp->rep, "parked_replayed", cell_ll(r, 0, 1));
    PQclear(r);
    return DB_OK;
}

static db_status gather_outbox(report *rp)
{
    /* The outbox row has no zone column; its body names the zone. */
#define OUTBOX_ZONE " ($1::uuid IS NULL OR body::jsonb->>'zoneId' = $1::uuid::text)"
    static const char totals_sql[] =
        "SELECT count(DISTINCT lot_id), count(*), count(*) FILTER (WHERE sent_at IS NOT NULL),"
        " count(*) FILTER (WHERE sent_at IS NULL),"
        " COALESCE(floor(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE sent_at IS NULL))),"
        "  0)::bigint"
        " FROM engagement_outbox WHERE" OUTBOX_ZONE;
    static const char by_update_sql[] =
        "SELECT update_number, count(*), count(*) FILTER (WHERE sent_at IS NOT NULL),"
        " count(*) FILTER (WHERE sent_at IS NULL), COALESCE(sum(tweet_count), 0)"
        " FROM engagement_outbox WHERE" OUTBOX_ZONE
        " GROUP BY update_number ORDER BY update_number";
#undef OUTBOX_ZONE
    PGresult *r = NULL;
    db_status st = run(rp, &r, totals_sql, NULL);
    if (st != DB_OK)
        return st;
    put_int(rp, rp->rep, "lots_scheduled", cell_ll(r, 0, 0));
    put_int(rp, rp->rep, "outbox_messages", cell_ll(r, 0, 1));
    put_int(rp, rp->rep, "outbox_sent", cell_ll(r, 0, 2));
    put_int(rp, rp->rep, "outbox_pending", cell_ll(r, 0, 3));
    put_int(rp, rp->rep, "outbox_oldest_pending_s", cell_ll(r, 0, 4));
    PQclear(r);
    if ((st = run(rp, &r, by_update_sql, NULL)) != DB_OK)
        return st;
    json_t *rows = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = json_object();
        put_int(rp, o, "update_number", cell_ll(r, i, 0));
        put_int(rp, o, "messages", cell_ll(r, i, 1));
        put_int(rp, o, "sent", cell_ll(r, i, 2));
        put_int(rp, o, "pending", cell_ll(r, i, 3));
        put_int(rp, o, "tweets", cell_ll(r, i, 4));
        if (!rows || json_array_append_new(rows, o) < 0)
            rp->oom = true;
    }
    PQclear(r);
    put(rp, rp->rep, "outbox_by_update", rows);
    return DB_OK;
}

/* Lots as the tracking rows see them: completed when every tweet is cold.
 * Also what blind polling would have cost in upstream calls: every lot
 * fetched at every update, in batches of the configured size. */
static db_status gather_lots(report *rp)
{
    static const char sql[] =
        "SELECT count(*), count(*) FILTER (WHERE followed = 0), count(*) FILTER (WHERE followed > 0),"
        " COALESCE(sum((n + $2::int - 1) / $2::int), 0)"
        " FROM (SELECT tr.lot_id, count(*) AS n, count(*) FILTER (WHERE tr.tier <> 'cold') AS followed"
        "  FROM twitter_engagement_tracking tr JOIN twitter_tweets t ON t.id = tr.tweet_db_id"
        "  WHERE tr.lot_id IS NOT NULL AND ($1::uuid IS NULL OR t.zone_id = $1::uuid)"
        "  GROUP BY tr.lot_id) l";
    char batch[24];
    snprintf(batch, sizeof batch, "%ld", rp->cfg->upstream_batch);
    PGresult *r = NULL;
    db_status st = run(rp, &r, sql, batch);
    if (st != DB_OK)
        return st;
    put_int(rp, rp->rep, "lots", cell_ll(r, 0, 0));
    put_int(rp, rp->rep, "lots_completed", cell_ll(r, 0, 1));
    put_int(rp, rp->rep, "lots_pending", cell_ll(r, 0, 2));
    put_int(rp, rp->rep, "blind_upstream_calls", cell_ll(r, 0, 3) * rp->cfg->max_updates);
    PQclear(r);
    return DB_OK;
}

static db_status gather_snapshots(report *rp)
{
    static const char hist_sql[] =
        "SELECT n, count(*) FROM (SELECT count(h.tweet_id) AS n"
        "  FROM twitter_tweets t LEFT JOIN twitter_engagement_history h ON h.tweet_id = t.id"
        "  WHERE ($1::uuid IS NULL OR t.zone_id = $1::uuid) GROUP BY t.id) s"
        " GROUP BY n ORDER BY n";
    static const char rows_sql[] =
        "SELECT count(*) FROM twitter_engagement_history h"
        " WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM twitter_tweets t"
        "  WHERE t.id = h.tweet_id AND t.zone_id = $1::uuid))";
    PGresult *r = NULL;
    db_status st = run(rp, &r, hist_sql, NULL);
    if (st != DB_OK)
        return st;
    /* Every bucket 0..max_updates appears, then any beyond (a policy
     * with more slots than the current setting). */
    json_t *hist = json_object();
    char key[24];
    for (long k = 0; k <= rp->cfg->max_updates; k++) {
        snprintf(key, sizeof key, "%ld", k);
        put_int(rp, hist, key, 0);
    }
    long long tweets = 0, fetches = 0, without = 0, min = -1, max = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        long long n = cell_ll(r, i, 0), c = cell_ll(r, i, 1);
        snprintf(key, sizeof key, "%lld", n);
        put_int(rp, hist, key, c);
        tweets += c;
        fetches += n * c;
        if (n == 0)
            without = c;
        if (min < 0)
            min = n;
        max = n;
    }
    PQclear(r);
    put(rp, rp->rep, "snapshots_per_tweet", hist);
    put_int(rp, rp->rep, "tweets_without_snapshot", without);
    put_int(rp, rp->rep, "tweet_fetches", fetches);
    put(rp, rp->rep, "snapshots_avg", json_real(tweets ? (double)fetches / (double)tweets : 0));
    put_int(rp, rp->rep, "snapshots_min", min < 0 ? 0 : min);
    put_int(rp, rp->rep, "snapshots_max", max);
    if ((st = run(rp, &r, rows_sql, NULL)) != DB_OK)
        return st;
    put_int(rp, rp->rep, "snapshots", cell_ll(r, 0, 0));
    PQclear(r);
    return DB_OK;
}

static db_status gather_tracking(report *rp)
{
    static const char tiers_sql[] =
        "SELECT tr.tier, count(*) FROM twitter_engagement_tracking tr"
        " JOIN twitter_tweets t ON t.id = tr.tweet_db_id"
        " WHERE ($1::uuid IS NULL OR t.zone_id = $1::uuid) GROUP BY tr.tier";
    static const char reasons_sql[] =
        "SELECT COALESCE(tr.stop_reason, '(none)'), count(*) FROM twitter_engagement_tracking tr"
        " JOIN twitter_tweets t ON t.id = tr.tweet_db_id"
        " WHERE tr.tier = 'cold' AND ($1::uuid IS NULL OR t.zone_id = $1::uuid)"
        " GROUP BY 1 ORDER BY 2 DESC, 1";
    PGresult *r = NULL;
    db_status st = run(rp, &r, tiers_sql, NULL);
    if (st != DB_OK)
        return st;
    json_t *t = json_object();
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++)
        put_int(rp, t, tiers[i], 0);
    for (int i = 0; i < PQntuples(r); i++)
        put_int(rp, t, PQgetvalue(r, i, 0), cell_ll(r, i, 1));
    PQclear(r);
    put_int(rp, rp->rep, "stopped", (long long)json_integer_value(json_object_get(t, "cold")));
    put(rp, rp->rep, "tiers", t);
    if ((st = run(rp, &r, reasons_sql, NULL)) != DB_OK)
        return st;
    json_t *reasons = json_object();
    for (int i = 0; i < PQntuples(r); i++)
        put_int(rp, reasons, PQgetvalue(r, i, 0), cell_ll(r, i, 1));
    PQclear(r);
    put(rp, rp->rep, "stop_reasons", reasons);
    return DB_OK;
}

static db_status gather_economy(report *rp)
{
    static const char sql[] =
        "SELECT COALESCE(sum((summary->>'upstreamCalls')::int) FILTER (WHERE done_at IS NOT NULL), 0),"
        " COALESCE(sum((summary->>'tweetsFetched')::int) FILTER (WHERE done_at IS NOT NULL), 0),"
        " count(*) FILTER (WHERE done_at IS NOT NULL), count(*) FILTER (WHERE done_at IS NULL)"
        " FROM engagement_lot_updates WHERE ($1::uuid IS NULL OR zone_id = $1::uuid)";
    PGresult *r = NULL;
    db_status st = run(rp, &r, sql, NULL);
    if (st != DB_OK)
        return st;
    put_int(rp, rp->rep, "upstream_calls", cell_ll(r, 0, 0));
    put_int(rp, rp->rep, "upstream_tweets_returned", cell_ll(r, 0, 1));
    put_int(rp, rp->rep, "lot_updates_done", cell_ll(r, 0, 2));
    put_int(rp, rp->rep, "lot_updates_in_progress", cell_ll(r, 0, 3));
    PQclear(r);

    long long tweets = get_ll(rp->rep, "tweets"), fetches = get_ll(rp->rep, "tweet_fetches");
    long long blind = tweets * rp->cfg->max_updates;
    long long calls = get_ll(rp->rep, "upstream_calls"), blind_calls = get_ll(rp->rep, "blind_upstream_calls");
    put_int(rp, rp->rep, "max_updates", rp->cfg->max_updates);
    put_int(rp, rp->rep, "blind_fetches", blind);
    put(rp, rp->rep, "fetch_saving_pct", json_real(blind ? 100.0 * (1.0 - (double)fetches / (double)blind) : 0));
    put(rp, rp->rep, "call_saving_pct",
        json_real(blind_calls ? 100.0 * (1.0 - (double)calls / (double)blind_calls) : 0));
    return DB_OK;
}

/* A cell of a monitoring query as JSON: integers and numerics as numbers. */
static json_t *cell_json(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    const char *v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
    case 20: case 21: case 23:              /* int8, int2, int4 */
        return json_integer((json_int_t)strtoll(v, NULL, 10));
    case 700: case 701: case 1700:          /* float4, float8, numeric */
        return json_real(strtod(v, NULL));
    default:
        return json_string(v);
    }
}

static db_status gather_monitoring(report *rp)
{
    json_t *all = json_object();
    for (size_t q = 0; q < sizeof monitoring / sizeof monitoring[0]; q++) {
        PGresult *r = NULL;
        db_status st = db_exec(rp->d, &r, monitoring[q].sql, 0, NULL);
        if (st != DB_OK) {
            json_decref(all);
            return st;
        }
        json_t *m = json_object(), *cols = json_array(), *rows = json_array();
        for (int c = 0; c < PQnfields(r); c++)
            if (!cols || json_array_append_new(cols, json_string(PQfname(r, c))) < 0)
                rp->oom = true;
        for (int i = 0; i < PQntuples(r); i++) {
            json_t *row = json_array();
            for (int c = 0; c < PQnfields(r); c++)
                if (!row || json_array_append_new(row, cell_json(r, i, c)) < 0)
                    rp->oom = true;
            if (!rows || json_array_append_new(rows, row) < 0)
                rp->oom = true;
        }
        PQclear(r);
        put(rp, m, "title", json_string(monitoring[q].title));
        put(rp, m, "columns", cols);
        put(rp, m, "rows", rows);
        put(rp, all, monitoring[q].key, m);
    }
    put(rp, rp->rep, "monitoring", all);
    return DB_OK;
}

/* ---- the text form ------------------------------------------------------ */

static double pct(long long part, long long whole) { return whole ? 100.0 * (double)part / (double)whole : 0; }

/* A cell as the text table shows it (numbers from numeric columns with 2 decimals). */
static void cell_text(const json_t *v, char *out, size_t len)
{
    if (json_is_integer(v))
        snprintf(out, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, len, "%.2f", json_real_value(v));
    else if (json_is_string(v))
        snprintf(out, len, "%s", json_string_value(v));
    else
        snprintf(out, len, "-");
}

static void print_table(const json_t *m)
{
    const json_t *cols = json_object_get(m, "columns"), *rows = json_object_get(m, "rows");
    size_t nc = json_array_size(cols), w[8] = { 0 };
    char cell[128];
    if (nc > 8)
        nc = 8;
    for (size_t c = 0; c < nc; c++)
        w[c] = strlen(json_string_value(json_array_get(cols, c)));
    for (size_t i = 0; i < json_array_size(rows); i++)
        for (size_t c = 0; c < nc; c++) {
            cell_text(json_array_get(json_array_get(rows, i), c), cell, sizeof cell);
            if (strlen(cell) > w[c])
                w[c] = strlen(cell);
        }
    /* Columns padded to their widest cell, the last one not padded. */
    printf("\n  %s\n   ", json_string_value(json_object_get(m, "title")));
    for (size_t c = 0; c < nc; c++)
        printf(" %-*s", c + 1 < nc ? (int)w[c] : 0, json_string_value(json_array_get(cols, c)));
    printf("\n");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        printf("   ");
        for (size_t c = 0; c < nc; c++) {
            cell_text(json_array_get(json_array_get(rows, i), c), cell, sizeof cell);
            printf(" %-*s", c + 1 < nc ? (int)w[c] : 0, cell);
        }
        printf("\n");
    }
    if (json_array_size(rows) == 0)
        printf("    (no rows)\n");
}

static void print_text(const report *rp, const char *zone_name)
{
    const json_t *j = rp->rep;
    const char *key;
    json_t *v;
    long long tweets = get_ll(j, "tweets");

    if (rp->zone)
        printf("engagement report: zone %s (%s)\n", zone_name, rp->zone);
    else
        printf("engagement report: all zones\n");

    printf("\ntweets\n  stored             %lld\n", tweets);
    if (!rp->zone) {
        const json_t *zones = json_object_get(j, "zones");
        for (size_t i = 0; i < json_array_size(zones); i++) {
            const json_t *z = json_array_get(zones, i);
            printf("    %-36s %8lld  %s\n", json_string_value(json_object_get(z, "zone_id")),
                   get_ll(z, "tweets"), json_string_value(json_object_get(z, "name")));
        }
    }
    printf("  rejected           %lld\n", get_ll(j, "rejected"));
    printf("  parked deliveries  %lld pending, %lld replayed\n", get_ll(j, "parked_pending"),
           get_ll(j, "parked_replayed"));

    printf("\nlots\n  tracked            %lld (%lld completed, %lld with a tweet still followed)\n",
           get_ll(j, "lots"), get_ll(j, "lots_completed"), get_ll(j, "lots_pending"));
    printf("  scheduled          %lld lots, %lld messages: %lld sent, %lld pending",
           get_ll(j, "lots_scheduled"), get_ll(j, "outbox_messages"), get_ll(j, "outbox_sent"),
           get_ll(j, "outbox_pending"));
    if (get_ll(j, "outbox_pending"))
        printf(" (oldest %lld s)", get_ll(j, "outbox_oldest_pending_s"));
    printf("\n  lot updates        %lld done, %lld in progress\n", get_ll(j, "lot_updates_done"),
           get_ll(j, "lot_updates_in_progress"));
    const json_t *by = json_object_get(j, "outbox_by_update");
    if (json_array_size(by)) {
        printf("    update  messages      sent   pending    tweets\n");
        for (size_t i = 0; i < json_array_size(by); i++) {
            const json_t *o = json_array_get(by, i);
            printf("    %6lld  %8lld  %8lld  %8lld  %8lld\n", get_ll(o, "update_number"),
                   get_ll(o, "messages"), get_ll(o, "sent"), get_ll(o, "pending"), get_ll(o, "tweets"));
        }
    }

    printf("\nsnapshots\n  stored             %lld\n", get_ll(j, "snapshots"));
    printf("  per tweet          avg %.2f, min %lld, max %lld; %lld tweets without any\n",
           get_real(j, "snapshots_avg"), get_ll(j, "snapshots_min"), get_ll(j, "snapshots_max"),
           get_ll(j, "tweets_without_snapshot"));
    const json_t *hist = json_object_get(j, "snapshots_per_tweet");
    json_object_foreach((json_t *)hist, key, v) {
        long long n = (long long)json_integer_value(v);
        int bar = tweets ? (int)(40.0 * (double)n / (double)tweets + 0.5) : 0;
        printf("    %3s snapshots %8lld  %5.1f %%%s", key, n, pct(n, tweets), bar ? "  " : "");
        for (int b = 0; b < bar; b++)
            putchar('#');
        putchar('\n');
    }

    printf("\ntracking\n  tiers             ");
    json_object_foreach(json_object_get(j, "tiers"), key, v)
        printf(" %s %lld", key, (long long)json_integer_value(v));
    printf("\n  stopped            %lld\n", get_ll(j, "stopped"));
    json_object_foreach(json_object_get(j, "stop_reasons"), key, v)
        printf("    %-28s %8lld\n", key, (long long)json_integer_value(v));

    long long fetches = get_ll(j, "tweet_fetches"), blind = get_ll(j, "blind_fetches");
    printf("\nAPI economy (blind = every tweet polled %lld times)\n", get_ll(j, "max_updates"));
    printf("  tweet fetches      %lld (blind %lld: %lld tweets x %lld), saving %.1f %%\n", fetches, blind,
           tweets, get_ll(j, "max_updates"), get_real(j, "fetch_saving_pct"));
    printf("  upstream calls     %lld (blind %lld in batches of %ld), saving %.1f %%\n",
           get_ll(j, "upstream_calls"), get_ll(j, "blind_upstream_calls"), rp->cfg->upstream_batch,
           get_real(j, "call_saving_pct"));
    printf("  tweets returned    %lld (what the upstream bills)\n", get_ll(j, "upstream_tweets_returned"));

    printf("\nmonitoring queries (as on the operators' dashboards, all zones)\n");
    const json_t *mon = json_object_get(j, "monitoring");
    for (size_t q = 0; q < sizeof monitoring / sizeof monitoring[0]; q++)
        print_table(json_object_get(mon, monitoring[q].key));
}

/* ---- the command -------------------------------------------------------- */

static int report_usage(const char *why)
{
    fprintf(stderr, "engagementctl report: %s\nusage: engagementctl report [--zone UUID] [--json]\n", why);
    return 2;
}

int ctl_report(const et_config *cfg, int argc, char **argv)
{
    static db_status (*const sections[])(report *) = {
        gather_tweets, gather_deliveries, gather_outbox, gather_lots,
        gather_snapshots, gather_tracking, gather_economy, gather_monitoring,
    };
    report rp = { .cfg = cfg };
    bool as_json = false;
    char *zone_name = NULL, *text = NULL;
    PGresult *r = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            as_json = true;
        else if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc)
            rp.zone = argv[++i];
        else
            return report_usage("unexpected argument");
    }
    if (rp.zone && !payload_uuid_valid(rp.zone))
        return report_usage("--zone: not a UUID");

    if (!(rp.d = db_new(cfg->database_url)) || !(rp.rep = json_object())) {
        fprintf(stderr, "engagementctl report: out of memory\n");
        goto out;
    }
    if (rp.zone) {
        const char *p[] = { rp.zone };
        if (db_exec(rp.d, &r, "SELECT name FROM zones WHERE id = $1::uuid", 1, p) != DB_OK)
            goto dberr;
        if (PQntuples(r) == 0) {
            fprintf(stderr, "engagementctl report: no zone %s\n", rp.zone);
            goto out;
        }
        if (!(zone_name = strdup(PQgetvalue(r, 0, 0)))) {
            fprintf(stderr, "engagementctl report: out of memory\n");
            goto out;
        }
    }
    put(&rp, rp.rep, "zone", rp.zone ? json_string(rp.zone) : json_null());
    /* One snapshot of the database for every figure. */
    if (db_exec(rp.d, NULL, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) != DB_OK)
        goto dberr;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (sections[i](&rp) != DB_OK)
            goto dberr;
    if (db_commit(rp.d) != DB_OK)
        goto dberr;
    if (rp.oom) {
        fprintf(stderr, "engagementctl report: out of memory\n");
        goto out;
    }
    if (as_json) {
        if (!(text = json_dumps(rp.rep, JSON_INDENT(2) | JSON_REAL_PRECISION(6)))) {
            fprintf(stderr, "engagementctl report: out of memory\n");
            goto out;
        }
        puts(text);
    } else {
        print_text(&rp, zone_name);
    }
    if (fflush(stdout) != 0) {
        perror("engagementctl report: stdout");
        goto out;
    }
    rc = 0;
    goto out;
dberr:
    fprintf(stderr, "engagementctl report: %s\n", db_error(rp.d));
    db_rollback(rp.d);
out:
    PQclear(r);
    free(text);
    free(zone_name);
    json_decref(rp.rep);
    db_free(rp.d);
    return rc;
}
