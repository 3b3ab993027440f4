/* qstash.h - Upstash QStash: the publish client and the verification of
 * the `Upstash-Signature` JWT on deliveries. No database, no logging. */
#ifndef ET_QSTASH_H
#define ET_QSTASH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- signature verification ---- */

typedef enum {
    QSV_OK = 0,
    QSV_MISSING,        /* no token */
    QSV_MALFORMED,      /* not a compact JWS / bad JSON / bad base64url */
    QSV_BAD_ALG,        /* anything but HS256 (none, HS384, RS256, ...) */
    QSV_BAD_SIGNATURE,  /* MAC matches neither key */
    QSV_BAD_ISSUER,     /* iss != "Upstash" */
    QSV_EXPIRED,        /* exp missing, <= 0, or past (beyond tolerance) */
    QSV_NOT_YET_VALID,  /* nbf in the future (beyond tolerance) */
    QSV_BAD_SUBJECT,    /* sub != expected_sub (when expected_sub is set) */
    QSV_BAD_BODY        /* body claim != base64url(sha256(raw body)), '=' padding ignored */
} qstash_verdict;

typedef struct {
    const char *current_key;  /* raw bytes of "sig_..." are the HMAC key; must be non-empty */
    const char *next_key;     /* must be non-empty */
    const char *expected_sub; /* NULL or "" skips the subject check */
    long tolerance_s;         /* clock tolerance for exp / nbf */
} qstash_verify_opts;

/* Verify a delivery: try the current key, then the next key; a token is
 * valid when every check passes with one of them. MACs are compared in
 * constant time. `now` is the verifier's clock (injected for tests). */
qstash_verdict qstash_verify(const qstash_verify_opts *opts, const char *token,
                             const unsigned char *body, size_t body_len, time_t now);
const char *qstash_verdict_str(qstash_verdict v);

/* ---- publish ---- */

/* Normalise QSTASH_URL: "https://host[:port]" with an optional single
 * trailing '/'. Any path, query, or missing http(s) scheme is refused.
 * Writes the base without trailing '/' to out. Returns 0 or -1. */
int qstash_normalize_base(const char *in, char *out, size_t outlen);

typedef struct qstash_client qstash_client;

typedef struct {
    long http_status;        /* 0 when the request never got an answer */
    char message_id[128];    /* from {"messageId": ...} on 2xx */
    bool deduplicated;       /* {"deduplicated": true} */
    long retry_after_s;      /* from Retry-After / RateLimit-Reset on 429, else -1 */
    char error[256];         /* curl error or the answer's "error" text */
} qstash_result;

/* New client (one per thread: it owns a CURL easy handle so connections are
 * reused). base_url must already be normalised. Returns NULL on OOM. */
qstash_client *qstash_client_new(const char *base_url, const char *token, long timeout_ms);
void qstash_client_free(qstash_client *c);   /* accepts NULL */

/* POST {base}/v2/publish/{destination} with Authorization: Bearer,
 * Content-Type: application/json, Upstash-Delay: <delay_s>s,
 * Upstash-Deduplication-Id (when dedup_id is non-NULL), Upstash-Retries
 * (when retries >= 0). Returns 0 on any 2xx (deduplicated included), -1
 * otherwise with res filled. */
int qstash_publish(qstash_client *c, const char *destination, const char *body, size_t body_len,
                   long delay_s, const char *dedup_id, int retries, qstash_result *res);

#endif
