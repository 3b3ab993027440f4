/* replay_cli.c - `engagementctl evaluate`: replays trajectory files through
 * the tracking policies and prints the measures of the README, "Measuring a policy".
 * Options are parsed by hand (no getopt: no global state, callable twice). */
#include "replay.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_CLI_OK 0
#define REPLAY_CLI_IO 1
#define REPLAY_CLI_USAGE 2

/* The order of the table: the reference first. */
static const policy_kind replay_cli_order[POLICY__COUNT] = {
    POLICY_BLIND, POLICY_DEFAULT, POLICY_BACKOFF, POLICY_ADAPTIVE,
};

typedef struct {
    bool all;
    policy_kind policy;
    bool csv;
    replay_options opt;
} replay_cli_args;

static void replay_cli_usage(FILE *f)
{
    fputs("usage: evaluate [--policy NAME|all] [--lot-size N] [--batch-size N] [--csv] [--from-db] FILE...\n"
          "\n"
          "Replays engagement trajectories through the tracking policies and prints,\n"
          "per file and policy: tweets, polls per tweet, upstream calls, credits,\n"
          "curve error and missed growth (see the README, section Measuring a policy).\n"
          "\n"
          "  FILE             *.tsv: cascades (cascade_id, label, n_events, rel_times_sec)\n"
          "                   *.csv: trajectories (cascade_id,label,t0_5min,h1,...,h7)\n"
          "  --policy NAME    default, backoff, adaptive, blind or all (default: all)\n"
          "  --lot-size N     tweets per lot when grouping polls into calls (default 20)\n"
          "  --batch-size N   tweet ids per upstream call (default 50)\n"
          "  --csv            print comma-separated values instead of a table\n"
          "  --from-db        also the product's own history (engagementctl; needs DATABASE_URL):\n"
          "                   each tracked tweet's webhook value and snapshots, linear between\n"
          "                   them, as a trajectory (blind tracking gives exact curves)\n"
          "  --help           print this help\n"
          "\n"
          "Threshold: max(1, P25 of the 5-minute values of the file).\n"
          "Exit status: 0 ok, 1 a file could not be read, 2 usage error.\n",
          f);
}

/* Strict positive size: decimal digits only, 1 .. 1000000. */
static int replay_cli_size(const char *s, size_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 1000000)
        return -1;
    *out = (size_t)v;
    return 0;
}

static bool replay_cli_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The value of option `name` given as `--name=value` or `--name value`.
 * Returns 1 when arg is that option (value set, NULL if missing), else 0. */
static int replay_cli_value(const char *name, int argc, char **argv, int *i, const char **value)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (strncmp(arg, name, len) != 0)
        return 0;
    if (arg[len] == '=') {
        *value = arg + len + 1;
        return 1;
    }
    if (arg[len] != '\0')
        return 0;
    *value = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

/* Evaluate one set and print its table. */
static int replay_cli_report(const char *path, const trajectory_set *set, const replay_cli_args *a)
{
    replay_result res[POLICY__COUNT];
    policy_kind kinds[POLICY__COUNT];
    int nres = 0;
    for (int i = 0; i < POLICY__COUNT; i++) {
        policy_kind k = replay_cli_order[i];
        if (!a->all && k != a->policy)
            continue;
        if (replay_run(k, &a->opt, set, &res[nres]) < 0) {
            fprintf(stderr, "evaluate: %s: replay of %s failed (out of memory?)\n", path,
                    policy_name(k));
            return REPLAY_CLI_IO;
        }
        kinds[nres++] = k;
    }

    if (!a->csv) {
        printf("%s: %zu tweets, threshold %g = max(%g, P%g of the 5-min values), "
               "lots of %zu, calls of <= %zu ids\n",
               path, set->n, res[0].threshold, a->opt.floor, 100 * a->opt.percentile,
               a->opt.lot_size, a->opt.batch_size);
        printf("%-9s %7s %11s %8s %11s %12s %14s\n", "policy", "tweets", "polls/tweet", "calls",
               "credits", "curve error", "missed growth");
    }
    for (int i = 0; i < nres; i++) {
        const replay_result *r = &res[i];
        if (a->csv)
            printf("%s,%s,%zu,%.4f,%zu,%lld,%.4f,%.4f,%g\n", path, policy_name(kinds[i]),
                   r->tweets, r->polls_per_tweet, r->calls, r->credits, 100 * r->curve_error,
                   100 * r->missed_growth, r->threshold);
        else
            printf("%-9s %7zu %11.2f %8zu %11lld %10.1f %% %12.1f %%\n", policy_name(kinds[i]),
                   r->tweets, r->polls_per_tweet, r->calls, r->credits, 100 * r->curve_error,
                   100 * r->missed_growth);
    }
    if (!a->csv)
        putchar('\n');
    return REPLAY_CLI_OK;
}

static int replay_cli_file(const char *path, const replay_cli_args *a)
{
    trajectory_set set = { NULL, 0, 0 };
    char err[256] = "";
    int rc = REPLAY_CLI_IO;
    FILE *in = fopen(path, "r");

    if (in == NULL) {
        fprintf(stderr, "evaluate: %s: %s\n", path, strerror(errno));
        goto out;
    }
    int loaded = replay_cli_ends_with(path, ".tsv")
                     ? trajectory_load_cascades(in, &set, err, sizeof err)
                     : trajectory_load_csv(in, &set, err, sizeof err);
    if (loaded < 0) {
        fprintf(stderr, "evaluate: %s: %s\n", path, err);
        goto out;
    }
    rc = replay_cli_report(path, &set, a);
out:
    if (in != NULL)
        fclose(in);
    trajectory_set_free(&set);
    return rc;
}

int replay_cli_main(int argc, char **argv) { return replay_cli_main_with(argc, argv, NULL, NULL); }

int replay_cli_main_with(int argc, char **argv, replay_loader loader, void *ctx)
{
    bool from_db = false;
    replay_cli_args a;
    memset(&a, 0, sizeof a);
    a.all = true;
    replay_options_default(&a.opt);

    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            replay_cli_usage(stdout);
            return REPLAY_CLI_OK;
        } else if (strcmp(arg, "--csv") == 0) {
            a.csv = true;
        } else if (loader && strcmp(arg, "--from-db") == 0) {
            from_db = true;
        } else if (replay_cli_value("--policy", argc, argv, &i, &val)) {
            if (val != NULL && strcmp(val, "all") == 0) {
                a.all = true;
            } else if (val != NULL && policy_parse(val, &a.policy) == 0) {
                a.all = false;
            } else {
                fprintf(stderr, "evaluate: --policy: expected default, backoff, adaptive, blind or all\n");
                return REPLAY_CLI_USAGE;
            }
        } else if (replay_cli_value("--lot-size", argc, argv, &i, &val)) {
            if (replay_cli_size(val, &a.opt.lot_size) < 0) {
                fprintf(stderr, "evaluate: --lot-size: expected an integer 1..1000000\n");
                return REPLAY_CLI_USAGE;
            }
        } else if (replay_cli_value("--batch-size", argc, argv, &i, &val)) {
            if (replay_cli_size(val, &a.opt.batch_size) < 0) {
                fprintf(stderr, "evaluate: --batch-size: expected an integer 1..1000000\n");
                return REPLAY_CLI_USAGE;
            }
        } else {
            fprintf(stderr, "evaluate: unknown option %s\n", arg);
            replay_cli_usage(stderr);
            return REPLAY_CLI_USAGE;
        }
    }
    if (i >= argc && !from_db) {
        fprintf(stderr, "evaluate: no FILE given\n");
        replay_cli_usage(stderr);
        return REPLAY_CLI_USAGE;
    }
    for (int j = i; j < argc; j++) {
        if (!replay_cli_ends_with(argv[j], ".tsv") && !replay_cli_ends_with(argv[j], ".csv")) {
            fprintf(stderr, "evaluate: %s: expected a .tsv (cascades) or .csv (trajectories) file\n",
                    argv[j]);
            return REPLAY_CLI_USAGE;
        }
    }

    int rc = REPLAY_CLI_OK;
    if (from_db) {
        trajectory_set set = { NULL, 0, 0 };
        char err[256] = "";
        if (loader(ctx, &set, err, sizeof err) < 0) {
            fprintf(stderr, "evaluate: database history: %s\n", err);
            rc = REPLAY_CLI_IO;
        } else if (replay_cli_report("database history", &set, &a) != REPLAY_CLI_OK) {
            rc = REPLAY_CLI_IO;
        }
        trajectory_set_free(&set);
    }
    for (; i < argc; i++) {
        if (replay_cli_file(argv[i], &a) != REPLAY_CLI_OK)
            rc = REPLAY_CLI_IO;
        fflush(stdout);
    }
    return rc;
}
