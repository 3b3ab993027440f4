/* ctl_evaluate.c - `engagementctl evaluate`: the offline evaluator
 * (lib/replay_cli.c), plus the product's own history as an input. */
#include "ctl.h"
#include "db.h"
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every finished tweet: its webhook value and its snapshots by update. */
static const char HISTORY_SQL[] =
    "SELECT tr.tweet_db_id::text, tr.initial_engagement,"
    " coalesce(string_agg(h.update_number || ':' || h.total_engagement, ',' ORDER BY h.update_number), '')"
    " FROM twitter_engagement_tracking tr"
    " LEFT JOIN twitter_engagement_history h ON h.tweet_id = tr.tweet_db_id"
    " WHERE tr.tier = 'cold'"
    " GROUP BY tr.tweet_db_id, tr.initial_engagement";

/* A trajectory from observations at some of the updates 1..6: linear
 * between them, flat after the last. Nothing is known past 6 h, so the
 * 7 h value repeats the 6 h one (missed growth there is not measurable). */
static void fill(trajectory *t, const double *known, const bool *has)
{
    int last = 0;
    for (int k = 1; k < REPLAY_POINTS - 1; k++) {
        if (!has[k])
            continue;
        for (int j = last + 1; j < k; j++)
            t->v[j] = known[last] + (known[k] - known[last]) * (j - last) / (double)(k - last);
        t->v[k] = known[k];
        last = k;
    }
    for (int j = last + 1; j < REPLAY_POINTS; j++)
        t->v[j] = known[last];
}

static int load_history(void *ctx, trajectory_set *s, char *err, size_t errlen)
{
    const et_config *cfg = ctx;
    db *d = db_new(cfg->database_url);
    PGresult *r = NULL;
    int rc = -1;
    if (!d || db_exec(d, &r, HISTORY_SQL, 0, NULL) != DB_OK) {
        snprintf(err, errlen, "%s", d ? db_error(d) : "out of memory");
        goto out;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        trajectory t;
        double known[REPLAY_POINTS] = { 0 };
        bool has[REPLAY_POINTS] = { false };
        memset(&t, 0, sizeof t);
        snprintf(t.id, sizeof t.id, "%s", PQgetvalue(r, i, 0));
        known[0] = strtod(PQgetvalue(r, i, 1), NULL);
        has[0] = true;
        for (char *p = PQgetvalue(r, i, 2); *p;) {
            char *end;
            long k = strtol(p, &end, 10);
            if (*end != ':')
                break;
            double v = strtod(end + 1, &end);
            if (k >= 1 && k < REPLAY_POINTS - 1) {
                known[k] = v;
                has[k] = true;
            }
            p = *end == ',' ? end + 1 : end;
        }
        fill(&t, known, has);
        if (trajectory_set_add(s, &t) < 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    PQclear(r);
    db_free(d);
    return rc;
}

int ctl_evaluate(const et_config *cfg, int argc, char **argv)
{
    return replay_cli_main_with(argc, argv, load_history, (void *)cfg);
}
