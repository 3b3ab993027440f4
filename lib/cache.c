/* cache.c - Redis through hiredis with timeouts and back-off. */
#include "cache.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_AFTER_FAILURE_S 2

struct cache {
    char host[256];
    int port, dbnum;
    char password[256];
    struct timeval timeout;
    redisContext *ctx;
    time_t down_until;       /* no reconnect attempt before this */
    char err[256];
};

static int parse_url(cache *c, const char *url)
{
    const char *p = url + strlen("redis://");
    const char *at = strchr(p, '@');
    if (strncmp(url, "redis://", 8) != 0)
        return -1;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n >= sizeof c->password)
            return -1;
        memcpy(c->password, pw, n);
        c->password[n] = '\0';
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof c->host)
        return -1;
    memcpy(c->host, p, hl);
    c->host[hl] = '\0';
    p += hl;
    c->port = 6379;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (port <= 0 || port > 65535)
            return -1;
        c->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1]) {
        char *end;
        long dbn = strtol(p + 1, &end, 10);
        if (*end || dbn < 0 || dbn > 1000)
            return -1;
        c->dbnum = (int)dbn;
    }
    return 0;
}

cache *cache_new(const char *url, long timeout_ms)
{
    cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (parse_url(c, url) < 0) {
        free(c);
        return NULL;
    }
    c->timeout.tv_sec = timeout_ms / 1000;
    c->timeout.tv_usec = (timeout_ms % 1000) * 1000;
    return c;
}

static void drop(cache *c, const char *why)
{
    snprintf(c->err, sizeof c->err, "%s", why);
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
    c->down_until = time(NULL) + RETRY_AFTER_FAILURE_S;
}

void cache_free(cache *c)
{
    if (!c)
        return;
    if (c->ctx)
        redisFree(c->ctx);
    free(c);
}

const char *cache_error(const cache *c) { return c->err; }

/* A connected context, or NULL (back-off running or connect failed). */
static redisContext *connected(cache *c)
{
    if (c->ctx)
        return c->ctx;
    if (time(NULL) < c->down_until)
        return NULL;
    /* The connect timeout covers the connect only: set the command timeout
     * too (hiredis 0.14). */
    c->ctx = redisConnectWithTimeout(c->host, c->port, c->timeout);
    if (!c->ctx || c->ctx->err) {
        drop(c, c->ctx ? c->ctx->errstr : "out of memory");
        return NULL;
    }
    redisSetTimeout(c->ctx, c->timeout);
    redisReply *r;
    if (c->password[0]) {
        r = redisCommand(c->ctx, "AUTH %s", c->password);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        freeReplyObject(r);
        if (!ok) {
            drop(c, "AUTH failed");
            return NULL;
        }
    }
    if (c->dbnum) {
        r = redisCommand(c->ctx, "SELECT %d", c->dbnum);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        freeReplyObject(r);
        if (!ok) {
            drop(c, "SELECT failed");
            return NULL;
        }
    }
    return c->ctx;
}

/* Run one command; NULL means it failed and the connection was dropped. A
 * connection that died while idle (Redis restarted) gets one immediate
 * reconnect, so a restart costs no request its cache. */
static redisReply *command(cache *c, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->ctx != NULL;
        if (!connected(c))
            return NULL;
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(c->ctx, fmt, ap);
        va_end(ap);
        if (r)
            return r;
        drop(c, c->ctx->errstr[0] ? c->ctx->errstr : "no reply");
        if (!reused)
            return NULL;
        c->down_until = 0;   /* retry the connect now */
    }
    return NULL;
}

int cache_get(cache *c, const char *key, char *out, size_t outlen)
{
    redisReply *r = command(c, "GET %s", key);
    if (!r)
        return -1;
    int rc;
    if (r->type == REDIS_REPLY_NIL) {
        rc = 0;
    } else if (r->type == REDIS_REPLY_STRING && r->len < outlen) {
        memcpy(out, r->str, r->len);
        out[r->len] = '\0';
        rc = 1;
    } else {
        snprintf(c->err, sizeof c->err, "unexpected reply to GET");
        rc = -1;
    }
    freeReplyObject(r);
    return rc;
}

int cache_set(cache *c, const char *key, const char *value, long ttl_s)
{
    redisReply *r = command(c, "SET %s %s EX %ld", key, value, ttl_s);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (rc)
        snprintf(c->err, sizeof c->err, "SET refused: %s", r->type == REDIS_REPLY_ERROR ? r->str : "?");
    freeReplyObject(r);
    return rc;
}
