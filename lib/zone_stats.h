/* zone_stats.h - the zone engagement threshold :
 * max(floor, P25 of total_engagement of the zone's tweets created in the
 * window), computed in SQL, cached in Redis under zone:{id}:threshold.
 * Redis down or slow never fails the caller: the database answers. */
#ifndef ET_ZONE_STATS_H
#define ET_ZONE_STATS_H

#include "cache.h"
#include "db.h"

typedef struct {
    double percentile;   /* 0.25 */
    double floor;        /* 1 */
    long window_s;       /* 86400 */
    long ttl_s;          /* 3600 */
} zone_threshold_opts;

typedef enum { THRESHOLD_FROM_CACHE, THRESHOLD_FROM_DB } threshold_source;

/* The threshold of zone_id (NULL: the floor). cache may be NULL. On DB_OK
 * *out is set; *cache_error (when non-NULL) tells whether Redis failed. */
db_status zone_threshold(db *d, cache *c, const char *zone_id, const zone_threshold_opts *o,
                         double *out, threshold_source *src, bool *cache_error)
    __attribute__((warn_unused_result));

typedef struct {
    long long count;
    double p25, p50, p75, mean;
} zone_stats;

/* Monitoring figures of a zone over the window (all 0 when empty). */
db_status zone_stats_get(db *d, const char *zone_id, long window_s, zone_stats *out)
    __attribute__((warn_unused_result));

#endif
