/* test_qstash_publish.c - qstash_normalize_base and the publish client's
 * argument checks (nothing here touches the network; the HTTP exchanges are
 * in test_http_clients.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>

#include "qstash.h"

static void normalizes_good_bases(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"https://qstash.upstash.io", "https://qstash.upstash.io"},
        {"https://qstash.upstash.io/", "https://qstash.upstash.io"},
        {"https://qstash-us-east-1.upstash.io", "https://qstash-us-east-1.upstash.io"},
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
        {"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
        {"http://localhost", "http://localhost"},
        {"HTTPS://Qstash.Upstash.io", "https://Qstash.Upstash.io"},
        {"http://[::1]:8080/", "http://[::1]:8080"},
        {"https://qstash.upstash.io:443", "https://qstash.upstash.io:443"},
    };
    char out[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'x', sizeof out);
        if (qstash_normalize_base(cases[i].in, out, sizeof out) != 0)
            fail_msg("refused: %s", cases[i].in);
        assert_string_equal(out, cases[i].out);
    }
}

static void refuses_bad_bases(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "qstash.upstash.io",                      /* no scheme */
        "//qstash.upstash.io",
        "ftp://qstash.upstash.io",
        "https://",                               /* no host */
        "https:///v2",
        "https://qstash.upstash.io/v2/publish",   /* path copied in */
        "https://qstash.upstash.io/v2/",
        "https://qstash.upstash.io//",
        "https://qstash.upstash.io?x=1",
        "https://qstash.upstash.io#frag",
        "https://user:pw@qstash.upstash.io",
        "https://qstash.upstash.io:",
        "https://qstash.upstash.io:0",
        "https://qstash.upstash.io:65536",
        "https://qstash.upstash.io:123456",
        "https://qstash.upstash.io:80a",
        " https://qstash.upstash.io",
        "https://qstash.upstash.io ",
        "https://qstash.upstash.io\n",
        "https://[::1",
        "",
    };
    char out[128];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (qstash_normalize_base(bad[i], out, sizeof out) != -1)
            fail_msg("accepted: \"%s\" -> \"%s\"", bad[i], out);
    assert_int_equal(qstash_normalize_base(NULL, out, sizeof out), -1);
    assert_int_equal(qstash_normalize_base("https://a.io", NULL, 10), -1);
    assert_int_equal(qstash_normalize_base("https://a.io", out, 0), -1);
}

static void output_must_fit(void **state)
{
    (void)state;
    char out[13];

    /* "https://a.io" is 12 characters: it needs 13 bytes. */
    assert_int_equal(qstash_normalize_base("https://a.io/", out, sizeof out), 0);
    assert_string_equal(out, "https://a.io");
    assert_int_equal(qstash_normalize_base("https://ab.io", out, sizeof out), -1);
}

static void client_new_and_free(void **state)
{
    (void)state;
    qstash_client *c;

    qstash_client_free(NULL);
    assert_null(qstash_client_new(NULL, "tok", 1000));
    assert_null(qstash_client_new("http://127.0.0.1:1", NULL, 1000));
    assert_null(qstash_client_new("http://127.0.0.1:1", "", 1000));
    /* A token that could end the header line and start another. */
    assert_null(qstash_client_new("http://127.0.0.1:1", "tok\r\nX-Evil: 1", 1000));
    c = qstash_client_new("http://127.0.0.1:1", "tok", 1000);
    assert_non_null(c);
    qstash_client_free(c);
}

/* Refused before any request: nothing listens on port 1, so a request
 * that went out would come back as a connection error, not these. */
static void publish_argument_checks(void **state)
{
    (void)state;
    qstash_client *c = qstash_client_new("http://127.0.0.1:1", "secret-token", 1000);
    qstash_result r;

    assert_non_null(c);
    assert_int_equal(qstash_publish(c, "https://x.io/a b", "{}", 2, 10, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 0);
    assert_int_equal(r.retry_after_s, -1);
    assert_true(r.error[0] != '\0');
    assert_int_equal(qstash_publish(c, "https://x.io/a\r\nX: y", "{}", 2, 10, NULL, -1, &r), -1);
    assert_int_equal(qstash_publish(c, "https://x.io/a#f", "{}", 2, 10, NULL, -1, &r), -1);
    assert_int_equal(qstash_publish(c, "", "{}", 2, 10, NULL, -1, &r), -1);
    assert_int_equal(qstash_publish(c, "https://x.io/a", "{}", 2, -1, NULL, -1, &r), -1);
    assert_int_equal(qstash_publish(c, "https://x.io/a", "{}", 2, 10, "d\nX: y", -1, &r), -1);
    assert_int_equal(qstash_publish(c, "https://x.io/a", "{}", 2, 10, "", -1, &r), -1);
    assert_int_equal(qstash_publish(c, "https://x.io/a", NULL, 2, 10, NULL, -1, &r), -1);
    assert_int_equal(qstash_publish(NULL, "https://x.io/a", "{}", 2, 10, NULL, -1, &r), -1);
    assert_int_equal(qstash_publish(c, "https://x.io/a", "{}", 2, 10, NULL, -1, NULL), -1);
    /* A real attempt: connection refused, no status, no token in the error. */
    assert_int_equal(qstash_publish(c, "https://x.io/a", "{}", 2, 10, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 0);
    assert_true(r.error[0] != '\0');
    assert_null(strstr(r.error, "secret-token"));
    qstash_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalizes_good_bases),
        cmocka_unit_test(refuses_bad_bases),
        cmocka_unit_test(output_must_fit),
        cmocka_unit_test(client_new_and_free),
        cmocka_unit_test(publish_argument_checks),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
