/* config.c - the declarative settings table and its validation. */
#include "config.h"
#include "qstash.h"

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_STR, T_SECRET, T_URL, T_LONG, T_DOUBLE, T_BOOL } setting_type;

typedef struct {
    const char *name;
    setting_type type;
    size_t offset;
    const char *def;        /* NULL: no default */
    unsigned required_by;   /* CONFIG_* mask of programs that need it */
    double min, max;        /* numbers only */
} setting;

#define OFF(f) offsetof(et_config, f)
#define ALL (CONFIG_WEBHOOK | CONFIG_TRACK | CONFIG_CTL)

static const setting settings[] = {
    { "DATABASE_URL", T_SECRET, OFF(database_url), NULL, ALL, 0, 0 },
    { "REDIS_URL", T_URL, OFF(redis_url), "redis://127.0.0.1:6379/0", 0, 0, 0 },
    { "TWITTER_API_KEY", T_SECRET, OFF(twitter_api_key), NULL, CONFIG_WEBHOOK | CONFIG_TRACK, 0, 0 },
    { "TWITTER_API_BASE_URL", T_URL, OFF(twitter_api_base_url), "https://api.twitterapi.io", 0, 0, 0 },
    { "QSTASH_URL", T_URL, OFF(qstash_url), "https://qstash.upstash.io", 0, 0, 0 },
    { "QSTASH_TOKEN", T_SECRET, OFF(qstash_token), NULL, CONFIG_WEBHOOK | CONFIG_TRACK, 0, 0 },
    { "QSTASH_CURRENT_SIGNING_KEY", T_SECRET, OFF(qstash_current_key), NULL, CONFIG_TRACK, 0, 0 },
    { "QSTASH_NEXT_SIGNING_KEY", T_SECRET, OFF(qstash_next_key), NULL, CONFIG_TRACK, 0, 0 },
    { "APP_URL", T_URL, OFF(app_url), NULL, CONFIG_WEBHOOK | CONFIG_TRACK, 0, 0 },
    { "TRACK_LOT_PATH", T_STR, OFF(track_lot_path), "/api/twitter/engagement/track-lot", 0, 0, 0 },
    { "TRACKING_INTERVAL_SECONDS", T_LONG, OFF(interval_s), "3600", 0, 1, 86400 },
    { "TRACKING_MAX_UPDATES", T_LONG, OFF(max_updates), "6", 0, 1, 100 },
    { "TRACKING_AGE_LIMIT_SECONDS", T_LONG, OFF(age_limit_s), "21600", 0, 1, 30 * 86400 },
    { "TRACKING_POLICY", T_STR, OFF(policy_name), "default", 0, 0, 0 },
    { "THRESHOLD_PERCENTILE", T_DOUBLE, OFF(threshold_percentile), "0.25", 0, 0, 1 },
    { "THRESHOLD_FLOOR", T_DOUBLE, OFF(threshold_floor), "1", 0, 0, 1e12 },
    { "THRESHOLD_WINDOW_SECONDS", T_LONG, OFF(threshold_window_s), "86400", 0, 60, 30 * 86400 },
    { "THRESHOLD_CACHE_TTL_SECONDS", T_LONG, OFF(threshold_ttl_s), "3600", 0, 1, 86400 },
    { "WEBHOOK_MAX_BODY_BYTES", T_LONG, OFF(max_body_bytes), "2097152", 0, 1024, 64L << 20 },
    { "WEBHOOK_MAX_TWEETS", T_LONG, OFF(max_tweets), "100", 0, 1, 10000 },
    { "UPSTREAM_BATCH_SIZE", T_LONG, OFF(upstream_batch), "50", 0, 1, 1000 },
    { "UPSTREAM_TIMEOUT_MS", T_LONG, OFF(upstream_timeout_ms), "10000", 0, 100, 600000 },
    { "QSTASH_TIMEOUT_MS", T_LONG, OFF(qstash_timeout_ms), "5000", 0, 100, 600000 },
    { "QSTASH_RETRIES", T_LONG, OFF(qstash_retries), "3", 0, 0, 100 },
    { "SIGNATURE_TOLERANCE_SECONDS", T_LONG, OFF(signature_tolerance_s), "30", 0, 0, 3600 },
    { "SIGNATURE_CHECK_SUBJECT", T_BOOL, OFF(signature_check_subject), "1", 0, 0, 0 },
    { "REDIS_TIMEOUT_MS", T_LONG, OFF(redis_timeout_ms), "100", 0, 1, 60000 },
    { "LOT_CLAIM_SECONDS", T_LONG, OFF(lot_claim_s), "120", 0, 1, 86400 },
    { "OUTBOX_RETRY_SECONDS", T_LONG, OFF(outbox_retry_s), "30", 0, 1, 86400 },
    { "OUTBOX_REDRIVE_SECONDS", T_LONG, OFF(outbox_redrive_s), "3600", 0, 1, 30 * 86400 },
    { "LOG_LEVEL", T_STR, OFF(log_level_name), "info", 0, 0, 0 },
    { "FCGI_THREADS", T_LONG, OFF(threads), "4", 0, 1, 256 },
    { "FCGI_LISTEN", T_STR, OFF(listen), "", 0, 0, 0 },
};

int config_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int config_parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int url_valid(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0 ||
           strncmp(s, "redis://", 8) == 0;
}

static char *strip_trailing_slash(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

/* The passwords inside DATABASE_URL and REDIS_URL are secrets on their own:
 * libpq and hiredis errors may quote them without the rest of the URL.
 * An unparseable DATABASE_URL is refused here, with a message that does not
 * repeat libpq's (it quotes the offending text). */
static int secret_parts(et_config *c, char *err, size_t errlen)
{
    if (c->database_url[0]) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(c->database_url, &perr);
        if (!opts) {
            PQfreemem(perr);
            snprintf(err, errlen, "DATABASE_URL: not a valid libpq connection string or URI "
                                  "(percent-encode special characters in a URI)");
            return -1;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (o->val && strcmp(o->keyword, "password") == 0)
                log_add_secret(o->val);
        PQconninfoFree(opts);
    }
    const char *r = c->redis_url, *at = strrchr(r, '@');
    if (at && strncmp(r, "redis://", 8) == 0) {
        const char *colon = memchr(r + 8, ':', (size_t)(at - (r + 8)));
        char pw[256];
        size_t n = colon ? (size_t)(at - colon - 1) : 0;
        if (colon && n < sizeof pw) {
            memcpy(pw, colon + 1, n);
            pw[n] = '\0';
            log_add_secret(pw);
        }
    }
    return 0;
}

int config_load(et_config *c, unsigned program, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const setting *s = &settings[i];
        const char *v = getenv(s->name);
        if ((!v || !*v) && strcmp(s->name, "APP_URL") == 0)
            v = getenv("NEXT_PUBLIC_APP_URL");
        if (!v || !*v) {
            if (s->required_by & program) {
                snprintf(err, errlen, "%s: required but not set", s->name);
                return -1;
            }
            v = s->def ? s->def : "";
        }
        void *field = (char *)c + s->offset;
        switch (s->type) {
        case T_STR:
        case T_SECRET:
        case T_URL:
            if (s->type == T_URL && *v && !url_valid(v)) {
                snprintf(err, errlen, "%s: not an http(s):// or redis:// URL", s->name);
                return -1;
            }
            if (!(*(char **)field = strdup(v))) {
                snprintf(err, errlen, "%s: out of memory", s->name);
                return -1;
            }
            if (s->type == T_SECRET)
                log_add_secret(v);
            break;
        case T_LONG:
            if (config_parse_long(v, (long)s->min, (long)s->max, (long *)field) < 0) {
                snprintf(err, errlen, "%s: not an integer in %.0f..%.0f", s->name, s->min, s->max);
                return -1;
            }
            break;
        case T_DOUBLE:
            if (config_parse_double(v, s->min, s->max, (double *)field) < 0) {
                snprintf(err, errlen, "%s: not a number in %g..%g", s->name, s->min, s->max);
                return -1;
            }
            break;
        case T_BOOL:
            if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
                *(bool *)field = true;
            else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
                *(bool *)field = false;
            else {
                snprintf(err, errlen, "%s: not a boolean (1/0, true/false)", s->name);
                return -1;
            }
            break;
        }
    }

    /* Derived values and cross-checks. */
    if (secret_parts(c, err, errlen) < 0)
        return -1;
    if (policy_parse(c->policy_name, &c->policy) < 0) {
        snprintf(err, errlen, "TRACKING_POLICY: unknown policy '%s' (default, backoff, adaptive, blind)",
                 c->policy_name);
        return -1;
    }
    if (log_level_parse(c->log_level_name, &c->log_level) < 0) {
        snprintf(err, errlen, "LOG_LEVEL: not one of debug, info, warn, error, off");
        return -1;
    }
    char base[512];
    if (qstash_normalize_base(c->qstash_url, base, sizeof base) < 0) {
        snprintf(err, errlen, "QSTASH_URL: must be a base URL like https://qstash.upstash.io (no path)");
        return -1;
    }
    strcpy(c->qstash_url, base);   /* normalised form is never longer */
    strip_trailing_slash(c->twitter_api_base_url);
    strip_trailing_slash(c->app_url);
    if (c->track_lot_path[0] != '/') {
        snprintf(err, errlen, "TRACK_LOT_PATH: must start with '/'");
        return -1;
    }
    if (program & CONFIG_TRACK) {
        if (!c->redis_url[0] || strncmp(c->redis_url, "redis://", 8) != 0) {
            snprintf(err, errlen, "REDIS_URL: must be redis://host:port/db");
            return -1;
        }
    }
    size_t n = strlen(c->app_url) + strlen(c->track_lot_path) + 1;
    if (!(c->track_lot_url = malloc(n))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(c->track_lot_url, n, "%s%s", c->app_url, c->track_lot_path);
    return 0;
}

void config_free(et_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const setting *s = &settings[i];
        if (s->type == T_STR || s->type == T_SECRET || s->type == T_URL)
            free(*(char **)((char *)c + s->offset));
    }
    free(c->track_lot_url);
    memset(c, 0, sizeof *c);
}

void config_log(const et_config *c)
{
    log_info("msg=\"configuration\" app_url=%s track_lot_path=%s qstash_url=%s upstream=%s "
             "interval_s=%ld max_updates=%ld age_limit_s=%ld policy=%s percentile=%g floor=%g "
             "window_s=%ld ttl_s=%ld max_body=%ld max_tweets=%ld batch=%ld upstream_timeout_ms=%ld "
             "threads=%ld listen=%s database_url=*** twitter_api_key=*** qstash_token=*** signing_keys=***",
             c->app_url, c->track_lot_path, c->qstash_url, c->twitter_api_base_url, c->interval_s,
             c->max_updates, c->age_limit_s, c->policy_name, c->threshold_percentile,
             c->threshold_floor, c->threshold_window_s, c->threshold_ttl_s, c->max_body_bytes,
             c->max_tweets, c->upstream_batch, c->upstream_timeout_ms, c->threads,
             c->listen[0] ? c->listen : "fd0");
}

policy_params config_policy_params(const et_config *c)
{
    policy_params p = { .max_slots = (int)c->max_updates,
                        .age_limit_hours = (double)c->age_limit_s / (double)c->interval_s };
    return p;
}
