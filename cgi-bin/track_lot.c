/* track-lot.fcgi - receives QStash's delayed callbacks, one per lot update.
 * All the work is in the library (lib/track.c). */
#include "fcgi_app.h"
#include "track.h"

/* A lot body is small: ids of at most TRACK_MAX_IDS tweets. */
static long max_body(const et_config *cfg)
{
    (void)cfg;
    return 1L << 20;
}

int main(int argc, char **argv)
{
    static const fcgi_app app = {
        .name = "track-lot",
        .config_program = CONFIG_TRACK,
        .thread_init = track_thread_init,
        .thread_free = track_thread_free,
        .handle = track_handle,
        .after = track_after,
        .max_body = max_body,
    };
    return fcgi_app_main(&app, argc, argv);
}
