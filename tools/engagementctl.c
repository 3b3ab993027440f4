/* engagementctl - the operator's command: schema, outbox, parked
 * deliveries, reports, zone figures, the policy evaluator. */
#include "config.h"
#include "ctl.h"
#include "db.h"
#include "log.h"
#include "replay.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: engagementctl COMMAND [options]\n"
            "\n"
            "commands:\n"
            "  migrate [--schema DIR]     apply the pending schema migrations\n"
            "  flush-outbox [--limit N]   publish lots whose scheduling on QStash failed\n"
            "  replay [--limit N]         store parked deliveries whose rule now exists\n"
            "  report [--zone UUID] [--json]\n"
            "                             counts, tiers, stop reasons, API economy, monitoring queries\n"
            "  zone-stats --zone UUID     count, P25/P50/P75, mean and the current threshold\n"
            "  plot [--zone UUID | --tweet UUID] [--top N] [--out FILE.svg]\n"
            "                             SVG chart of engagement curves from the history\n"
            "  evaluate [--policy NAME|all] [--from-db] FILE...\n"
            "                             replay trajectories (cascade .tsv or .csv, or with\n"
            "                             --from-db the product's own history) through the\n"
            "                             tracking policies (evaluate --help for details)\n"
            "\n"
            "Settings come from the environment (DATABASE_URL, QSTASH_*, APP_URL, ...: see the README).\n"
            "Exit status: 0 done, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    log_set_app("engagementctl");
    /* The evaluator reads files and needs no settings, unless --from-db. */
    bool from_db = false;
    for (int i = 2; i < argc; i++)
        from_db |= strcmp(argv[i], "--from-db") == 0;
    if (strcmp(cmd, "evaluate") == 0 && !from_db)
        return replay_cli_main(argc - 1, argv + 1);
    /* A subcommand's --help needs no settings either. */
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }

    static const struct {
        const char *name;
        int (*run)(const et_config *cfg, int argc, char **argv);
    } commands[] = {
        { "migrate", ctl_migrate },     { "flush-outbox", ctl_flush_outbox },
        { "replay", ctl_replay },       { "report", ctl_report },
        { "zone-stats", ctl_zone_stats }, { "plot", ctl_plot },
        { "evaluate", ctl_evaluate },
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        et_config cfg;
        char err[512];
        if (config_load(&cfg, CONFIG_CTL, err, sizeof err) < 0) {
            fprintf(stderr, "engagementctl: %s\n", err);
            config_free(&cfg);
            return 1;
        }
        log_min_level = cfg.log_level;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int rc = commands[i].run(&cfg, argc - 1, argv + 1);
        curl_global_cleanup();
        config_free(&cfg);
        return rc;
    }
    fprintf(stderr, "engagementctl: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
