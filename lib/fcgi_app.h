/* fcgi_app.h - the FastCGI responder shell shared by both executables:
 * configuration, the listening socket (inherited on fd 0 from spawn-fcgi or
 * systemd, or bound from FCGI_LISTEN), a pool of threads each with its own
 * state (database connection, HTTP clients), and a clean stop on SIGTERM. */
#ifndef ET_FCGI_APP_H
#define ET_FCGI_APP_H

#include "config.h"
#include "http.h"

typedef struct {
    const char *name;              /* for logs: "webhook", "track-lot" */
    unsigned config_program;       /* CONFIG_WEBHOOK or CONFIG_TRACK */
    /* Per-thread state; NULL return stops the process at start. */
    void *(*thread_init)(const et_config *cfg);
    void (*thread_free)(void *state);
    /* Answer one request; body already read and within max_body. */
    void (*handle)(void *state, const http_request *req, http_response *resp);
    /* Optional: runs after the answer was sent and the request finished
     * (publishing to QStash happens here, off the caller's latency). */
    void (*after)(void *state);
    /* Body limit in bytes (larger: 413 before anything is buffered). */
    long (*max_body)(const et_config *cfg);
} fcgi_app;

/* The whole life of a responder process. Returns the exit code. */
int fcgi_app_main(const fcgi_app *app, int argc, char **argv);

#endif
