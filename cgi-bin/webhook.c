/* webhook.fcgi - receives the upstream's webhook deliveries.
 * All the work is in the library (lib/webhook.c). */
#include "fcgi_app.h"
#include "webhook.h"

static long max_body(const et_config *cfg) { return cfg->max_body_bytes; }

int main(int argc, char **argv)
{
    static const fcgi_app app = {
        .name = "webhook",
        .config_program = CONFIG_WEBHOOK,
        .thread_init = webhook_thread_init,
        .thread_free = webhook_thread_free,
        .handle = webhook_handle,
        .after = webhook_after,
        .max_body = max_body,
    };
    return fcgi_app_main(&app, argc, argv);
}
