/* track.c - one lot update, exactly once.
 *
 * Idempotency: a row in engagement_lot_updates per (lot, update) is claimed
 * with a lease before any work. A redelivery of a finished update gets the
 * stored summary and calls nothing; one that arrives while another worker
 * holds the lease is told to come back when the lease ends; a worker killed
 * mid-update leaves a lease that expires, and the retried delivery redoes
 * the update. The write is one statement gated on still holding the claim,
 * so a late worker whose lease was taken over writes nothing. */
#include "track.h"
#include "log.h"
#include "outbox.h"
#include "payload.h"
#include "policy.h"
#include "sbuf.h"
#include "zone_stats.h"

#include <ctype.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_DUE, T_CARRIED, T_SKIPPED } tweet_kind;

typedef struct {
    const char *db_id, *tweet_id;       /* borrowed from the load result */
    double created_at, collected_at, last_obs_at;   /* unix seconds */
    tweet_metrics prev;
    int next_slot, missing_count;
    long long initial_engagement;
    tweet_kind kind;
    policy_obs *obs;                    /* owned: observations so far, then this one */
    size_t n_obs;
    /* outcome */
    bool found;
    tweet_metrics now;                  /* what is stored (views never go down) */
    double velocity;
    bool keep;
    int new_next_slot, new_missing;
    const char *reason;                 /* stop or continue reason */
} lot_tweet;

typedef struct {
    lot_tweet *t;
    size_t n;
    PGresult *rows, *history;
    json_t *unknown;                    /* ids named but not stored */
} lot;

void *track_thread_init(const et_config *cfg)
{
    track_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->db = db_new(cfg->database_url);
    c->qstash = qstash_client_new(cfg->qstash_url, cfg->qstash_token, cfg->qstash_timeout_ms);
    c->upstream = upstream_client_new(cfg->twitter_api_base_url, cfg->twitter_api_key,
                                      cfg->upstream_timeout_ms, (size_t)cfg->upstream_batch);
    c->cache = cache_new(cfg->redis_url, cfg->redis_timeout_ms);
    if (!c->db || !c->qstash || !c->upstream || !c->cache) {
        track_thread_free(c);
        return NULL;
    }
    return c;
}

void track_thread_free(void *ctx)
{
    track_ctx *c = ctx;
    if (!c)
        return;
    outbox_pending_clear(&c->pending);
    db_free(c->db);
    qstash_client_free(c->qstash);
    upstream_client_free(c->upstream);
    cache_free(c->cache);
    free(c);
}

static void lot_free(lot *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->t[i].obs);
    free(l->t);
    PQclear(l->rows);
    PQclear(l->history);
    json_decref(l->unknown);
}

static void answer_db_failure(http_response *resp, db *d, db_status st, const char *lot_id)
{
    if (st == DB_FAILED) {
        log_error("msg=\"database error\" lot=%s error=\"%s\"", lot_id, db_error(d));
        http_error(resp, 500, "internal", "database error");
        return;
    }
    log_warn("msg=\"database unavailable, QStash will retry\" lot=%s error=\"%s\"", lot_id, db_error(d));
    http_error(resp, 503, "unavailable", "database unavailable, retry later");
    resp->retry_after_s = 10;
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char rnd[32];
    if (bytes > sizeof rnd)
        bytes = sizeof rnd;
    if (RAND_bytes(rnd, (int)bytes) != 1)
        memset(rnd, 0, bytes);
    for (size_t i = 0; i < bytes; i++)
        sprintf(out + 2 * i, "%02x", rnd[i]);
}

/* Claim (lot, update). Returns 1 claimed, 0 answered (done before, or in
 * progress elsewhere), -1 database failure (answered). */
static int claim(track_ctx *c, const track_payload *p, const char *token, const char *upd,
                 http_response *resp)
{
    static const char claim_sql[] =
        "INSERT INTO engagement_lot_updates AS l (lot_id, update_number, zone_id, claim_token,"
        " claimed_until) VALUES ($1, $2::int, $3::uuid, $4, now() + $5::bigint * interval '1 second')"
        " ON CONFLICT (lot_id, update_number) DO UPDATE SET claim_token = EXCLUDED.claim_token,"
        "  claimed_until = EXCLUDED.claimed_until, attempts = l.attempts + 1"
        "  WHERE l.done_at IS NULL AND l.claimed_until < now()"
        " RETURNING 1";
    static const char state_sql[] =
        "SELECT done_at IS NOT NULL, summary::text,"
        " greatest(1, ceil(extract(epoch FROM claimed_until - now())))::bigint"
        " FROM engagement_lot_updates WHERE lot_id = $1 AND update_number = $2::int";
    char lease[32];
    PGresult *r;
    snprintf(lease, sizeof lease, "%ld", c->cfg->lot_claim_s);
    const char *params[] = { p->lot_id, upd, p->zone_id, token, lease };
    db_status st = db_exec(c->db, &r, claim_sql, 5, params);
    if (st != DB_OK) {
        answer_db_failure(resp, c->db, st, p->lot_id);
        return -1;
    }
    int claimed = PQntuples(r) == 1;
    PQclear(r);
    if (claimed)
        return 1;

    st = db_exec(c->db, &r, state_sql, 2, params);
    if (st != DB_OK) {
        answer_db_failure(resp, c->db, st, p->lot_id);
        return -1;
    }
    if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
        json_t *summary = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
        if (summary)
            json_object_set_new(summary, "duplicate", json_true());
        log_info("msg=\"redelivery of a finished update, nothing done\" lot=%s update=%d", p->lot_id,
                 p->update_number);
        http_json(resp, 200, summary ? summary : json_pack("{s:b}", "duplicate", 1));
    } else {
        long wait = PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 2)) : 10;
        log_info("msg=\"update in progress elsewhere, retry later\" lot=%s update=%d retry_after_s=%ld",
                 p->lot_id, p->update_number, wait);
        http_error(resp, 503, "in_progress", "this update is being processed; retry later");
        resp->retry_after_s = wait;
    }
    PQclear(r);
    return 0;
}

/* Give the claim back after a failure that wrote nothing, so QStash's
 * retry does not have to wait for the lease to run out. */
static void release(track_ctx *c, const track_payload *p, const char *token, const char *upd)
{
    const char *params[] = { p->lot_id, upd, token };
    db_status st = db_exec(c->db, NULL,
                           "UPDATE engagement_lot_updates SET claimed_until = '-infinity'"
                           " WHERE lot_id = $1 AND update_number = $2::int AND claim_token = $3"
                           " AND done_at IS NULL",
                           3, params);
    (void)st;
}

static int by_db_id(const void *a, const void *b)
{
    return strcmp(((const lot_tweet *)a)->db_id, ((const lot_tweet *)b)->db_id);
}

static lot_tweet *find_tweet(lot *l, const char *db_id)
{
    lot_tweet key = { .db_id = db_id };
    return bsearch(&key, l->t, l->n, sizeof *l->t, by_db_id);
}

/* Load the named tweets, their tracking rows and their earlier snapshots:
 * two statements whatever the lot size, both by primary or unique key. */
static db_status load(track_ctx *c, const track_payload *p, lot *l)
{
    static const char rows_sql[] =
        "SELECT t.id::text, t.tweet_id, extract(epoch FROM t.twitter_created_at),"
        " extract(epoch FROM t.collected_at),"
        " extract(epoch FROM coalesce(tr.last_updated_at, t.collected_at)),"
        " t.like_count, t.retweet_count, t.reply_count, t.quote_count, t.view_count, t.bookmark_count,"
        " tr.tier, coalesce(tr.next_slot, 1), tr.missing_count, tr.initial_engagement"
        " FROM twitter_tweets t JOIN twitter_engagement_tracking tr ON tr.tweet_db_id = t.id"
        " WHERE t.id = ANY($1::uuid[])";
    static const char history_sql[] =
        "SELECT tweet_id::text, extract(epoch FROM snapshot_at), total_engagement"
        " FROM twitter_engagement_history WHERE tweet_id = ANY($1::uuid[])"
        " ORDER BY tweet_id, update_number";
    const double interval = (double)c->cfg->interval_s;
    pg_array ids;
    pg_array_init(&ids);
    for (size_t i = 0; i < p->n_tweet_ids; i++)
        pg_array_add(&ids, p->tweet_ids[i]);
    const char *params[] = { pg_array_cstr(&ids) };
    db_status st = DB_FAILED;
    if (!params[0])
        goto out;
    if ((st = db_exec(c->db, &l->rows, rows_sql, 1, params)) != DB_OK)
        goto out;
    if ((st = db_exec(c->db, &l->history, history_sql, 1, params)) != DB_OK)
        goto out;

    st = DB_FAILED;
    PGresult *r = l->rows;
    l->n = (size_t)PQntuples(r);
    if (l->n && !(l->t = calloc(l->n, sizeof *l->t)))
        goto out;
    for (size_t i = 0; i < l->n; i++) {
        lot_tweet *t = &l->t[i];
        int row = (int)i;
        t->db_id = PQgetvalue(r, row, 0);
        t->tweet_id = PQgetvalue(r, row, 1);
        t->created_at = strtod(PQgetvalue(r, row, 2), NULL);
        t->collected_at = strtod(PQgetvalue(r, row, 3), NULL);
        t->last_obs_at = strtod(PQgetvalue(r, row, 4), NULL);
        t->prev.likes = strtoll(PQgetvalue(r, row, 5), NULL, 10);
        t->prev.retweets = strtoll(PQgetvalue(r, row, 6), NULL, 10);
        t->prev.replies = strtoll(PQgetvalue(r, row, 7), NULL, 10);
        t->prev.quotes = strtoll(PQgetvalue(r, row, 8), NULL, 10);
        t->prev.views = strtoll(PQgetvalue(r, row, 9), NULL, 10);
        t->prev.bookmarks = strtoll(PQgetvalue(r, row, 10), NULL, 10);
        t->prev.has_views = true;
        bool cold = strcmp(PQgetvalue(r, row, 11), "cold") == 0;
        t->next_slot = atoi(PQgetvalue(r, row, 12));
        t->missing_count = atoi(PQgetvalue(r, row, 13));
        t->initial_engagement = strtoll(PQgetvalue(r, row, 14), NULL, 10);
        t->kind = cold ? T_SKIPPED : t->next_slot > p->update_number ? T_CARRIED : T_DUE;
    }
    qsort(l->t, l->n, sizeof *l->t, by_db_id);

    /* Observations: the webhook's value at collection, then each snapshot,
     * in tracking intervals since collection (the policy's time unit). */
    /* A tweet has at most one snapshot per update number: room for those,
     * the webhook's value and the observation about to be made. */
    int nh = PQntuples(l->history);
    const size_t cap = (size_t)c->cfg->max_updates + 2;
    for (size_t i = 0; i < l->n; i++) {
        lot_tweet *t = &l->t[i];
        if (!(t->obs = malloc(cap * sizeof *t->obs)))
            goto out;
        t->obs[0].hours = 0;
        t->obs[0].engagement = t->initial_engagement;
        t->n_obs = 1;
    }
    for (int h = 0; h < nh; h++) {
        lot_tweet *t = find_tweet(l, PQgetvalue(l->history, h, 0));
        if (!t || t->n_obs + 1 >= cap)   /* snapshots beyond a since-lowered TRACKING_MAX_UPDATES */
            continue;
        double at = strtod(PQgetvalue(l->history, h, 1), NULL);
        t->obs[t->n_obs].hours = (at - t->collected_at) / interval;
        t->obs[t->n_obs].engagement = strtoll(PQgetvalue(l->history, h, 2), NULL, 10);
        t->n_obs++;
    }

    /* Ids named by the message but not stored (or not tracked). */
    l->unknown = json_array();
    for (size_t i = 0; i < p->n_tweet_ids; i++) {
        char lower[ET_UUID_LEN + 1];
        size_t k;
        for (k = 0; k < ET_UUID_LEN && p->tweet_ids[i][k]; k++)
            lower[k] = (char)tolower((unsigned char)p->tweet_ids[i][k]);
        lower[k] = '\0';
        if (!find_tweet(l, lower))
            json_array_append_new(l->unknown, json_string(p->tweet_ids[i]));
    }
    st = DB_OK;
out:
    pg_array_free(&ids);
    return st;
}

/* Decide every due tweet from the upstream answer. Pure: no I/O. An answer
 * in which every asked tweet is missing proves nothing (a known upstream
 * incident looked exactly like that): those tweets go on to the next update
 * without a snapshot and stop as not_found only if missing again (or at the
 * last update). A tweet missing while others came back is gone: not_found. */
static int by_found_id(const void *a, const void *b)
{
    return strcmp(((const upstream_found *)a)->id, ((const upstream_found *)b)->id);
}

static void decide(const et_config *cfg, const track_payload *p, lot *l, upstream_batch *b,
                   double threshold, double now)
{
    const policy_params pp = config_policy_params(cfg);
    const double interval = (double)cfg->interval_s;
    size_t due = 0;
    for (size_t i = 0; i < l->n; i++)
        due += l->t[i].kind == T_DUE;
    const bool all_missing = due > 0 && b->n_found == 0;
    if (b->n_found)
        qsort(b->found, b->n_found, sizeof *b->found, by_found_id);

    for (size_t i = 0; i < l->n; i++) {
        lot_tweet *t = &l->t[i];
        if (t->kind != T_DUE)
            continue;
        upstream_found key;
        snprintf(key.id, sizeof key.id, "%s", t->tweet_id);
        const upstream_found *f = b->n_found ? bsearch(&key, b->found, b->n_found, sizeof *b->found,
                                                       by_found_id) : NULL;
        t->new_missing = t->missing_count;
        if (!f) {
            t->new_missing++;
            bool last = p->update_number >= pp.max_slots;
            if (all_missing && !last && t->missing_count == 0) {
                t->keep = true;
                t->new_next_slot = p->update_number + 1;
                t->reason = "missing_unconfirmed";
            } else {
                t->keep = false;
                t->reason = "not_found";
            }
            continue;
        }
        t->found = true;
        t->now = f->metrics;
        /* A missing viewCount keeps the previous value; views never go down. */
        if (!t->now.has_views || t->now.views < t->prev.views)
            t->now.views = t->prev.views;
        t->now.has_views = true;
        long long eng = tweet_metrics_engagement(&t->now);
        double hours_since = (now - t->last_obs_at) / 3600.0;
        t->velocity = (double)(eng - tweet_metrics_engagement(&t->prev)) /
                      (hours_since > 1e-6 ? hours_since : 1e-6);
        t->obs[t->n_obs].hours = (now - t->collected_at) / interval;
        t->obs[t->n_obs].engagement = eng;
        t->n_obs++;
        policy_input in = { .obs = t->obs, .n_obs = t->n_obs, .slot = p->update_number,
                            .age_hours = (now - t->created_at) / interval, .threshold = threshold };
        policy_decision d = policy_decide(cfg->policy, &pp, &in);
        t->keep = d.keep;
        t->new_next_slot = d.keep ? d.next_slot : 0;
        t->reason = d.reason;
        log_debug("msg=\"decision\" lot=%s update=%d tweet=%s engagement=%lld delta=%lld continue=%s reason=%s",
                  p->lot_id, p->update_number, t->tweet_id, eng,
                  eng - (t->n_obs >= 2 ? t->obs[t->n_obs - 2].engagement : 0), d.keep ? "true" : "false",
                  d.reason);
    }
}

/* The whole write of an update in one statement, gated on still holding
 * the claim: metrics, snapshots, tracking rows, the next message, and the
 * claim marked done with the summary a redelivery will be answered. */
static const char WRITE_SQL[] =
    "WITH claim AS ("
    " UPDATE engagement_lot_updates SET done_at = now(), summary = $4::jsonb"
    " WHERE lot_id = $1 AND update_number = $2::int AND claim_token = $3 AND done_at IS NULL"
    " RETURNING 1"
    "), settled AS ("
    " UPDATE engagement_outbox SET done_at = now()"
    " WHERE lot_id = $1 AND update_number = $2::int AND done_at IS NULL AND EXISTS (SELECT 1 FROM claim)"
    "), m AS ("
    " SELECT * FROM unnest($5::uuid[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],"
    "  $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],"
    "  $16::bigint[], $17::float8[])"
    "  AS u(id, likes, retweets, replies, quotes, views, bookmarks, d_likes, d_retweets, d_replies,"
    "  d_quotes, d_views, velocity)"
    " WHERE EXISTS (SELECT 1 FROM claim)"
    "), upd AS ("
    " UPDATE twitter_tweets t SET like_count = m.likes, retweet_count = m.retweets,"
    "  reply_count = m.replies, quote_count = m.quotes, view_count = m.views,"
    "  bookmark_count = m.bookmarks, updated_at = now()"
    " FROM m WHERE t.id = m.id"
    "), hist AS ("
    " INSERT INTO twitter_engagement_history (tweet_id, update_number, lot_id, like_count,"
    "  retweet_count, reply_count, quote_count, view_count, bookmark_count, delta_likes,"
    "  delta_retweets, delta_replies, delta_quotes, delta_views, engagement_velocity, snapshot_at)"
    " SELECT id, $2::int, $1, likes, retweets, replies, quotes, views, bookmarks, d_likes,"
    "  d_retweets, d_replies, d_quotes, d_views, round(velocity::numeric, 4), now() FROM m"
    " ON CONFLICT (tweet_id, update_number) DO NOTHING"
    "), trk AS ("
    " UPDATE twitter_engagement_tracking tr SET tier = u.tier,"
    "  update_count = tr.update_count + u.observed::int, stop_reason = u.reason,"
    "  next_slot = u.next_slot, missing_count = u.missing,"
    "  next_update_at = CASE WHEN u.next_slot IS NULL THEN NULL"
    "   ELSE now() + u.wait_s * interval '1 second' END,"
    "  last_updated_at = CASE WHEN u.observed THEN now() ELSE tr.last_updated_at END"
    " FROM unnest($18::uuid[], $19::text[], $20::bool[], $21::text[], $22::int[], $23::bigint[],"
    "  $24::int[]) AS u(id, tier, observed, reason, next_slot, wait_s, missing)"
    " WHERE tr.tweet_db_id = u.id AND EXISTS (SELECT 1 FROM claim)"
    "), ob AS ("
    " INSERT INTO engagement_outbox (lot_id, update_number, dedup_id, body, tweet_count, not_before,"
    "  claimed_until)"
    " SELECT $1, $25::int, $26, $27, $28::int, now() + $29::bigint * interval '1 second',"
    "  now() + $30::bigint * interval '1 second'"
    " WHERE $25::int > 0 AND EXISTS (SELECT 1 FROM claim)"
    " ON CONFLICT (dedup_id) DO NOTHING"
    " RETURNING id"
    ")"
    " SELECT (SELECT count(*) FROM claim), (SELECT id FROM ob)";

typedef struct {
    size_t processed, continued, stopped, missing, carried, skipped;
    int next_update;            /* 0: none */
    json_t *survivors;          /* ids for the next message */
} tally;

static void count(const lot *l, const track_payload *p, tally *s)
{
    memset(s, 0, sizeof *s);
    s->survivors = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const lot_tweet *t = &l->t[i];
        int next = 0;
        if (t->kind == T_SKIPPED) {
            s->skipped++;
            continue;
        }
        if (t->kind == T_CARRIED) {
            s->carried++;
            next = t->next_slot;
        } else {
            s->processed++;
            if (!t->found)
                s->missing++;
            if (t->keep) {
                s->continued++;
                next = t->new_next_slot;
            } else {
                s->stopped++;
            }
        }
        if (next > p->update_number) {
            json_array_append_new(s->survivors, json_string(t->db_id));
            if (!s->next_update || next < s->next_update)
                s->next_update = next;
        }
    }
}

/* Returns the outbox id of the next message ("" when none) in next_id. */
static db_status write_update(track_ctx *c, const track_payload *p, const lot *l, const tally *s,
                              const char *token, const char *upd, json_t *summary,
                              bool *lost_claim, char next_id[24], char **next_body)
{
    enum { N = 30 };
    const et_config *cfg = c->cfg;
    pg_array a[N];
    const char *params[N] = { 0 };
    char next_upd[16], dedup[200], count_s[24], delay[32], lease[32];
    char *summary_text = json_dumps(summary, JSON_COMPACT), *body = NULL;
    PGresult *r = NULL;
    db_status st = DB_FAILED;

    for (int i = 0; i < N; i++)
        pg_array_init(&a[i]);
    for (size_t i = 0; i < l->n; i++) {
        const lot_tweet *t = &l->t[i];
        if (t->kind != T_DUE)
            continue;
        if (t->found) {
            const tweet_metrics *m = &t->now, *o = &t->prev;
            pg_array_add(&a[4], t->db_id);
            pg_array_add_ll(&a[5], m->likes);
            pg_array_add_ll(&a[6], m->retweets);
            pg_array_add_ll(&a[7], m->replies);
            pg_array_add_ll(&a[8], m->quotes);
            pg_array_add_ll(&a[9], m->views);
            pg_array_add_ll(&a[10], m->bookmarks);
            pg_array_add_ll(&a[11], m->likes - o->likes);
            pg_array_add_ll(&a[12], m->retweets - o->retweets);
            pg_array_add_ll(&a[13], m->replies - o->replies);
            pg_array_add_ll(&a[14], m->quotes - o->quotes);
            pg_array_add_ll(&a[15], m->views - o->views);
            pg_array_add_double(&a[16], t->velocity);
        }
        pg_array_add(&a[17], t->db_id);
        pg_array_add(&a[18], t->keep ? "hot" : "cold");
        pg_array_add_bool(&a[19], t->found);
        pg_array_add(&a[20], t->keep ? NULL : t->reason);
        if (t->keep) {
            pg_array_add_ll(&a[21], t->new_next_slot);
            pg_array_add_ll(&a[22], (long long)(t->new_next_slot - p->update_number) * cfg->interval_s);
        } else {
            pg_array_add(&a[21], NULL);
            pg_array_add(&a[22], NULL);
        }
        pg_array_add_ll(&a[23], t->new_missing);
    }

    snprintf(next_upd, sizeof next_upd, "%d", s->next_update);
    snprintf(dedup, sizeof dedup, "%s:%d", p->lot_id, s->next_update);
    snprintf(count_s, sizeof count_s, "%zu", json_array_size(s->survivors));
    snprintf(delay, sizeof delay, "%ld", (long)(s->next_update - p->update_number) * cfg->interval_s);
    snprintf(lease, sizeof lease, "%ld", cfg->outbox_retry_s);
    if (s->next_update) {
        json_t *msg = json_pack("{s:s, s:O, s:i, s:s}", "lotId", p->lot_id, "tweetDbIds", s->survivors,
                                "updateNumber", s->next_update, "zoneId", p->zone_id);
        body = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        json_decref(msg);
        if (!body)
            goto out;
    }
    params[0] = p->lot_id;
    params[1] = upd;
    params[2] = token;
    params[3] = summary_text;
    for (int i = 4; i < 24; i++)
        if (!(params[i] = pg_array_cstr(&a[i])))
            goto out;
    params[24] = next_upd;
    params[25] = dedup;
    params[26] = body ? body : "";
    params[27] = count_s;
    params[28] = delay;
    params[29] = lease;
    if (!summary_text)
        goto out;

    st = db_exec(c->db, &r, WRITE_SQL, N, params);
    if (st != DB_OK)
        goto out;
    *lost_claim = strcmp(PQgetvalue(r, 0, 0), "1") != 0;
    snprintf(next_id, 24, "%s", PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1));
    if (next_id[0]) {
        *next_body = body;
        body = NULL;
    }
out:
    PQclear(r);
    for (int i = 0; i < N; i++)
        pg_array_free(&a[i]);
    free(summary_text);
    free(body);
    return st;
}

static json_t *summary_json(const track_payload *p, const tally *s, const lot *l, double threshold,
                            const upstream_batch *b)
{
    return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:o, s:f, s:I, s:I}",
                     "lotId", p->lot_id, "updateNumber", p->update_number,
                     "processed", (json_int_t)s->processed, "continued", (json_int_t)s->continued,
                     "stopped", (json_int_t)s->stopped, "missing", (json_int_t)s->missing,
                     "carried", (json_int_t)s->carried, "skipped", (json_int_t)s->skipped,
                     "unknown", l->unknown,
                     "nextUpdate", s->next_update ? json_integer(s->next_update) : json_null(),
                     "threshold", threshold, "upstreamCalls", (json_int_t)b->calls,
                     "tweetsFetched", (json_int_t)b->tweets_returned);
}

void track_handle(void *ctx, const http_request *req, http_response *resp)
{
    track_ctx *c = ctx;
    const et_config *cfg = c->cfg;
    track_payload p;
    lot l = { 0 };
    upstream_batch batch = { 0 };
    tally s = { 0 };
    json_t *summary = NULL;
    const char **ids = NULL;
    char err[256], token[33], upd[16], next_id[24] = "";
    char *next_body = NULL;
    bool claimed = false;
    db_status st;

    memset(&p, 0, sizeof p);
    qstash_verify_opts vo = {
        .current_key = cfg->qstash_current_key,
        .next_key = cfg->qstash_next_key,
        .expected_sub = cfg->signature_check_subject ? cfg->track_lot_url : NULL,
        .tolerance_s = cfg->signature_tolerance_s,
    };
    qstash_verdict v = qstash_verify(&vo, http_param(req, "HTTP_UPSTASH_SIGNATURE"),
                                     (const unsigned char *)req->body, req->body_len, time(NULL));
    if (v != QSV_OK) {
        log_warn("msg=\"callback refused: bad signature\" verdict=%s", qstash_verdict_str(v));
        http_error(resp, 401, "unauthorized", "Upstash-Signature: %s", qstash_verdict_str(v));
        goto out;
    }
    if (track_payload_parse(req->body, req->body_len, (int)cfg->max_updates, 10000, &p, err,
                            sizeof err) < 0) {
        log_warn("msg=\"callback refused: bad payload\" error=\"%s\"", err);
        if (strcmp(err, TWEET_ERR_NOMEM) == 0)
            http_error(resp, 503, "unavailable", "server out of memory, retry later");
        else
            http_error(resp, 400, "bad_payload", "%s", err);
        goto out;
    }
    log_info("msg=\"lot update\" lot=%s update=%d tweets=%zu retried=%s", p.lot_id, p.update_number,
             p.n_tweet_ids, http_param(req, "HTTP_UPSTASH_RETRIED") ? http_param(req, "HTTP_UPSTASH_RETRIED") : "0");

    random_hex(token, 16);
    snprintf(upd, sizeof upd, "%d", p.update_number);
    if (claim(c, &p, token, upd, resp) <= 0)
        goto out;
    /* From here every early exit gives the claim back (at out:), so that
     * QStash's retry does not wait for the lease; the write settles it. */
    claimed = true;

    if ((st = load(c, &p, &l)) != DB_OK)
        goto db_failed;

    /* Fetch the due tweets only, in as many calls as the batch size needs. */
    size_t n_due = 0;
    if (l.n && !(ids = malloc(l.n * sizeof *ids))) {
        http_error(resp, 500, "internal", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < l.n; i++)
        if (l.t[i].kind == T_DUE)
            ids[n_due++] = l.t[i].tweet_id;

    /* Threshold, for the tweets decided now: Redis, else the database
     * (never fails on the cache). An update that only carries tweets
     * forward needs none. */
    double threshold = cfg->threshold_floor;
    if (n_due) {
        zone_threshold_opts zo = { .percentile = cfg->threshold_percentile, .floor = cfg->threshold_floor,
                                   .window_s = cfg->threshold_window_s, .ttl_s = cfg->threshold_ttl_s };
        threshold_source src;
        bool cache_err = false;
        if ((st = zone_threshold(c->db, c->cache, p.zone_id, &zo, &threshold, &src, &cache_err)) != DB_OK)
            goto db_failed;
        if (cache_err)
            log_warn("msg=\"redis unavailable, threshold from the database\" zone=%s error=\"%s\"", p.zone_id,
                     cache_error(c->cache));
        log_info("msg=\"zone threshold\" zone=%s threshold=%g source=%s", p.zone_id, threshold,
                 src == THRESHOLD_FROM_CACHE ? "cache" : "database");

        upstream_error ue;
        if (upstream_fetch(c->upstream, ids, n_due, &batch, &ue) < 0) {
            log_warn("msg=\"upstream failed, nothing written, QStash will retry\" lot=%s update=%d "
                     "status=%ld error=\"%s\"", p.lot_id, p.update_number, ue.http_status, ue.message);
            http_error(resp, 503, "upstream_unavailable", "upstream API: HTTP %ld: %s", ue.http_status,
                       ue.message);
            resp->retry_after_s = ue.retry_after_s;
            goto out;
        }
    }

    decide(cfg, &p, &l, &batch, threshold, (double)time(NULL));
    count(&l, &p, &s);
    summary = summary_json(&p, &s, &l, threshold, &batch);
    if (!summary) {
        http_error(resp, 500, "internal", "out of memory");
        goto out;
    }
    bool lost = false;
    st = write_update(c, &p, &l, &s, token, upd, summary, &lost, next_id, &next_body);
    if (st != DB_OK)
        goto db_failed;
    claimed = false;   /* settled by the write, or held by the worker that took it over */
    if (lost) {
        log_warn("msg=\"claim lost to another worker, nothing written\" lot=%s update=%d", p.lot_id,
                 p.update_number);
        http_error(resp, 503, "in_progress", "this update was taken over; retry later");
        resp->retry_after_s = 10;
        goto out;
    }
    log_info("msg=\"lot update done\" lot=%s update=%d processed=%zu continued=%zu stopped=%zu "
             "missing=%zu carried=%zu upstream_calls=%zu",
             p.lot_id, p.update_number, s.processed, s.continued, s.stopped, s.missing, s.carried,
             batch.calls);
    if (next_id[0]) {
        outbox_pending *pd = &c->pending;
        outbox_pending_clear(pd);
        snprintf(pd->id, sizeof pd->id, "%s", next_id);
        snprintf(pd->lot_id, sizeof pd->lot_id, "%s", p.lot_id);
        snprintf(pd->dedup_id, sizeof pd->dedup_id, "%s:%d", p.lot_id, s.next_update);
        pd->update_number = s.next_update;
        pd->delay_s = (long)(s.next_update - p.update_number) * cfg->interval_s;
        pd->body = next_body;           /* taken over */
        next_body = NULL;
        log_info("msg=\"scheduling next update\" lot=%s update=%d tweets=%zu", p.lot_id, s.next_update,
                 json_array_size(s.survivors));
    }
    http_json(resp, 200, summary);
    summary = NULL;
    goto out;
db_failed:
    answer_db_failure(resp, c->db, st, p.lot_id);
out:
    if (claimed)
        release(c, &p, token, upd);
    json_decref(summary);
    json_decref(s.survivors);
    free(next_body);
    free(ids);
    upstream_batch_free(&batch);
    lot_free(&l);
    track_payload_free(&p);
}

void track_after(void *ctx)
{
    track_ctx *c = ctx;
    outbox_opts o = outbox_opts_from_config(c->cfg, &c->qstash_breaker);
    outbox_publish_pending(c->db, c->qstash, &o, &c->pending);
    outbox_flush_due(c->db, c->qstash, &o, &c->last_flush);
}
