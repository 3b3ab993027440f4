/* config.h - the settings, read once from the environment at start.
 * One declarative table (config.c) gives each setting its name, type,
 * default, bounds and which programs require it. */
#ifndef ET_CONFIG_H
#define ET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "log.h"
#include "policy.h"

/* Which program is loading: a setting can be required by some only. */
enum { CONFIG_WEBHOOK = 1, CONFIG_TRACK = 2, CONFIG_CTL = 4 };

typedef struct {
    /* services */
    char *database_url, *redis_url;
    char *twitter_api_key, *twitter_api_base_url;
    char *qstash_url, *qstash_token, *qstash_current_key, *qstash_next_key;
    char *app_url, *track_lot_path;
    char *track_lot_url;            /* derived: app_url + track_lot_path */
    /* tracking */
    long interval_s, max_updates, age_limit_s;
    char *policy_name;
    policy_kind policy;             /* derived */
    double threshold_percentile, threshold_floor;
    long threshold_window_s, threshold_ttl_s;
    /* limits and timeouts */
    long max_body_bytes, max_tweets, upstream_batch, upstream_timeout_ms;
    long qstash_timeout_ms, qstash_retries, signature_tolerance_s, redis_timeout_ms;
    long lot_claim_s, outbox_retry_s, outbox_redrive_s;
    bool signature_check_subject;
    /* process */
    char *log_level_name;
    log_level log_level;            /* derived */
    long threads;
    char *listen;                   /* "" = the inherited socket on fd 0 */
} et_config;

/* Read every setting. Returns 0, or -1 with err naming the first missing or
 * invalid setting ("QSTASH_TOKEN: required", "WEBHOOK_MAX_TWEETS: not an
 * integer in 1..10000"). Registers the secrets with the logger. */
int config_load(et_config *c, unsigned program, char *err, size_t errlen);
void config_free(et_config *c);
/* One start-up line with the effective values, secrets masked. */
void config_log(const et_config *c);
/* Policy parameters derived from the settings. */
policy_params config_policy_params(const et_config *c);

/* Strict number parsing (whole string, no overflow). Return 0 or -1. */
int config_parse_long(const char *s, long min, long max, long *out);
int config_parse_double(const char *s, double min, double max, double *out);

#endif
