/* zone_stats.c - zone threshold with a Redis cache, and zone figures. */
#include "zone_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char THRESHOLD_SQL[] =
    "SELECT percentile_cont($2::float8) WITHIN GROUP (ORDER BY total_engagement)"
    " FROM twitter_tweets"
    " WHERE zone_id = $1::uuid AND twitter_created_at > now() - $3::bigint * interval '1 second'";

db_status zone_threshold(db *d, cache *c, const char *zone_id, const zone_threshold_opts *o,
                         double *out, threshold_source *src, bool *cache_error)
{
    char key[96], val[64];
    if (cache_error)
        *cache_error = false;
    *src = THRESHOLD_FROM_DB;
    if (!zone_id) {
        *out = o->floor;
        return DB_OK;
    }
    snprintf(key, sizeof key, "zone:%s:threshold", zone_id);
    if (c) {
        int hit = cache_get(c, key, val, sizeof val);
        double v;
        char *end;
        if (hit == 1 && (v = strtod(val, &end), *end == '\0' && isfinite(v))) {
            *out = v;
            *src = THRESHOLD_FROM_CACHE;
            return DB_OK;
        }
        if (hit < 0 && cache_error)
            *cache_error = true;
    }

    char pct[32], win[32];
    snprintf(pct, sizeof pct, "%.17g", o->percentile);
    snprintf(win, sizeof win, "%ld", o->window_s);
    const char *params[] = { zone_id, pct, win };
    PGresult *r;
    db_status st = db_exec(d, &r, THRESHOLD_SQL, 3, params);
    if (st != DB_OK)
        return st;
    double v = PQgetisnull(r, 0, 0) ? 0 : strtod(PQgetvalue(r, 0, 0), NULL);
    PQclear(r);
    *out = v > o->floor ? v : o->floor;

    if (c) {
        snprintf(val, sizeof val, "%.17g", *out);
        if (cache_set(c, key, val, o->ttl_s) < 0 && cache_error)
            *cache_error = true;
    }
    return DB_OK;
}

db_status zone_stats_get(db *d, const char *zone_id, long window_s, zone_stats *out)
{
    static const char sql[] =
        "SELECT count(*),"
        " coalesce(percentile_cont(0.25) WITHIN GROUP (ORDER BY total_engagement), 0),"
        " coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY total_engagement), 0),"
        " coalesce(percentile_cont(0.75) WITHIN GROUP (ORDER BY total_engagement), 0),"
        " coalesce(avg(total_engagement), 0)"
        " FROM twitter_tweets"
        " WHERE zone_id = $1::uuid AND twitter_created_at > now() - $2::bigint * interval '1 second'";
    char win[32];
    snprintf(win, sizeof win, "%ld", window_s);
    const char *params[] = { zone_id, win };
    PGresult *r;
    db_status st = db_exec(d, &r, sql, 2, params);
    if (st != DB_OK)
        return st;
    out->count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->p25 = strtod(PQgetvalue(r, 0, 1), NULL);
    out->p50 = strtod(PQgetvalue(r, 0, 2), NULL);
    out->p75 = strtod(PQgetvalue(r, 0, 3), NULL);
    out->mean = strtod(PQgetvalue(r, 0, 4), NULL);
    PQclear(r);
    return DB_OK;
}
