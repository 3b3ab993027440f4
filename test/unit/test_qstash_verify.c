/* test_qstash_verify.c - qstash_verify against tokens minted here with
 * OpenSSL (HMAC over base64url(header).base64url(payload)), so the suite
 * needs no file. When QSTASH_VECTORS names a JSON file of fixed vectors
 * ({"vectors": [{token, body, url, valid, current_key, next_key}, ...]}),
 * every vector is run too; otherwise that test is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qstash.h"

#define KEY_CUR "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r"
#define KEY_NEXT "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs"
#define SUB "https://tracker.example.com/qstash/receive"
#define NOW ((time_t)1700000000)
#define TOL 5L
#define BODY "{\"job\":\"reminder\",\"id\":42}"

static const qstash_verify_opts OPTS = {KEY_CUR, KEY_NEXT, SUB, TOL};

/* ---- token minting ---- */

/* base64url of in[0..len), '=' padding kept when padded is true. Caller frees. */
static char *b64url(const unsigned char *in, size_t len, bool padded)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    int n;

    assert_non_null(out);
    n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    for (int i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    while (!padded && n > 0 && out[n - 1] == '=')
        out[--n] = '\0';
    return out;
}

/* base64url(sha256(body)) as QStash puts it in the `body` claim. */
static char *body_claim(const char *body, bool padded)
{
    unsigned char d[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)body, strlen(body), d);
    return b64url(d, sizeof d, padded);
}

/* header.payload.signature; md NULL leaves the signature empty (alg none). */
static char *mint(const char *header_json, const char *claims_json, const EVP_MD *md,
                  const char *key)
{
    char *h = b64url((const unsigned char *)header_json, strlen(header_json), false);
    char *p = b64url((const unsigned char *)claims_json, strlen(claims_json), false);
    size_t n = strlen(h) + strlen(p) + 200;
    char *tok = malloc(n);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char *s = NULL;

    assert_non_null(tok);
    snprintf(tok, n, "%s.%s", h, p);
    if (md) {
        assert_non_null(HMAC(md, key, (int)strlen(key), (const unsigned char *)tok, strlen(tok),
                             mac, &mac_len));
        s = b64url(mac, mac_len, false);
    }
    strcat(tok, ".");
    if (s)
        strcat(tok, s);
    free(h);
    free(p);
    free(s);
    return tok;
}

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* Claims as QStash sends them, with every field overridable. iss/sub NULL
 * leave the claim out; exp_json/nbf_json are raw JSON (NULL: left out). */
typedef struct {
    const char *iss, *sub, *exp_json, *nbf_json, *body;
    bool padded;
} claims;

static char *claims_json(const claims *c)
{
    char *bc = body_claim(c->body ? c->body : BODY, c->padded);
    char *out = malloc(1024);
    size_t n = 0;

    assert_non_null(out);
    n += (size_t)snprintf(out + n, 1024 - n, "{\"jti\":\"jwt_test\",\"iat\":%lld",
                          (long long)NOW - 10);
    if (c->iss)
        n += (size_t)snprintf(out + n, 1024 - n, ",\"iss\":\"%s\"", c->iss);
    if (c->sub)
        n += (size_t)snprintf(out + n, 1024 - n, ",\"sub\":\"%s\"", c->sub);
    if (c->exp_json)
        n += (size_t)snprintf(out + n, 1024 - n, ",\"exp\":%s", c->exp_json);
    if (c->nbf_json)
        n += (size_t)snprintf(out + n, 1024 - n, ",\"nbf\":%s", c->nbf_json);
    snprintf(out + n, 1024 - n, ",\"body\":\"%s\"}", bc);
    free(bc);
    return out;
}

/* A default QStash-like claim set: valid at NOW for BODY and SUB. */
static claims good(void)
{
    static char exp[32];
    snprintf(exp, sizeof exp, "%lld", (long long)NOW + 300);
    return (claims){.iss = "Upstash", .sub = SUB, .exp_json = exp, .nbf_json = "0",
                    .body = BODY, .padded = true};
}

static qstash_verdict verify_claims(const claims *c, const char *key, const char *body)
{
    char *cj = claims_json(c);
    char *tok = mint(HS256_HEADER, cj, EVP_sha256(), key);
    qstash_verdict v = qstash_verify(&OPTS, tok, (const unsigned char *)body, strlen(body), NOW);

    free(cj);
    free(tok);
    return v;
}

/* ---- tests ---- */

static void valid_current_key(void **state)
{
    (void)state;
    claims c = good();
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
}

static void valid_next_key(void **state)
{
    (void)state;
    claims c = good();
    assert_int_equal(verify_claims(&c, KEY_NEXT, BODY), QSV_OK);
}

static void body_claim_padded_and_unpadded(void **state)
{
    (void)state;
    claims c = good();
    c.padded = true;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
    c.padded = false;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
}

static void empty_body(void **state)
{
    (void)state;
    claims c = good();
    char *cj, *tok;

    c.body = "";
    assert_int_equal(verify_claims(&c, KEY_CUR, ""), QSV_OK);
    /* NULL body of length 0 is the empty body. */
    cj = claims_json(&c);
    tok = mint(HS256_HEADER, cj, EVP_sha256(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, NULL, 0, NOW), QSV_OK);
    free(cj);
    free(tok);
}

static void expired(void **state)
{
    (void)state;
    claims c = good();
    char exp[32];

    snprintf(exp, sizeof exp, "%lld", (long long)NOW - 100);
    c.exp_json = exp;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
    snprintf(exp, sizeof exp, "%lld", (long long)NOW - TOL - 1);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
}

static void exp_within_tolerance(void **state)
{
    (void)state;
    claims c = good();
    char exp[32];

    c.exp_json = exp;
    snprintf(exp, sizeof exp, "%lld", (long long)NOW - TOL);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
    snprintf(exp, sizeof exp, "%lld", (long long)NOW);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
}

static void exp_missing_or_not_an_integer(void **state)
{
    (void)state;
    claims c = good();
    char exp[40];

    c.exp_json = NULL;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
    snprintf(exp, sizeof exp, "\"%lld\"", (long long)NOW + 300);
    c.exp_json = exp;                               /* string */
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
    snprintf(exp, sizeof exp, "%lld.5", (long long)NOW + 300);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);   /* float */
    c.exp_json = "0";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
    c.exp_json = "-5";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
    c.exp_json = "null";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_EXPIRED);
    c.exp_json = "9223372036854775807";             /* far future, no overflow */
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
}

static void nbf_future(void **state)
{
    (void)state;
    claims c = good();
    char nbf[32];

    c.nbf_json = nbf;
    snprintf(nbf, sizeof nbf, "%lld", (long long)NOW + 100);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_NOT_YET_VALID);
    snprintf(nbf, sizeof nbf, "%lld", (long long)NOW + TOL + 1);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_NOT_YET_VALID);
    c.nbf_json = "\"0\"";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_NOT_YET_VALID);
}

static void nbf_within_tolerance_or_absent(void **state)
{
    (void)state;
    claims c = good();
    char nbf[32];

    c.nbf_json = nbf;
    snprintf(nbf, sizeof nbf, "%lld", (long long)NOW + TOL);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
    snprintf(nbf, sizeof nbf, "%lld", (long long)NOW - 60);
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
    c.nbf_json = NULL;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_OK);
}

static void tampered_body(void **state)
{
    (void)state;
    claims c = good();
    assert_int_equal(verify_claims(&c, KEY_CUR, "{\"job\":\"reminder\",\"id\":43}"), QSV_BAD_BODY);
    /* Same JSON, different bytes: the raw body is hashed, not a re-serialisation. */
    assert_int_equal(verify_claims(&c, KEY_CUR, "{\"job\": \"reminder\", \"id\": 42}"),
                     QSV_BAD_BODY);
}

static void wrong_sub(void **state)
{
    (void)state;
    claims c = good();
    c.sub = SUB "?x=1";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_BAD_SUBJECT);
    c.sub = NULL;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_BAD_SUBJECT);
}

static void sub_check_skipped_without_expected_sub(void **state)
{
    (void)state;
    claims c = good();
    char *cj, *tok;
    qstash_verify_opts o = OPTS;

    c.sub = "https://somewhere.else/";
    cj = claims_json(&c);
    tok = mint(HS256_HEADER, cj, EVP_sha256(), KEY_CUR);
    o.expected_sub = NULL;
    assert_int_equal(qstash_verify(&o, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_OK);
    o.expected_sub = "";
    assert_int_equal(qstash_verify(&o, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_OK);
    free(cj);
    free(tok);
}

static void wrong_iss(void **state)
{
    (void)state;
    claims c = good();
    c.iss = "NotUpstash";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_BAD_ISSUER);
    c.iss = "upstash";
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_BAD_ISSUER);
    c.iss = NULL;
    assert_int_equal(verify_claims(&c, KEY_CUR, BODY), QSV_BAD_ISSUER);
}

static void flipped_signature(void **state)
{
    (void)state;
    claims c = good();
    char *cj = claims_json(&c);
    char *tok = mint(HS256_HEADER, cj, EVP_sha256(), KEY_CUR);
    char *sig = strrchr(tok, '.') + 1;

    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_SIGNATURE);
    /* A correctly signed token must not survive a changed payload either. */
    free(tok);
    tok = mint(HS256_HEADER, cj, EVP_sha256(), KEY_CUR);
    *(strchr(tok, '.') + 5) ^= 1;
    assert_int_not_equal(
        qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW), QSV_OK);
    free(cj);
    free(tok);
}

static void unknown_key_is_bad_signature_before_claims(void **state)
{
    (void)state;
    claims c = good();
    char exp[32];

    assert_int_equal(verify_claims(&c, "sig_someoneelse", BODY), QSV_BAD_SIGNATURE);
    /* Expired and unsigned by us: the signature verdict wins, claims of an
     * unauthenticated token are not reported. */
    snprintf(exp, sizeof exp, "%lld", (long long)NOW - 1000);
    c.exp_json = exp;
    assert_int_equal(verify_claims(&c, "sig_someoneelse", BODY), QSV_BAD_SIGNATURE);
    /* The key is the string's raw bytes, not its base64 decoding. */
    c = good();
    assert_int_equal(verify_claims(&c, "7kYjw48mhY7kAjqNGcy6cr29RJ6r", BODY), QSV_BAD_SIGNATURE);
}

static void alg_none(void **state)
{
    (void)state;
    claims c = good();
    char *cj = claims_json(&c);
    char *tok = mint("{\"alg\":\"none\",\"typ\":\"JWT\"}", cj, NULL, NULL);

    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_ALG);
    free(tok);
    /* none with a (valid HS256) signature attached */
    tok = mint("{\"alg\":\"none\",\"typ\":\"JWT\"}", cj, EVP_sha256(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_ALG);
    free(tok);
    tok = mint("{\"typ\":\"JWT\"}", cj, EVP_sha256(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_ALG);
    free(tok);
    tok = mint("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", cj, EVP_sha256(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_ALG);
    free(tok);
    free(cj);
}

static void hs384_and_hs512_with_same_key(void **state)
{
    (void)state;
    claims c = good();
    char *cj = claims_json(&c);
    char *tok = mint("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", cj, EVP_sha384(), KEY_CUR);

    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_ALG);
    free(tok);
    tok = mint("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", cj, EVP_sha512(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_ALG);
    free(tok);
    /* HS256 header over an HS512 MAC: wrong size, not our MAC. */
    tok = mint(HS256_HEADER, cj, EVP_sha512(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_SIGNATURE);
    free(tok);
    free(cj);
}

static void garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "abc", "a.b", "a.b.c.d", "..", "a..c", ".b.c", "!!!.x.y",
        "eyJhbGciOiJIUzI1NiJ9.e30.a+b/",                   /* not base64url */
        "eyJhbGciOiJIUzI1NiJ9=.e30.abcd",                  /* padding */
        "bm90IGpzb24.e30.abcd",                            /* header not JSON */
        "WzFd.e30.abcd",                                   /* header an array */
        "eyJhbGciOiJIUzI1NiJ9.e30.a",                      /* impossible length */
        "eyJhbGciOiJIUzI1NiJ9.e30.",                       /* HS256 without signature */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qstash_verdict v =
            qstash_verify(&OPTS, bad[i], (const unsigned char *)BODY, strlen(BODY), NOW);
        if (v != QSV_MALFORMED)
            fail_msg("%s: %s", bad[i], qstash_verdict_str(v));
    }
}

static void garbage_payload_signed(void **state)
{
    (void)state;
    char *tok = mint(HS256_HEADER, "not json", EVP_sha256(), KEY_CUR);

    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_MALFORMED);
    free(tok);
    /* Duplicate claims are refused, whatever the order. */
    tok = mint(HS256_HEADER, "{\"iss\":\"Upstash\",\"iss\":\"Other\"}", EVP_sha256(), KEY_CUR);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_MALFORMED);
    free(tok);
}

static void missing_token(void **state)
{
    (void)state;
    assert_int_equal(qstash_verify(&OPTS, "", (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_MISSING);
    assert_int_equal(qstash_verify(&OPTS, NULL, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_MISSING);
}

static void empty_keys_never_accept(void **state)
{
    (void)state;
    claims c = good();
    char *cj = claims_json(&c);
    char *tok_cur = mint(HS256_HEADER, cj, EVP_sha256(), KEY_CUR);
    char *tok_empty = mint(HS256_HEADER, cj, EVP_sha256(), "");
    const qstash_verify_opts cases[] = {
        {"", KEY_NEXT, SUB, TOL},
        {KEY_CUR, "", SUB, TOL},
        {NULL, KEY_NEXT, SUB, TOL},
        {KEY_CUR, NULL, SUB, TOL},
        {"", "", SUB, TOL},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(qstash_verify(&cases[i], tok_cur, (const unsigned char *)BODY,
                                       strlen(BODY), NOW),
                         QSV_BAD_SIGNATURE);
        assert_int_equal(qstash_verify(&cases[i], tok_empty, (const unsigned char *)BODY,
                                       strlen(BODY), NOW),
                         QSV_BAD_SIGNATURE);
    }
    assert_int_equal(qstash_verify(NULL, tok_cur, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_BAD_SIGNATURE);
    free(cj);
    free(tok_cur);
    free(tok_empty);
}

/* Interoperability with an independent implementation: a token encoded by
 * libjwt verifies here, and libjwt verifies the tokens minted above. */
static void libjwt_interop(void **state)
{
    (void)state;
    jwt_t *j = NULL;
    char *bc = body_claim(BODY, true);
    char *tok;
    claims c = good();
    char *cj;

    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grant(j, "iss", "Upstash"), 0);
    assert_int_equal(jwt_add_grant(j, "sub", SUB), 0);
    assert_int_equal(jwt_add_grant_int(j, "exp", (long)NOW + 300), 0);
    assert_int_equal(jwt_add_grant_int(j, "nbf", 0), 0);
    assert_int_equal(jwt_add_grant(j, "body", bc), 0);
    assert_int_equal(jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)KEY_NEXT,
                                 (int)strlen(KEY_NEXT)),
                     0);
    tok = jwt_encode_str(j);
    assert_non_null(tok);
    assert_int_equal(qstash_verify(&OPTS, tok, (const unsigned char *)BODY, strlen(BODY), NOW),
                     QSV_OK);
    free(tok);   /* libjwt 1.10.2 has no jwt_free_str: the string is malloc'd */
    jwt_free(j);
    j = NULL;
    free(bc);

    cj = claims_json(&c);
    tok = mint(HS256_HEADER, cj, EVP_sha256(), KEY_CUR);
    assert_int_equal(jwt_decode(&j, tok, (const unsigned char *)KEY_CUR, (int)strlen(KEY_CUR)), 0);
    assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
    jwt_free(j);
    free(tok);
    free(cj);
}

static void verdict_strings(void **state)
{
    (void)state;
    for (int v = QSV_OK; v <= QSV_BAD_BODY; v++) {
        assert_non_null(qstash_verdict_str((qstash_verdict)v));
        for (int w = QSV_OK; w < v; w++)
            assert_string_not_equal(qstash_verdict_str((qstash_verdict)v),
                                    qstash_verdict_str((qstash_verdict)w));
    }
    assert_string_equal(qstash_verdict_str(QSV_OK), "ok");
    assert_non_null(qstash_verdict_str((qstash_verdict)99));
}

/* Fixed vectors from a file named by QSTASH_VECTORS. The clock is one hour
 * after the vectors' iat: the "expired" vector (exp = iat + 300) is then
 * past and the valid ones (exp in 2100) are not. */
static void vectors_from_file(void **state)
{
    (void)state;
    const char *path = getenv("QSTASH_VECTORS");
    const time_t now = 1700000000 + 3600;
    json_error_t jerr;
    json_t *root, *vectors, *v;
    size_t i, failures = 0;

    if (!path || !path[0]) {
        print_message("QSTASH_VECTORS not set: skipped\n");
        skip();
    }
    root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    vectors = json_object_get(root, "vectors");
    assert_true(json_is_array(vectors));
    assert_true(json_array_size(vectors) > 0);
    json_array_foreach(vectors, i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));
        const char *token = json_string_value(json_object_get(v, "token"));
        const char *body = json_string_value(json_object_get(v, "body"));
        const json_t *valid = json_object_get(v, "valid");
        qstash_verify_opts o = {
            .current_key = json_string_value(json_object_get(v, "current_key")),
            .next_key = json_string_value(json_object_get(v, "next_key")),
            .expected_sub = json_string_value(json_object_get(v, "url")),
            .tolerance_s = 30,
        };
        qstash_verdict got;

        assert_non_null(token);
        assert_non_null(body);
        assert_true(json_is_boolean(valid));
        got = qstash_verify(&o, token, (const unsigned char *)body,
                            json_string_length(json_object_get(v, "body")), now);
        print_message("vector %zu (%s): %s, expected %s\n", i, name ? name : "?",
                      qstash_verdict_str(got), json_is_true(valid) ? "valid" : "invalid");
        if ((got == QSV_OK) != json_is_true(valid))
            failures++;
    }
    json_decref(root);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_current_key),
        cmocka_unit_test(valid_next_key),
        cmocka_unit_test(body_claim_padded_and_unpadded),
        cmocka_unit_test(empty_body),
        cmocka_unit_test(expired),
        cmocka_unit_test(exp_within_tolerance),
        cmocka_unit_test(exp_missing_or_not_an_integer),
        cmocka_unit_test(nbf_future),
        cmocka_unit_test(nbf_within_tolerance_or_absent),
        cmocka_unit_test(tampered_body),
        cmocka_unit_test(wrong_sub),
        cmocka_unit_test(sub_check_skipped_without_expected_sub),
        cmocka_unit_test(wrong_iss),
        cmocka_unit_test(flipped_signature),
        cmocka_unit_test(unknown_key_is_bad_signature_before_claims),
        cmocka_unit_test(alg_none),
        cmocka_unit_test(hs384_and_hs512_with_same_key),
        cmocka_unit_test(garbage),
        cmocka_unit_test(garbage_payload_signed),
        cmocka_unit_test(missing_token),
        cmocka_unit_test(empty_keys_never_accept),
        cmocka_unit_test(libjwt_interop),
        cmocka_unit_test(verdict_strings),
        cmocka_unit_test(vectors_from_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
