/* cache.h - a small Redis cache client (hiredis 0.14: no TLS, RESP2).
 * Lazily connected, with command timeouts; any failure is reported and
 * the connection dropped, so the caller falls back and the next call
 * reconnects. After a failure, connecting is not retried for a short
 * back-off, so a dead Redis costs nothing per request. */
#ifndef ET_CACHE_H
#define ET_CACHE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cache cache;

/* url: redis://[:password@]host:port[/db]. Returns NULL on a bad URL or OOM. */
cache *cache_new(const char *url, long timeout_ms);
void cache_free(cache *c);   /* accepts NULL */

/* GET key into out (NUL-terminated). Returns 1 found, 0 missing, -1 error. */
int cache_get(cache *c, const char *key, char *out, size_t outlen);
/* SET key value EX ttl_s. Returns 0 or -1. */
int cache_set(cache *c, const char *key, const char *value, long ttl_s);
const char *cache_error(const cache *c);

#endif
