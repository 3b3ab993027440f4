/* ctl_report.c - report and plot (placeholder until the report lands). */
#include "ctl.h"

#include <stdio.h>

int ctl_report(const et_config *cfg, int argc, char **argv)
{
    (void)cfg; (void)argc; (void)argv;
    fprintf(stderr, "engagementctl report: not built yet\n");
    return 1;
}

int ctl_plot(const et_config *cfg, int argc, char **argv)
{
    (void)cfg; (void)argc; (void)argv;
    fprintf(stderr, "engagementctl plot: not built yet\n");
    return 1;
}
