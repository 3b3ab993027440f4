/* test_svg.c - the SVG line chart writer (lib/svg_chart.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svg_chart.h"

/* ---- a small well-formedness checker ------------------------------------
 * Enough XML for what the writer emits: one declaration, elements with
 * double-quoted attributes, text, the five predefined entities and numeric
 * references. Fails the test on anything else. */

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':' || c == '.';
}

static const char *check_reference(const char *p)
{
    static const char *const refs[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        if (strncmp(p, refs[i], strlen(refs[i])) == 0)
            return p + strlen(refs[i]);
    assert_true(p[1] == '#');
    const char *q = p + 2;
    while (*q >= '0' && *q <= '9')
        q++;
    assert_true(q > p + 2 && *q == ';');
    return q + 1;
}

static void assert_well_formed(const char *s)
{
    char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = s;

    assert_true(strncmp(p, "<?xml ", 6) == 0);
    p = strstr(p, "?>");
    assert_non_null(p);
    p += 2;
    while (*p) {
        if (*p == '&') {
            p = check_reference(p);
            continue;
        }
        if (*p != '<') {
            assert_true(depth > 0 || *p == '\n' || *p == ' ');
            /* Control characters other than tab, newline, return are not XML. */
            assert_true((unsigned char)*p >= 0x20 || *p == '\t' || *p == '\n' || *p == '\r');
            p++;
            continue;
        }
        if (p[1] == '/') {
            const char *n = p + 2, *e = n;
            while (name_char(*e))
                e++;
            assert_true(*e == '>');
            assert_true(depth > 0);
            depth--;
            assert_int_equal(strlen(stack[depth]), (size_t)(e - n));
            assert_memory_equal(stack[depth], n, (size_t)(e - n));
            p = e + 1;
            continue;
        }
        const char *n = p + 1, *e = n;
        while (name_char(*e))
            e++;
        assert_true(e > n && e - n < 64);
        char name[64];
        memcpy(name, n, (size_t)(e - n));
        name[e - n] = '\0';
        p = e;
        for (;;) {
            while (*p == ' ' || *p == '\n')
                p++;
            if (p[0] == '/' && p[1] == '>') {
                p += 2;
                if (depth == 0)
                    roots++;
                break;
            }
            if (*p == '>') {
                p++;
                if (depth == 0)
                    roots++;
                assert_true(depth < 64);
                strcpy(stack[depth++], name);
                break;
            }
            const char *a = p;
            while (name_char(*p))
                p++;
            assert_true(p > a);
            assert_true(p[0] == '=' && p[1] == '"');
            p += 2;
            while (*p != '"') {
                assert_true(*p != '\0' && *p != '<');
                if (*p == '&')
                    p = check_reference(p);
                else
                    p++;
            }
            p++;
        }
    }
    assert_int_equal(depth, 0);
    assert_int_equal(roots, 1);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *render(const svg_chart_opts *o, const svg_chart_series *series, size_t n, sbuf *b)
{
    sbuf_init(b);
    assert_int_equal(svg_chart_render(b, o, series, n), 0);
    const char *s = sbuf_cstr(b);
    assert_non_null(s);
    assert_well_formed(s);
    return b->data;
}

/* ---- escaping ----------------------------------------------------------- */

static char *escaped(sbuf *b, const char *s)
{
    sbuf_init(b);
    svg_chart_escape(b, s);
    return (char *)sbuf_cstr(b);
}

static void test_escape_markup(void **state)
{
    (void)state;
    sbuf b;
    assert_string_equal(escaped(&b, "a&b<c>\"d'e"), "a&amp;b&lt;c&gt;&quot;d&#39;e");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, "plain 2032747300000000001"), "plain 2032747300000000001");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, ""), "");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, NULL), "");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, "&amp;"), "&amp;amp;");   /* no double-guessing */
    sbuf_free(&b);
}

static void test_escape_bytes(void **state)
{
    (void)state;
    sbuf b;
    /* Valid UTF-8 passes through: é, €, an emoji. */
    assert_string_equal(escaped(&b, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
                        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    sbuf_free(&b);
    /* Tab, newline, return are allowed; other controls become U+FFFD. */
    assert_string_equal(escaped(&b, "a\tb\nc\x01" "d\x1F"), "a\tb\nc\xEF\xBF\xBD" "d\xEF\xBF\xBD");
    sbuf_free(&b);
    /* Invalid UTF-8: a stray continuation, an overlong form, a surrogate,
     * a truncated sequence at the end, U+FFFF. */
    assert_string_equal(escaped(&b, "\x80"), "\xEF\xBF\xBD");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, "\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, "\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, "x\xE2\x82"), "x\xEF\xBF\xBD\xEF\xBF\xBD");
    sbuf_free(&b);
    assert_string_equal(escaped(&b, "\xEF\xBF\xBF"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    sbuf_free(&b);
}

/* ---- ticks -------------------------------------------------------------- */

static void test_ticks(void **state)
{
    (void)state;
    double first, step;
    int n = svg_chart_ticks(0, 57, 6, &first, &step);
    assert_true(first == 0 && step == 10);
    assert_int_equal(n, 7);

    n = svg_chart_ticks(0, 6.2, 6, &first, &step);
    assert_true(first == 0 && step == 2);
    assert_int_equal(n, 5);   /* 0 2 4 6 8 */

    /* An empty range is widened, never a zero step. */
    n = svg_chart_ticks(0, 0, 6, &first, &step);
    assert_true(step > 0 && first <= 0 && first + (n - 1) * step >= 1);
    n = svg_chart_ticks(40, 40, 6, &first, &step);
    assert_true(step > 0 && first <= 40 && first + (n - 1) * step > 40);

    /* Covers a range below zero; non-finite input falls back to 0..1. */
    n = svg_chart_ticks(-3, 12, 5, &first, &step);
    assert_true(first <= -3 && first + (n - 1) * step >= 12);
    n = svg_chart_ticks(NAN, INFINITY, 5, &first, &step);
    assert_true(isfinite(first) && isfinite(step) && step > 0 && n >= 2);
}

/* ---- the chart ---------------------------------------------------------- */

static void test_one_curve_per_series(void **state)
{
    (void)state;
    const svg_chart_point a[] = { { 0, 4 }, { 1.02, 9 }, { 2.01, 15 }, { 3, 15 } };
    const svg_chart_point b[] = { { 0, 0 }, { 1.0, 2 } };
    const svg_chart_point c[] = { { 0, 50 } };   /* the webhook's value only */
    const svg_chart_series s[] = {
        { .id = "2032747300000000001", .points = a, .n = 4 },
        { .id = "2032747300000000002", .label = "second", .points = b, .n = 2 },
        { .id = "2032747300000000003", .title = "tip", .points = c, .n = 1 },
    };
    svg_chart_opts o = { .title = "Engagement curves", .x_label = "hours since collected",
                         .y_label = "total engagement", .data_attr = "data-tweet" };
    sbuf buf;
    const char *svg = render(&o, s, 3, &buf);
    assert_int_equal(count(svg, "class=\"curve\""), 3);
    assert_int_equal(count(svg, "<polyline "), 3);
    assert_non_null(strstr(svg, "data-tweet=\"2032747300000000001\""));
    assert_non_null(strstr(svg, "data-tweet=\"2032747300000000002\""));
    assert_non_null(strstr(svg, "data-tweet=\"2032747300000000003\""));
    /* Legend: the label, or the id when there is none. */
    assert_non_null(strstr(svg, ">2032747300000000001</text>"));
    assert_non_null(strstr(svg, ">second</text>"));
    assert_non_null(strstr(svg, "<title>tip</title>"));
    /* A marker per point, so a single point is visible. */
    assert_int_equal(count(svg, "<circle "), 7);
    /* Title, axis captions and tick labels. */
    assert_non_null(strstr(svg, ">Engagement curves</text>"));
    assert_non_null(strstr(svg, ">hours since collected</text>"));
    assert_non_null(strstr(svg, ">total engagement</text>"));
    assert_non_null(strstr(svg, ">50</text>"));
    assert_null(strstr(svg, "no data"));
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    sbuf_free(&buf);
}

static void test_text_is_escaped(void **state)
{
    (void)state;
    const svg_chart_point a[] = { { 0, 1 }, { 1, 2 } };
    const svg_chart_series s[] = {
        { .id = "\"><script>alert(1)</script>", .label = "</text><script>x</script>&", .points = a, .n = 2 },
    };
    svg_chart_opts o = { .title = "zone <b>'A&B'</b>", .x_label = "x<", .y_label = "y>",
                         .data_attr = "data-tweet" };
    sbuf buf;
    const char *svg = render(&o, s, 1, &buf);
    assert_null(strstr(svg, "<script"));
    assert_null(strstr(svg, "<b>"));
    assert_non_null(strstr(svg, "zone &lt;b&gt;&#39;A&amp;B&#39;&lt;/b&gt;"));
    assert_non_null(strstr(svg, "data-tweet=\"&quot;&gt;&lt;script&gt;"));
    sbuf_free(&buf);
}

static void test_bad_attribute_name_and_points(void **state)
{
    (void)state;
    const svg_chart_point a[] = { { 0, 1 }, { NAN, 3 }, { 2, INFINITY }, { 3, 4 } };
    const svg_chart_series s[] = { { .id = "t", .points = a, .n = 4 } };
    svg_chart_opts o = { .data_attr = "bad attr\"=x" };
    sbuf buf;
    const char *svg = render(&o, s, 1, &buf);
    assert_non_null(strstr(svg, "data-series=\"t\""));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    assert_int_equal(count(svg, "<circle "), 2);
    sbuf_free(&buf);
}

static void test_empty(void **state)
{
    (void)state;
    sbuf buf;
    /* No series at all, no options. */
    const char *svg = render(NULL, NULL, 0, &buf);
    assert_int_equal(count(svg, "class=\"curve\""), 0);
    assert_non_null(strstr(svg, "no data"));
    assert_non_null(strstr(svg, "</svg>\n"));
    sbuf_free(&buf);
    /* Series without points: still one (empty) curve each. */
    const svg_chart_series s[] = { { .id = "a" }, { .id = "b" } };
    svg = render(NULL, s, 2, &buf);
    assert_int_equal(count(svg, "class=\"curve\""), 2);
    assert_non_null(strstr(svg, "no data"));
    sbuf_free(&buf);
}

static void test_legend_grows_height(void **state)
{
    (void)state;
    enum { N = 60 };
    svg_chart_series s[N];
    char ids[N][8];
    const svg_chart_point p[] = { { 0, 1 } };
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "t%d", i);
        s[i] = (svg_chart_series){ .id = ids[i], .points = p, .n = 1 };
    }
    sbuf buf;
    const char *svg = render(NULL, s, N, &buf);
    assert_int_equal(count(svg, "class=\"curve\""), N);
    assert_null(strstr(svg, "height=\"540\""));   /* 60 rows do not fit in 540 px */
    sbuf_free(&buf);
}

static void test_failed_buffer(void **state)
{
    (void)state;
    sbuf b;
    sbuf_init(&b);
    b.failed = true;   /* as after an allocation failure */
    assert_int_equal(svg_chart_render(&b, NULL, NULL, 0), -1);
    sbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_markup),
        cmocka_unit_test(test_escape_bytes),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_one_curve_per_series),
        cmocka_unit_test(test_text_is_escaped),
        cmocka_unit_test(test_bad_attribute_name_and_points),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_legend_grows_height),
        cmocka_unit_test(test_failed_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
