/* ctl_plot.c - plot: engagement curves from twitter_engagement_history as
 * an SVG chart (lib/svg_chart). x = hours since the tweet was collected,
 * y = total engagement; the webhook's value is the point at hour 0. */
#include "ctl.h"
#include "db.h"
#include "payload.h"
#include "sbuf.h"
#include "svg_chart.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tweets to draw: the one asked for, or the top N (of a zone or of
 * all) by their latest snapshot. $1 zone, $2 tweet, $3 limit. */
static const char PICK_SQL[] =
    "SELECT t.id::text, t.tweet_id, tr.initial_engagement, last.total_engagement, z.name"
    " FROM twitter_tweets t JOIN zones z ON z.id = t.zone_id"
    " LEFT JOIN twitter_engagement_tracking tr ON tr.tweet_db_id = t.id"
    " LEFT JOIN LATERAL (SELECT h.total_engagement FROM twitter_engagement_history h"
    "  WHERE h.tweet_id = t.id ORDER BY h.snapshot_at DESC, h.update_number DESC LIMIT 1) last ON true"
    " WHERE ($1::uuid IS NULL OR t.zone_id = $1::uuid) AND ($2::uuid IS NULL OR t.id = $2::uuid)"
    "  AND ($2::uuid IS NOT NULL OR last.total_engagement IS NOT NULL)"
    " ORDER BY last.total_engagement DESC NULLS LAST, t.tweet_id, t.id LIMIT $3::int";

/* Their snapshots, grouped in the order of $1 (served by the
 * (tweet_id, update_number) index). x is in tracking intervals ($2 s), so a
 * compressed clock (the local stack) still reads as hours. */
static const char POINTS_SQL[] =
    "SELECT h.tweet_id::text, EXTRACT(EPOCH FROM h.snapshot_at - t.collected_at) / $2::float8,"
    " h.total_engagement"
    " FROM twitter_engagement_history h JOIN twitter_tweets t ON t.id = h.tweet_id"
    " WHERE h.tweet_id = ANY($1::uuid[])"
    " ORDER BY array_position($1::uuid[], h.tweet_id), h.snapshot_at, h.update_number";

static int plot_usage(const char *why)
{
    fprintf(stderr, "engagementctl plot: %s\n"
                    "usage: engagementctl plot [--zone UUID | --tweet UUID] [--top N] [--out FILE.svg]\n",
            why);
    return 2;
}

/* Writes the document to path ("-" or NULL: stdout). Returns 0 or -1. */
static int write_out(const char *path, const char *text, size_t len)
{
    bool to_stdout = !path || strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "engagementctl plot: %s: ", path);
        perror(NULL);
        return -1;
    }
    int rc = fwrite(text, 1, len, f) == len ? 0 : -1;
    if (to_stdout ? fflush(f) != 0 : fclose(f) != 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "engagementctl plot: cannot write %s\n", to_stdout ? "stdout" : path);
    return rc;
}

int ctl_plot(const et_config *cfg, int argc, char **argv)
{
    const char *zone = NULL, *tweet_uuid = NULL, *out_path = NULL;
    long top = 10;
    db *d = NULL;
    PGresult *picked = NULL, *pts = NULL;
    svg_chart_series *series = NULL;
    svg_chart_point *points = NULL;
    char **tips = NULL, *zone_name = NULL;
    int n = 0, rc = 1;
    pg_array ids;
    sbuf title, svg;

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--zone") == 0 && v)
            zone = v;
        else if (strcmp(argv[i], "--tweet") == 0 && v)
            tweet_uuid = v;
        else if (strcmp(argv[i], "--out") == 0 && v)
            out_path = v;
        else if (strcmp(argv[i], "--top") == 0 && v) {
            if (config_parse_long(v, 1, 1000, &top) < 0)
                return plot_usage("--top: not an integer in 1..1000");
        } else
            return plot_usage("unexpected argument");
        i++;
    }
    if (zone && tweet_uuid)
        return plot_usage("--zone and --tweet exclude each other");
    if ((zone && !payload_uuid_valid(zone)) || (tweet_uuid && !payload_uuid_valid(tweet_uuid)))
        return plot_usage(zone ? "--zone: not a UUID" : "--tweet: not a UUID");

    pg_array_init(&ids);
    sbuf_init(&title);
    sbuf_init(&svg);
    if (!(d = db_new(cfg->database_url)))
        goto oom;

    if (zone) {
        /* The zone's name for the title; an unknown zone is an error. */
        const char *zp[] = { zone };
        if (db_exec(d, &picked, "SELECT name FROM zones WHERE id = $1::uuid", 1, zp) != DB_OK)
            goto dberr;
        if (PQntuples(picked) == 0) {
            fprintf(stderr, "engagementctl plot: no zone %s\n", zone);
            goto out;
        }
        if (!(zone_name = strdup(PQgetvalue(picked, 0, 0))))
            goto oom;
        PQclear(picked);
        picked = NULL;
    }

    char limit[24];
    snprintf(limit, sizeof limit, "%ld", tweet_uuid ? 1L : top);
    const char *pick_params[] = { zone, tweet_uuid, limit };
    if (db_exec(d, &picked, PICK_SQL, 3, pick_params) != DB_OK)
        goto dberr;
    n = PQntuples(picked);
    if (tweet_uuid && n == 0) {
        fprintf(stderr, "engagementctl plot: no tweet %s\n", tweet_uuid);
        goto out;
    }
    for (int i = 0; i < n; i++)
        pg_array_add(&ids, PQgetvalue(picked, i, 0));
    const char *ids_lit = pg_array_cstr(&ids);
    if (!ids_lit)
        goto oom;
    char interval[32];
    snprintf(interval, sizeof interval, "%ld", cfg->interval_s);
    const char *pts_params[] = { ids_lit, interval };
    if (db_exec(d, &pts, POINTS_SQL, 2, pts_params) != DB_OK)
        goto dberr;

    /* One array of points: each series its initial value then its snapshots. */
    int rows = PQntuples(pts);
    if (n > 0 && (!(series = calloc((size_t)n, sizeof *series)) ||
                  !(tips = calloc((size_t)n, sizeof *tips)) ||
                  !(points = calloc((size_t)rows + (size_t)n, sizeof *points))))
        goto oom;
    size_t used = 0;
    for (int i = 0, row = 0; i < n; i++) {
        svg_chart_series *s = &series[i];
        const char *db_id = PQgetvalue(picked, i, 0);
        s->id = PQgetvalue(picked, i, 1);
        s->label = s->id;
        s->points = points + used;
        if (!PQgetisnull(picked, i, 2))
            points[used + s->n++] = (svg_chart_point){ 0, strtod(PQgetvalue(picked, i, 2), NULL) };
        for (; row < rows && strcmp(PQgetvalue(pts, row, 0), db_id) == 0; row++)
            points[used + s->n++] = (svg_chart_point){ strtod(PQgetvalue(pts, row, 1), NULL),
                                                       strtod(PQgetvalue(pts, row, 2), NULL) };
        used += s->n;
        sbuf tip;
        sbuf_init(&tip);
        sbuf_printf(&tip, "tweet %s (zone %s): %zu snapshots, engagement %s at hour 0, latest %s", s->id,
                    PQgetvalue(picked, i, 4), s->n - (PQgetisnull(picked, i, 2) ? 0 : 1),
                    PQgetisnull(picked, i, 2) ? "?" : PQgetvalue(picked, i, 2),
                    PQgetisnull(picked, i, 3) ? "-" : PQgetvalue(picked, i, 3));
        if (sbuf_failed(&tip)) {
            sbuf_free(&tip);
            goto oom;
        }
        tips[i] = tip.data;   /* taken over; freed below */
        s->title = tips[i];
    }

    if (tweet_uuid)
        sbuf_printf(&title, "Engagement curve of tweet %s", n ? PQgetvalue(picked, 0, 1) : tweet_uuid);
    else if (zone)
        sbuf_printf(&title, "Engagement curves: top %d tweets of zone %s", n, zone_name);
    else
        sbuf_printf(&title, "Engagement curves: top %d tweets, all zones", n);
    char x_label[96];
    if (cfg->interval_s == 3600)
        snprintf(x_label, sizeof x_label, "hours since collected");
    else
        snprintf(x_label, sizeof x_label, "hours since collected (1 h = %ld s here)", cfg->interval_s);
    svg_chart_opts o = { .title = sbuf_cstr(&title), .x_label = x_label,
                         .y_label = "total engagement (likes + retweets + replies + quotes)",
                         .data_attr = "data-tweet" };
    if (!o.title || svg_chart_render(&svg, &o, series, (size_t)n) < 0)
        goto oom;
    if (write_out(out_path, svg.data, svg.len) < 0)
        goto out;
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "engagementctl plot: out of memory\n");
    goto out;
dberr:
    fprintf(stderr, "engagementctl plot: %s\n", db_error(d));
out:
    PQclear(picked);
    PQclear(pts);
    if (tips)
        for (int i = 0; i < n; i++)
            free(tips[i]);
    free(tips);
    free(zone_name);
    free(series);
    free(points);
    pg_array_free(&ids);
    sbuf_free(&title);
    sbuf_free(&svg);
    db_free(d);
    return rc;
}
