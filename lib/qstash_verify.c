/* qstash_verify.c - verification of the `Upstash-Signature` JWT (HS256).
 *
 * Why not libjwt's jwt_decode(): libjwt 1.10.2 does compare the MAC in
 * constant time (jwt_strcmp over the base64url text), but it answers EINVAL
 * for a malformed token, a foreign algorithm and a wrong MAC alike, takes
 * the algorithm from the token, turns verification off for an empty key,
 * checks no time claim and coerces non-integer claims to 0. Getting the
 * specific verdicts the caller logs would mean decoding each token a first
 * time with verification switched off. A compact JWS with one algorithm is
 * small enough to check directly, so this file does: strict base64url,
 * jansson (duplicate keys refused) for the two JSON parts, OpenSSL
 * HMAC(EVP_sha256) and CRYPTO_memcmp for the MAC and for the body hash.
 *
 * No allocation survives a call, no logging, and no key byte is ever copied
 * anywhere but into OpenSSL's HMAC. */
#include "qstash.h"

#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* QStash tokens are a few hundred bytes; refuse anything absurd before any
 * work is done on it. */
#define QSV_MAX_TOKEN 8192
#define QSV_MAC_LEN 32                /* HMAC-SHA256 */
#define QSV_BODY_B64_LEN 43           /* base64url(32 bytes), unpadded */
#define QSV_MAX_SIG 128               /* any HMAC size (HS512: 64) fits: a wrong-size MAC is BAD_SIGNATURE */

const char *qstash_verdict_str(qstash_verdict v)
{
    switch (v) {
    case QSV_OK: return "ok";
    case QSV_MISSING: return "missing signature";
    case QSV_MALFORMED: return "malformed token";
    case QSV_BAD_ALG: return "algorithm is not HS256";
    case QSV_BAD_SIGNATURE: return "signature matches neither signing key";
    case QSV_BAD_ISSUER: return "issuer is not Upstash";
    case QSV_EXPIRED: return "token expired";
    case QSV_NOT_YET_VALID: return "token not yet valid";
    case QSV_BAD_SUBJECT: return "subject is not the configured URL";
    case QSV_BAD_BODY: return "body hash mismatch";
    }
    return "unknown verdict";
}

/* Value of one base64url character, -1 outside the alphabet. '=' is not in
 * it: JWS segments are unpadded (RFC 7515 section 2). */
static int b64url_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '-')
        return 62;
    if (ch == '_')
        return 63;
    return -1;
}

/* Strict base64url decode of in[0..len) into out (capacity cap). Refuses
 * characters outside the alphabet, an impossible length and non-zero
 * trailing bits, so that one MAC has one spelling. Returns the decoded
 * length or -1. */
static long b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    if (len % 4 == 1 || need > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return -1;
    return (long)o;
}

/* base64url without padding of in[0..len); out needs 4 * ceil(len / 3) + 1. */
static void b64url_encode(const unsigned char *in, size_t len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;

    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
}

/* Decode one base64url segment holding a JSON object. Returns a new
 * reference or NULL. */
static json_t *decode_json_segment(const char *seg, size_t len)
{
    unsigned char *buf = NULL;
    json_t *obj = NULL;
    long n;

    buf = malloc(len / 4 * 3 + 3);
    if (!buf)
        goto done;
    n = b64url_decode(seg, len, buf, len / 4 * 3 + 3);
    if (n <= 0)
        goto done;
    /* Duplicate keys refused: two parsers must never disagree on which
     * "exp" or "alg" counts. */
    obj = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
    }
done:
    free(buf);
    return obj;
}

/* MAC check of signing_input under one key. mac is the decoded signature,
 * exactly QSV_MAC_LEN bytes. */
static bool mac_matches(const char *key, const char *signing_input, size_t input_len,
                        const unsigned char *mac)
{
    unsigned char expect[EVP_MAX_MD_SIZE];
    unsigned int expect_len = 0;
    size_t key_len = strlen(key);
    bool ok;

    if (key_len > INT_MAX)
        return false;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)signing_input,
              input_len, expect, &expect_len))
        return false;
    ok = expect_len == QSV_MAC_LEN && CRYPTO_memcmp(expect, mac, QSV_MAC_LEN) == 0;
    OPENSSL_cleanse(expect, sizeof expect);
    return ok;
}

/* An integer claim: true only for a JSON integer (a float or a string is
 * not silently turned into 0 as libjwt's getter would). */
static bool int_claim(const json_t *claims, const char *name, long long *out)
{
    const json_t *v = json_object_get(claims, name);

    if (!json_is_integer(v))
        return false;
    *out = (long long)json_integer_value(v);
    return true;
}

/* exp + tol < now, written so that no addition can overflow. */
static bool is_expired(long long exp, long long now, long long tol)
{
    if (exp < 0 || now < 0)
        return exp < now;
    return now - exp > tol;
}

/* nbf > now + tol, without overflow. */
static bool is_not_yet_valid(long long nbf, long long now, long long tol)
{
    if (nbf <= 0)
        return false;
    if (now < 0)
        return true;
    return nbf - now > tol;
}

/* The `body` claim against base64url(SHA-256(body)), trailing '=' ignored on
 * both sides, compared in constant time (the length is public: 43). */
static bool body_matches(const json_t *claims, const unsigned char *body, size_t body_len)
{
    const json_t *v = json_object_get(claims, "body");
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char expect[QSV_BODY_B64_LEN + 2];
    const char *claim;
    size_t claim_len;

    if (!json_is_string(v))
        return false;
    claim = json_string_value(v);
    claim_len = json_string_length(v);
    while (claim_len > 0 && claim[claim_len - 1] == '=')
        claim_len--;
    if (claim_len != QSV_BODY_B64_LEN)
        return false;
    /* SHA256 of an empty input must not be handed a NULL pointer. */
    SHA256(body ? body : (const unsigned char *)"", body ? body_len : 0, digest);
    b64url_encode(digest, sizeof digest, expect);
    return CRYPTO_memcmp(expect, claim, QSV_BODY_B64_LEN) == 0;
}

/* The claim checks, most specific first in the order of the verdict enum. */
static qstash_verdict check_claims(const qstash_verify_opts *opts, const json_t *claims,
                                   const unsigned char *body, size_t body_len, time_t now)
{
    long long tol = opts->tolerance_s > 0 ? opts->tolerance_s : 0;
    long long exp = 0, nbf = 0;
    const json_t *iss = json_object_get(claims, "iss");

    if (!json_is_string(iss) || json_string_length(iss) != 7 ||
        memcmp(json_string_value(iss), "Upstash", 7) != 0)
        return QSV_BAD_ISSUER;

    if (!int_claim(claims, "exp", &exp) || exp <= 0 || is_expired(exp, (long long)now, tol))
        return QSV_EXPIRED;

    /* nbf is optional (0 on current servers); present but not an integer is
     * a token whose start cannot be established. */
    if (json_object_get(claims, "nbf") &&
        (!int_claim(claims, "nbf", &nbf) || is_not_yet_valid(nbf, (long long)now, tol)))
        return QSV_NOT_YET_VALID;

    if (opts->expected_sub && opts->expected_sub[0]) {
        const json_t *sub = json_object_get(claims, "sub");
        size_t want = strlen(opts->expected_sub);
        if (!json_is_string(sub) || json_string_length(sub) != want ||
            memcmp(json_string_value(sub), opts->expected_sub, want) != 0)
            return QSV_BAD_SUBJECT;
    }

    if (!body_matches(claims, body, body_len))
        return QSV_BAD_BODY;
    return QSV_OK;
}

/* Checks in this order: token shape, header (alg), signature under the
 * current then the next key, then the claims. Claims do not depend on the
 * key, so "valid under either key" is "MAC matches one key, then every
 * claim passes"; the payload is parsed only once a key vouches for it. */
qstash_verdict qstash_verify(const qstash_verify_opts *opts, const char *token,
                             const unsigned char *body, size_t body_len, time_t now)
{
    qstash_verdict verdict = QSV_MALFORMED;
    unsigned char mac[QSV_MAX_SIG];
    json_t *header = NULL, *claims = NULL;
    const char *dot1, *dot2, *alg;
    size_t token_len, signing_len;
    bool match_current, match_next;
    long mac_len;

    if (!token || !token[0])
        return QSV_MISSING;
    token_len = strnlen(token, QSV_MAX_TOKEN + 1);
    if (token_len > QSV_MAX_TOKEN)
        return QSV_MALFORMED;

    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1)
        return QSV_MALFORMED;

    header = decode_json_segment(token, (size_t)(dot1 - token));
    if (!header)
        goto done;
    alg = json_string_value(json_object_get(header, "alg"));
    if (!alg || strcmp(alg, "HS256") != 0) {
        verdict = QSV_BAD_ALG;
        goto done;
    }
    /* RFC 7515 4.1.11: extensions marked critical must be understood; none are. */
    if (json_object_get(header, "crit"))
        goto done;

    mac_len = b64url_decode(dot2 + 1, token_len - (size_t)(dot2 + 1 - token), mac, sizeof mac);
    if (mac_len <= 0)      /* not base64url, or no signature at all */
        goto done;

    /* An empty key would make the MAC a public function of the token:
     * refuse rather than verify against it. */
    if (!opts || !opts->current_key || !opts->current_key[0] || !opts->next_key ||
        !opts->next_key[0]) {
        verdict = QSV_BAD_SIGNATURE;
        goto done;
    }
    /* Well-formed base64url of the wrong size is simply not our MAC. */
    if (mac_len != QSV_MAC_LEN) {
        verdict = QSV_BAD_SIGNATURE;
        goto done;
    }
    signing_len = (size_t)(dot2 - token);
    /* Both keys are always tried so the time taken does not say which key
     * (if any) matched. */
    match_current = mac_matches(opts->current_key, token, signing_len, mac);
    match_next = mac_matches(opts->next_key, token, signing_len, mac);
    if (!match_current && !match_next) {
        verdict = QSV_BAD_SIGNATURE;
        goto done;
    }

    claims = decode_json_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims)
        goto done;
    verdict = check_claims(opts, claims, body, body_len, now);

done:
    json_decref(header);
    json_decref(claims);
    return verdict;
}
