/* fuzz_qstash_verify.c - libFuzzer target: qstash_verify() with fixed keys
 * and a fixed clock.
 *
 * Input: one flag byte, then
 *   raw mode    (flags bit 0 clear): <token> '\n' <body>
 *   signed mode (flags bit 0 set):   <header JSON> '\n' <claims JSON> '\n' <body>
 * In signed mode the harness base64url-encodes header and claims and signs
 * them with one of the two keys (bit 1: next key), so that mutations reach
 * the header and claim checks instead of dying on the MAC. Every "@BODY@"
 * in the claims becomes base64url(SHA-256(body)) (bit 3: '=' padded), so
 * the body check can pass too. Bit 2 sets expected_sub.
 *
 * Properties checked beyond "no crash": a token signed with a configured
 * key never fails on its signature, the same token signed with another key
 * never passes it, both keys are accepted in either role, and an accepted
 * token refuses any other body. make_seeds.py writes seeds in both modes
 * with the same keys and clock. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "qstash.h"

#define KEY_CURRENT "sig_fuzzCurrent7kQ2mX9pL4vR8tW"
#define KEY_NEXT "sig_fuzzNext3hJ6nB1cY5zD0gF2s"
#define KEY_WRONG "sig_fuzzWrong5tP8wE2qA6uI9oK1"
#define EXPECTED_SUB "https://tracker.example.org/api/track-lot"
#define NOW ((time_t)1767724260) /* 2026-01-06T18:31:00Z */
#define TOLERANCE 30
#define PLACEHOLDER "@BODY@"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

/* base64url of in[0..len) into out (4 * ceil(len / 3) + 3 bytes), '='
 * padded when pad. Returns the length written (NUL not counted). */
static size_t b64url(const unsigned char *in, size_t len, char *out, int pad)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;

    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    if (len - i >= 1) {
        uint32_t v = (uint32_t)in[i] << 16 | (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (len - i == 2)
            out[o++] = a[v >> 6 & 63];
        while (pad && o % 4)
            out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* Next '\n'-terminated field of [*p, end); the last field runs to end. */
static void next_field(const uint8_t **p, const uint8_t *end, const uint8_t **f, size_t *n)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));

    *f = *p;
    *n = (size_t)((nl ? nl : end) - *p);
    *p = nl ? nl + 1 : end;
}

static qstash_verdict verify(const char *cur, const char *next, int with_sub, const char *token,
                             const unsigned char *body, size_t body_len)
{
    qstash_verify_opts o = {cur, next, with_sub ? EXPECTED_SUB : NULL, TOLERANCE};
    qstash_verdict v = qstash_verify(&o, token, body, body_len, NOW);

    check(v >= QSV_OK && v <= QSV_BAD_BODY);
    check(qstash_verdict_str(v) != NULL);
    return v;
}

/* An accepted token must refuse any other body. */
static void check_body_bound(int with_sub, const char *token, const unsigned char *body,
                             size_t body_len)
{
    unsigned char *other = malloc(body_len + 1);

    if (!other)
        return;
    memcpy(other, body, body_len);
    other[body_len] = 'x';
    check(verify(KEY_CURRENT, KEY_NEXT, with_sub, token, other, body_len + 1) == QSV_BAD_BODY);
    if (body_len > 0) {
        other[body_len / 2] ^= 0x01;
        check(verify(KEY_CURRENT, KEY_NEXT, with_sub, token, other, body_len) == QSV_BAD_BODY);
    }
    free(other);
}

static void raw_mode(int with_sub, const uint8_t *p, const uint8_t *end)
{
    const uint8_t *tok, *body;
    size_t tok_len, body_len;
    char *token;
    qstash_verdict v;

    next_field(&p, end, &tok, &tok_len);
    body = p;
    body_len = (size_t)(end - p);
    if (!(token = malloc(tok_len + 1)))
        return;
    memcpy(token, tok, tok_len);
    token[tok_len] = '\0';
    v = verify(KEY_CURRENT, KEY_NEXT, with_sub, token, body, body_len);
    if (v == QSV_OK) {
        check(verify(KEY_NEXT, KEY_CURRENT, with_sub, token, body, body_len) == QSV_OK);
        check(verify(KEY_WRONG, KEY_WRONG, with_sub, token, body, body_len) ==
              QSV_BAD_SIGNATURE);
        check_body_bound(with_sub, token, body, body_len);
    }
    free(token);
}

/* claims with every PLACEHOLDER replaced by hash; NUL-terminated, malloc'ed. */
static char *substitute(const uint8_t *claims, size_t n, const char *hash)
{
    size_t plen = strlen(PLACEHOLDER), hlen = strlen(hash), o = 0;
    char *out = malloc(n / plen * hlen + n + 1); /* hlen > plen: enough */

    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        if (n - i >= plen && memcmp(claims + i, PLACEHOLDER, plen) == 0) {
            memcpy(out + o, hash, hlen);
            o += hlen;
            i += plen;
        } else {
            out[o++] = (char)claims[i++];
        }
    }
    out[o] = '\0';
    return out;
}

static char *sign(const char *key, const char *header_b64, const char *claims_b64)
{
    size_t hl = strlen(header_b64), cl = strlen(claims_b64);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char *tok = malloc(hl + cl + 2 + 4 * (EVP_MAX_MD_SIZE / 3 + 1) + 3);

    if (!tok)
        return NULL;
    memcpy(tok, header_b64, hl);
    tok[hl] = '.';
    memcpy(tok + hl + 1, claims_b64, cl);
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)tok, hl + 1 + cl, mac,
              &mac_len))
        abort();
    tok[hl + 1 + cl] = '.';
    b64url(mac, mac_len, tok + hl + cl + 2, 0);
    return tok;
}

static void signed_mode(int flags, const uint8_t *p, const uint8_t *end)
{
    const uint8_t *hdr, *clm, *body;
    size_t hdr_len, clm_len, body_len;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hash[64];
    char *claims = NULL, *hdr_b64 = NULL, *clm_b64 = NULL, *good = NULL, *bad = NULL;
    int with_sub = flags & 4;
    qstash_verdict v, w;

    next_field(&p, end, &hdr, &hdr_len);
    next_field(&p, end, &clm, &clm_len);
    body = p;
    body_len = (size_t)(end - p);
    SHA256(body_len ? body : (const unsigned char *)"", body_len, digest);
    b64url(digest, sizeof digest, hash, flags & 8);

    if (!(claims = substitute(clm, clm_len, hash)))
        goto done;
    hdr_b64 = malloc(4 * (hdr_len / 3 + 1) + 3);
    clm_b64 = malloc(4 * (strlen(claims) / 3 + 1) + 3);
    if (!hdr_b64 || !clm_b64)
        goto done;
    b64url(hdr, hdr_len, hdr_b64, 0);
    b64url((const unsigned char *)claims, strlen(claims), clm_b64, 0);
    good = sign(flags & 2 ? KEY_NEXT : KEY_CURRENT, hdr_b64, clm_b64);
    bad = sign(KEY_WRONG, hdr_b64, clm_b64);
    if (!good || !bad)
        goto done;

    v = verify(KEY_CURRENT, KEY_NEXT, with_sub, good, body, body_len);
    /* Signed with a configured key: the MAC is never the problem. */
    check(v != QSV_MISSING && v != QSV_BAD_SIGNATURE);
    /* Same token under a foreign key: stops at the MAC at the latest. */
    w = verify(KEY_CURRENT, KEY_NEXT, with_sub, bad, body, body_len);
    check(w == QSV_MALFORMED || w == QSV_BAD_ALG || w == QSV_BAD_SIGNATURE);
    if (v != QSV_MALFORMED && v != QSV_BAD_ALG)
        check(w == QSV_BAD_SIGNATURE);
    /* Key order does not matter (rotation). */
    check(verify(KEY_NEXT, KEY_CURRENT, with_sub, good, body, body_len) == v);
    if (v == QSV_OK)
        check_body_bound(with_sub, good, body, body_len);
done:
    free(claims);
    free(hdr_b64);
    free(clm_b64);
    free(good);
    free(bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        signed_mode(data[0], data + 1, data + size);
    else
        raw_mode(data[0] & 4, data + 1, data + size);
    return 0;
}
