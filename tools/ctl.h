/* ctl.h - the subcommands of engagementctl, one function each. Each takes
 * the arguments after the command name (argv[0] is the command) and
 * returns the exit status: 0 done, 1 failure, 2 usage error. */
#ifndef ET_CTL_H
#define ET_CTL_H

#include "config.h"

int ctl_migrate(const et_config *cfg, int argc, char **argv);
int ctl_flush_outbox(const et_config *cfg, int argc, char **argv);
int ctl_replay(const et_config *cfg, int argc, char **argv);
int ctl_zone_stats(const et_config *cfg, int argc, char **argv);
int ctl_report(const et_config *cfg, int argc, char **argv);
int ctl_plot(const et_config *cfg, int argc, char **argv);
int ctl_evaluate(const et_config *cfg, int argc, char **argv);

/* The value of --name in argv, or NULL. */
const char *ctl_option(int argc, char **argv, const char *name);

#endif
