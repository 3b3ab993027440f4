/* replay.h - the offline evaluator: replays engagement trajectories through
 * a tracking policy and measures it (the README, "Measuring a policy"). Pure except for
 * the loaders, which read a FILE*. */
#ifndef ET_REPLAY_H
#define ET_REPLAY_H

#include <stdio.h>
#include "policy.h"

#define REPLAY_POINTS 8      /* cumulative engagement at 5 min, 1 h, 2 h, ... 7 h after posting */

typedef struct {
    char id[96];
    double v[REPLAY_POINTS];
} trajectory;

typedef struct {
    trajectory *items;       /* owned */
    size_t n, cap;
} trajectory_set;

void trajectory_set_free(trajectory_set *s);   /* accepts NULL; leaves it empty */
int trajectory_set_add(trajectory_set *s, const trajectory *t);  /* 0 or -1 (OOM) */

/* Cascade TSV: header line, then `cascade_id<TAB>label<TAB>n_events<TAB>t1,t2,...`
 * (event times in seconds after posting, sorted). Cumulative counts at the
 * REPLAY_POINTS instants (an event at exactly t counts at t). Appends to s.
 * Returns 0, or -1 with err naming the line. */
int trajectory_load_cascades(FILE *in, trajectory_set *s, char *err, size_t errlen);
/* CSV: `cascade_id,label,t0_5min,h1,...,h7` with a header line. */
int trajectory_load_csv(FILE *in, trajectory_set *s, char *err, size_t errlen);

typedef struct {
    size_t lot_size;         /* tweets per lot when grouping polls into calls (default 20) */
    size_t batch_size;       /* ids per upstream call (default 50) */
    double percentile;       /* threshold = max(floor, percentile of the 5-min values) */
    double floor;
    policy_params params;
} replay_options;

typedef struct {
    size_t tweets;
    double polls_per_tweet;
    size_t calls;            /* polls grouped per lot and slot into calls of batch_size */
    long long credits;       /* 15 per returned tweet, minimum 15 per call */
    double curve_error;      /* fraction, 0..; see the README, "Measuring a policy" */
    double missed_growth;    /* fraction 0..1 */
    double threshold;        /* the threshold used */
} replay_result;

void replay_options_default(replay_options *o);
int replay_run(policy_kind k, const replay_options *o, const trajectory_set *s, replay_result *out);

/* `engagementctl evaluate [--policy NAME|all] [--lot-size N] [--batch-size N]
 * [--csv] FILE...`: argv[0] is the subcommand's name ("evaluate"), as the
 * operator command passes argc - 1, argv + 1. Prints a table per file on
 * stdout, errors on stderr. Returns the exit status: 0 ok, 1 a file could
 * not be read or parsed, 2 usage error (--help: 0). */
int replay_cli_main(int argc, char **argv);

/* Trajectories from somewhere other than a file (the product's own
 * history). Returns 0, or -1 with err set. */
typedef int (*replay_loader)(void *ctx, trajectory_set *s, char *err, size_t errlen);
/* replay_cli_main, with `--from-db` accepted when loader is non-NULL: the
 * loader's set is evaluated as one more input, named "database history". */
int replay_cli_main_with(int argc, char **argv, replay_loader loader, void *ctx);

#endif
