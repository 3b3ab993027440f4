/* test_http.c - request parameters and the constant-time secret check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http.h"

static void test_secret_equal(void **state)
{
    (void)state;
    assert_true(http_secret_equal("k3y-value", "k3y-value"));
    assert_false(http_secret_equal("k3y-value", "k3y-valuE"));
    assert_false(http_secret_equal("k3y-value", "k3y-value "));    /* one longer */
    assert_false(http_secret_equal("k3y-value", "k3y-valu"));      /* one shorter */
    assert_false(http_secret_equal("k3y-value", ""));
    assert_false(http_secret_equal(NULL, "k3y-value"));             /* missing header */
    assert_false(http_secret_equal("k3y-value", NULL));
    assert_false(http_secret_equal(NULL, NULL));
    assert_true(http_secret_equal("", ""));
}

static void test_param(void **state)
{
    (void)state;
    char *env[] = { "CONTENT_LENGTH=12", "HTTP_X_API_KEY=abc=def", "HTTP_X_API=short", NULL };
    http_request req = { .envp = env };
    assert_string_equal(http_param(&req, "CONTENT_LENGTH"), "12");
    assert_string_equal(http_param(&req, "HTTP_X_API_KEY"), "abc=def");   /* '=' in the value */
    assert_string_equal(http_param(&req, "HTTP_X_API"), "short");         /* not a prefix match */
    assert_null(http_param(&req, "HTTP_X"));
    assert_null(http_param(&req, "REQUEST_METHOD"));
    http_request none = { .envp = NULL };
    assert_null(http_param(&none, "CONTENT_LENGTH"));
}

static void test_error_body(void **state)
{
    (void)state;
    http_response r = { .status = 0, .json = NULL, .retry_after_s = -1 };
    http_error(&r, 400, "bad_payload", "tweets: %d items, limit is %d", 120, 100);
    assert_int_equal(r.status, 400);
    assert_string_equal(json_string_value(json_object_get(r.json, "error")), "bad_payload");
    assert_string_equal(json_string_value(json_object_get(r.json, "message")), "tweets: 120 items, limit is 100");
    http_response_free(&r);
    http_response_free(NULL);
    assert_string_equal(http_reason(413), "Payload Too Large");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_param),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
