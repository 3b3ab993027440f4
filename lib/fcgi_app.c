/* fcgi_app.c - socket, threads, request loop, signals. */
#include "fcgi_app.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    const fcgi_app *app;
    const et_config *cfg;
    int sock;
    pthread_t tid;
    void *state;
} worker;

static volatile sig_atomic_t stopping;

/* Read the body to EOF, refusing more than max bytes. CONTENT_LENGTH is
 * checked first so an oversized body is refused before it is buffered;
 * the cap still holds when the header lies. Returns 0, or the HTTP status. */
static int read_body(FCGX_Request *rq, long max, char **out, size_t *out_len)
{
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
    long declared = -1;
    if (cl && *cl) {
        if (config_parse_long(cl, 0, 1L << 40, &declared) < 0)
            return 400;
        if (declared > max)
            return 413;
    }
    size_t cap = declared >= 0 ? (size_t)declared + 1 : 65536, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return 500;
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > (size_t)max + 1) {
                free(buf);
                return 413;
            }
            char *tmp = realloc(buf, cap * 2);
            if (!tmp) {
                free(buf);
                return 500;
            }
            buf = tmp;
            cap *= 2;
        }
        int n = FCGX_GetStr(buf + len, (int)(cap - 1 - len), rq->in);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len > (size_t)max) {
            free(buf);
            return 413;
        }
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* Status line first, then headers, then the JSON body. snprintf +
 * FCGX_PutStr, never FCGX_FPrintF (its own printf truncates %zu). */
static void write_response(FCGX_Request *rq, const http_response *resp)
{
    char head[256];
    char *body = resp->json ? json_dumps(resp->json, JSON_COMPACT) : NULL;
    const char *text = body ? body : "{}";
    int n = snprintf(head, sizeof head, "Status: %d %s\r\nContent-Type: application/json\r\n",
                     resp->status, http_reason(resp->status));
    if (resp->retry_after_s >= 0)
        n += snprintf(head + n, sizeof head - (size_t)n, "Retry-After: %ld\r\n", resp->retry_after_s);
    snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n\r\n", strlen(text));
    FCGX_PutStr(head, (int)strlen(head), rq->out);
    FCGX_PutStr(text, (int)strlen(text), rq->out);
    free(body);
}

static void serve_one(worker *w, FCGX_Request *rq)
{
    http_response resp = { .status = 500, .json = NULL, .retry_after_s = -1 };
    http_request req = { .envp = rq->envp };
    char *body = NULL;
    size_t len = 0;

    req.method = FCGX_GetParam("REQUEST_METHOD", rq->envp);
    if (!req.method || strcmp(req.method, "POST") != 0) {
        http_error(&resp, 405, "method_not_allowed", "only POST is accepted");
        goto out;
    }
    int st = read_body(rq, w->app->max_body(w->cfg), &body, &len);
    if (st == 413) {
        http_error(&resp, 413, "body_too_large", "request body exceeds %ld bytes",
                   w->app->max_body(w->cfg));
        goto out;
    }
    if (st) {
        http_error(&resp, st, st == 400 ? "bad_content_length" : "internal",
                   st == 400 ? "CONTENT_LENGTH is not a number" : "out of memory");
        goto out;
    }
    req.body = body;
    req.body_len = len;
    w->app->handle(w->state, &req, &resp);
out:
    write_response(rq, &resp);
    http_response_free(&resp);
    free(body);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    FCGX_Request rq;
    if (FCGX_InitRequest(&rq, w->sock, 0) != 0)
        return NULL;
    while (!stopping) {
        if (FCGX_Accept_r(&rq) < 0)
            break;   /* the socket was shut down: we are stopping */
        serve_one(w, &rq);
        FCGX_Finish_r(&rq);
        if (w->app->after)
            w->app->after(w->state);
    }
    FCGX_Free(&rq, 1);
    return NULL;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--listen ADDR]\n"
            "  A FastCGI responder. Without --listen (or FCGI_LISTEN) it serves the\n"
            "  listening socket inherited on fd 0 (spawn-fcgi, systemd socket units).\n"
            "  ADDR is ':PORT', 'HOST:PORT' or a unix socket path.\n"
            "  Settings come from the environment; see the README.\n", prog);
}

int fcgi_app_main(const fcgi_app *app, int argc, char **argv)
{
    et_config cfg;
    char err[512];
    const char *listen_arg = NULL;
    int rc = 1, sock = 0;
    worker *workers = NULL;
    long started = 0;

    log_set_app(app->name);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_arg = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(argv[0]);
            return 0;
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (config_load(&cfg, app->config_program, err, sizeof err) < 0) {
        log_write(LOG_ERROR, "msg=\"invalid configuration, not starting\" error=\"%s\"", err);
        config_free(&cfg);
        return 1;
    }
    log_min_level = cfg.log_level;
    if (listen_arg) {
        free(cfg.listen);
        cfg.listen = strdup(listen_arg);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || FCGX_Init() != 0) {
        log_error("msg=\"library initialisation failed\"");
        goto out;
    }
    if (cfg.listen && cfg.listen[0]) {
        sock = FCGX_OpenSocket(cfg.listen, 1024);
        if (sock < 0) {
            log_error("msg=\"cannot listen\" listen=%s error=\"%s\"", cfg.listen, strerror(errno));
            goto out;
        }
    }
    config_log(&cfg);

    /* Block the stop signals in every thread; the main thread waits for
     * them with sigwait. A write to a vanished peer must not kill us. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!(workers = calloc((size_t)cfg.threads, sizeof *workers)))
        goto out;
    for (long i = 0; i < cfg.threads; i++) {
        worker *w = &workers[i];
        w->app = app;
        w->cfg = &cfg;
        w->sock = sock;
        if (!(w->state = app->thread_init(&cfg))) {
            log_error("msg=\"thread initialisation failed\"");
            goto stop_workers;
        }
        if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            app->thread_free(w->state);
            goto stop_workers;
        }
        started++;
    }
    log_info("msg=\"ready\" threads=%ld", cfg.threads);

    int sig = 0;
    sigwait(&stop, &sig);
    log_info("msg=\"stopping\" signal=%d", sig);
    rc = 0;
stop_workers:
    stopping = 1;
    /* Wake the threads blocked in accept(); requests in flight finish. */
    shutdown(sock, SHUT_RDWR);
    for (long i = 0; i < started; i++) {
        pthread_join(workers[i].tid, NULL);
        app->thread_free(workers[i].state);
    }
out:
    free(workers);
    config_free(&cfg);
    curl_global_cleanup();
    return rc;
}
