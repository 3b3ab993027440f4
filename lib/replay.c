/* replay.c - the offline evaluator (see replay.h and the README, "Measuring a policy").
 * The loaders read a FILE* line by line with getline (cascade lines can be
 * megabytes long); replay_run is pure apart from one temporary array. */
#include "replay.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Seconds after posting of the REPLAY_POINTS instants: 5 min, 1 h .. 7 h. */
static const double replay_point_sec[REPLAY_POINTS] = {
    300, 3600, 7200, 10800, 14400, 18000, 21600, 25200,
};

/* Collection lag: the webhook's value is 5 min after posting. It is the hour
 * of observation 0 when rebuilding a curve, and a tweet is slot + 5 min old
 * at slot k. */
#define REPLAY_T0_HOURS (5.0 / 60.0)
/* Engagement values beyond this are refused (exact in a double and a long long). */
#define REPLAY_MAX_VALUE 1e15

/* Credits per returned tweet and minimum per call (twitterapi.io pricing). */
#define REPLAY_CREDITS_PER_TWEET 15
#define REPLAY_CREDITS_MIN_CALL 15

void trajectory_set_free(trajectory_set *s)
{
    if (s == NULL)
        return;
    free(s->items);
    s->items = NULL;
    s->n = 0;
    s->cap = 0;
}

int trajectory_set_add(trajectory_set *s, const trajectory *t)
{
    if (s == NULL || t == NULL)
        return -1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        if (cap < s->cap || cap > SIZE_MAX / sizeof *s->items)
            return -1;
        trajectory *items = realloc(s->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = *t;
    return 0;
}

/* ---- loaders ---------------------------------------------------------- */

static void replay_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void replay_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Cuts the line ending (\n or \r\n) off; returns the new length. */
static size_t replay_chomp(char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    return len;
}

/* Parses the number in [s, end): a finite decimal, nothing else. */
static int replay_parse_num(const char *s, const char *end, double *out)
{
    if (s == end || !(*s == '-' || *s == '+' || *s == '.' || (*s >= '0' && *s <= '9')))
        return -1;
    char *stop = NULL;
    errno = 0;
    double v = strtod(s, &stop);
    if (stop != end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Copies the id in [s, end) into t->id; -1 if empty or too long. */
static int replay_set_id(trajectory *t, const char *s, const char *end)
{
    size_t len = (size_t)(end - s);
    if (len == 0 || len >= sizeof t->id)
        return -1;
    memcpy(t->id, s, len);
    t->id[len] = '\0';
    return 0;
}

/* Splits line in place at sep into at most max fields; returns the count,
 * or max + 1 when there are more. */
static size_t replay_split(char *line, char sep, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        fields[n++] = p;
        char *q = strchr(p, sep);
        if (q == NULL)
            return n;
        *q = '\0';
        p = q + 1;
    }
}

typedef int (*replay_line_fn)(char *line, trajectory *t, char *why, size_t whylen);

/* One cascade line: id, label, n_events, comma separated event seconds. */
static int replay_cascade_line(char *line, trajectory *t, char *why, size_t whylen)
{
    char *f[4];
    size_t nf = replay_split(line, '\t', f, 4);
    if (nf < 3 || nf > 4) {
        snprintf(why, whylen, "expected 4 tab-separated fields");
        return -1;
    }
    if (replay_set_id(t, f[0], f[0] + strlen(f[0])) < 0) {
        snprintf(why, whylen, "cascade_id empty or longer than %zu bytes", sizeof t->id - 1);
        return -1;
    }
    double declared;
    if (replay_parse_num(f[2], f[2] + strlen(f[2]), &declared) < 0 || declared < 0 ||
        declared != floor(declared)) {
        snprintf(why, whylen, "n_events is not a count");
        return -1;
    }

    long long counts[REPLAY_POINTS] = { 0 };
    double events = 0;
    const char *p = nf == 4 ? f[3] : "";
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        double sec;
        /* Negative times occur (clock skew in Twitter15/16): they count
         * from the first instant on, like the trajectory CSVs do. */
        if (replay_parse_num(p, end, &sec) < 0) {
            snprintf(why, whylen, "event %.0f: not a time in seconds", events + 1);
            return -1;
        }
        for (int i = 0; i < REPLAY_POINTS; i++)
            if (sec <= replay_point_sec[i])
                counts[i]++;
        events++;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0') {
            snprintf(why, whylen, "trailing comma in rel_times_sec");
            return -1;
        }
    }
    if (events != declared) {
        snprintf(why, whylen, "n_events is %.0f but %.0f times are listed", declared, events);
        return -1;
    }
    for (int i = 0; i < REPLAY_POINTS; i++)
        t->v[i] = (double)counts[i];
    return 0;
}

/* One CSV line: cascade_id,label,t0_5min,h1,...,h7. */
static int replay_csv_line(char *line, trajectory *t, char *why, size_t whylen)
{
    char *f[2 + REPLAY_POINTS];
    size_t nf = replay_split(line, ',', f, 2 + REPLAY_POINTS);
    if (nf != 2 + REPLAY_POINTS) {
        snprintf(why, whylen, "expected %d comma-separated fields", 2 + REPLAY_POINTS);
        return -1;
    }
    if (replay_set_id(t, f[0], f[0] + strlen(f[0])) < 0) {
        snprintf(why, whylen, "cascade_id empty or longer than %zu bytes", sizeof t->id - 1);
        return -1;
    }
    for (int i = 0; i < REPLAY_POINTS; i++) {
        const char *s = f[2 + i];
        if (replay_parse_num(s, s + strlen(s), &t->v[i]) < 0 || t->v[i] < 0 ||
            t->v[i] > REPLAY_MAX_VALUE) {
            snprintf(why, whylen, "field %d: not an engagement count", 3 + i);
            return -1;
        }
    }
    return 0;
}

/* Reads the header (must start with header_prefix), then one trajectory per
 * non-empty line. On failure the set is left as it was. */
static int replay_load(FILE *in, trajectory_set *s, const char *header_prefix,
                       replay_line_fn parse, char *err, size_t errlen)
{
    char *line = NULL;
    size_t linecap = 0;
    size_t lineno = 0;
    size_t n0 = s ? s->n : 0;
    char why[160];
    int rc = -1;

    if (in == NULL || s == NULL) {
        replay_seterr(err, errlen, "no input or no set");
        return -1;
    }
    for (;;) {
        errno = 0;
        ssize_t got = getline(&line, &linecap, in);
        if (got < 0) {
            if (ferror(in) || errno == ENOMEM) {
                replay_seterr(err, errlen, "line %zu: %s", lineno + 1,
                              errno == ENOMEM ? "out of memory" : "read error");
                goto fail;
            }
            break;
        }
        lineno++;
        size_t len = replay_chomp(line, (size_t)got);
        if (strlen(line) != len) {
            replay_seterr(err, errlen, "line %zu: NUL byte", lineno);
            goto fail;
        }
        if (lineno == 1) {
            if (strncmp(line, header_prefix, strlen(header_prefix)) != 0) {
                replay_seterr(err, errlen, "line 1: expected a header starting with \"%.*s\"",
                              (int)strlen(header_prefix) - 1, header_prefix);
                goto fail;
            }
            continue;
        }
        if (len == 0)
            continue;
        trajectory t;
        memset(&t, 0, sizeof t);
        if (parse(line, &t, why, sizeof why) < 0) {
            replay_seterr(err, errlen, "line %zu: %s", lineno, why);
            goto fail;
        }
        if (trajectory_set_add(s, &t) < 0) {
            replay_seterr(err, errlen, "line %zu: out of memory", lineno);
            goto fail;
        }
    }
    if (lineno == 0) {
        replay_seterr(err, errlen, "empty input: no header line");
        goto fail;
    }
    rc = 0;
fail:
    if (rc < 0)
        s->n = n0;
    free(line);
    return rc;
}

int trajectory_load_cascades(FILE *in, trajectory_set *s, char *err, size_t errlen)
{
    return replay_load(in, s, "cascade_id\t", replay_cascade_line, err, errlen);
}

int trajectory_load_csv(FILE *in, trajectory_set *s, char *err, size_t errlen)
{
    return replay_load(in, s, "cascade_id,", replay_csv_line, err, errlen);
}

/* ---- the replay ------------------------------------------------------- */

void replay_options_default(replay_options *o)
{
    if (o == NULL)
        return;
    o->lot_size = 20;
    o->batch_size = 50;
    o->percentile = 0.25;
    o->floor = 1;
    o->params.max_slots = 6;
    o->params.age_limit_hours = 6;
}

static int replay_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* PERCENTILE_CONT(p) of the 5-minute values, as PostgreSQL computes it:
 * sort, then interpolate linearly at position p * (n - 1). */
static int replay_threshold(const trajectory_set *s, double p, double floor_value, double *out)
{
    if (s->n == 0) {
        *out = floor_value;
        return 0;
    }
    double *v = malloc(s->n * sizeof *v);
    if (v == NULL)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        v[i] = s->items[i].v[0];
    qsort(v, s->n, sizeof *v, replay_cmp_double);
    double pos = p * (double)(s->n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = (size_t)ceil(pos);
    double pct = v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
    free(v);
    *out = pct > floor_value ? pct : floor_value;
    return 0;
}

/* The rebuilt value at hour h: linear between observations (at times t[],
 * ascending), flat after the last one. t[0] <= h always holds here. */
static double replay_rebuild(const double *t, const double *val, size_t n, double h)
{
    size_t i = 0;
    while (i + 1 < n && t[i + 1] <= h)
        i++;
    if (i + 1 == n)
        return val[i];
    return val[i] + (val[i + 1] - val[i]) * (h - t[i]) / (t[i + 1] - t[i]);
}

/* Calls and credits for c tweets polled together (one lot, one slot). */
static void replay_price(size_t c, size_t batch, size_t *calls, long long *credits)
{
    while (c > 0) {
        size_t k = c < batch ? c : batch;
        long long cost = (long long)k * REPLAY_CREDITS_PER_TWEET;
        *credits += cost > REPLAY_CREDITS_MIN_CALL ? cost : REPLAY_CREDITS_MIN_CALL;
        (*calls)++;
        c -= k;
    }
}

int replay_run(policy_kind k, const replay_options *o, const trajectory_set *s, replay_result *out)
{
    if (o == NULL || s == NULL || out == NULL || (s->n > 0 && s->items == NULL) ||
        (unsigned)k >= POLICY__COUNT || o->lot_size == 0 || o->batch_size == 0 ||
        !(o->percentile >= 0 && o->percentile <= 1) || !isfinite(o->floor) ||
        o->params.max_slots < 1 || o->params.max_slots > REPLAY_POINTS - 2)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        for (int j = 0; j < REPLAY_POINTS; j++)
            if (!(fabs(s->items[i].v[j]) <= REPLAY_MAX_VALUE))
                return -1;

    const int max_slots = o->params.max_slots;
    replay_result r;
    memset(&r, 0, sizeof r);
    r.tweets = s->n;
    if (replay_threshold(s, o->percentile, o->floor, &r.threshold) < 0)
        return -1;

    const int first = policy_first_slot(k, &o->params);
    if (first < 1 || first > max_slots)
        return -1;

    size_t polls = 0;
    size_t lot_polls[REPLAY_POINTS] = { 0 };  /* per slot, in the current lot */
    double err_num = 0, err_den = 0, miss_num = 0, miss_den = 0;

    for (size_t i = 0; i < s->n; i++) {
        const double *v = s->items[i].v;
        policy_obs obs[REPLAY_POINTS];
        double t[REPLAY_POINTS], val[REPLAY_POINTS];
        size_t n = 1;
        obs[0].hours = 0;
        obs[0].engagement = llround(v[0]);
        t[0] = REPLAY_T0_HOURS;
        val[0] = v[0];

        for (int slot = first;;) {
            obs[n].hours = slot;
            obs[n].engagement = llround(v[slot]);
            t[n] = slot;
            val[n] = v[slot];
            n++;
            polls++;
            lot_polls[slot]++;

            policy_input in = { obs, n, slot, slot + REPLAY_T0_HOURS, r.threshold };
            policy_decision d = policy_decide(k, &o->params, &in);
            if (!d.keep)
                break;
            if (d.next_slot <= slot || d.next_slot > max_slots)
                return -1;  /* a policy broke its contract */
            slot = d.next_slot;
        }

        for (int h = 1; h <= REPLAY_POINTS - 2; h++) {
            err_num += fabs(replay_rebuild(t, val, n, h) - v[h]);
            err_den += fabs(v[h] - v[0]);
        }
        miss_num += v[REPLAY_POINTS - 1] - val[n - 1];
        miss_den += v[REPLAY_POINTS - 1] - v[0];

        if ((i + 1) % o->lot_size == 0 || i + 1 == s->n) {
            for (int slot = 1; slot <= max_slots; slot++) {
                replay_price(lot_polls[slot], o->batch_size, &r.calls, &r.credits);
                lot_polls[slot] = 0;
            }
        }
    }

    if (s->n > 0)
        r.polls_per_tweet = (double)polls / (double)s->n;
    r.curve_error = err_den > 0 ? err_num / err_den : 0;
    r.missed_growth = miss_den > 0 ? miss_num / miss_den : 0;
    *out = r;
    return 0;
}
