/* test_replay.c - the offline evaluator (lib/replay.c, lib/replay_cli.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"

#define CASCADE_HEADER "cascade_id\tlabel\tn_events\trel_times_sec\n"
#define CSV_HEADER "cascade_id,label,t0_5min,h1,h2,h3,h4,h5,h6,h7\n"

/* An unnamed temporary file holding text, rewound. */
static FILE *text_file(const char *text)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    rewind(f);
    return f;
}

static void add(trajectory_set *s, const char *id, const double v[REPLAY_POINTS])
{
    trajectory t;
    memset(&t, 0, sizeof t);
    snprintf(t.id, sizeof t.id, "%s", id);
    memcpy(t.v, v, sizeof t.v);
    assert_int_equal(trajectory_set_add(s, &t), 0);
}

static void assert_v(const trajectory *t, const double want[REPLAY_POINTS])
{
    for (int i = 0; i < REPLAY_POINTS; i++)
        assert_true(t->v[i] == want[i]);
}

static void assert_close(double got, double want)
{
    if (fabs(got - want) > 1e-12)
        fail_msg("got %.15g, want %.15g", got, want);
}

/* ---- the set ---------------------------------------------------------- */

static void test_set_add_free(void **state)
{
    (void)state;
    trajectory_set s = { NULL, 0, 0 };
    const double v[REPLAY_POINTS] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    for (int i = 0; i < 1000; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        add(&s, id, v);
    }
    assert_int_equal(s.n, 1000);
    assert_true(s.cap >= s.n);
    assert_string_equal(s.items[999].id, "t999");
    trajectory_set_free(&s);
    assert_null(s.items);
    assert_int_equal(s.n, 0);
    trajectory_set_free(&s);  /* twice is fine */
    trajectory_set_free(NULL);
    trajectory t;
    memset(&t, 0, sizeof t);
    assert_int_equal(trajectory_set_add(NULL, &t), -1);
    assert_int_equal(trajectory_set_add(&s, NULL), -1);
}

/* ---- cascade TSV ------------------------------------------------------ */

static void test_load_cascades(void **state)
{
    (void)state;
    FILE *f = text_file(CASCADE_HEADER
                        "a\tx\t0\t\n"
                        "b\tx\t3\t300,301,3600\n"
                        "c\tx\t5\t-5,7200,25200,25201,99999\r\n"
                        "\n"
                        "d\tx\t0\n"
                        "e\tx\t2\t0.5,3600.5");
    trajectory_set s = { NULL, 0, 0 };
    char err[128] = "";
    assert_int_equal(trajectory_load_cascades(f, &s, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.items[0].id, "a");
    const double a[REPLAY_POINTS] = { 0 };
    assert_v(&s.items[0], a);
    /* an event at exactly 5 min or 1 h counts there */
    const double b[REPLAY_POINTS] = { 1, 3, 3, 3, 3, 3, 3, 3 };
    assert_v(&s.items[1], b);
    /* a negative time counts from the start; 25200 s is 7 h; later ones never */
    const double c[REPLAY_POINTS] = { 1, 1, 2, 2, 2, 2, 2, 3 };
    assert_string_equal(s.items[2].id, "c");
    assert_v(&s.items[2], c);
    assert_string_equal(s.items[3].id, "d");
    assert_v(&s.items[3], a);
    const double e[REPLAY_POINTS] = { 1, 1, 2, 2, 2, 2, 2, 2 };
    assert_v(&s.items[4], e);

    /* appends */
    f = text_file(CASCADE_HEADER "z\tx\t1\t10\n");
    assert_int_equal(trajectory_load_cascades(f, &s, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.items[5].id, "z");
    trajectory_set_free(&s);
}

static void expect_cascade_error(const char *text, const char *want_in_err)
{
    trajectory_set s = { NULL, 0, 0 };
    const double v[REPLAY_POINTS] = { 0 };
    add(&s, "kept", v);
    FILE *f = text_file(text);
    char err[160] = "";
    assert_int_equal(trajectory_load_cascades(f, &s, err, sizeof err), -1);
    fclose(f);
    if (strstr(err, want_in_err) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want_in_err);
    assert_int_equal(s.n, 1);  /* a failed load leaves the set as it was */
    assert_string_equal(s.items[0].id, "kept");
    trajectory_set_free(&s);
}

static void test_load_cascades_errors(void **state)
{
    (void)state;
    expect_cascade_error("", "empty input");
    expect_cascade_error("id\tlabel\tn\ttimes\n", "line 1");
    expect_cascade_error(CSV_HEADER, "line 1");
    expect_cascade_error(CASCADE_HEADER "a\tx\t2\t1,2\nb\tx\t2\t5\n", "line 3: n_events is 2 but 1");
    expect_cascade_error(CASCADE_HEADER "a\tx\t1\t12a\n", "line 2: event 1");
    expect_cascade_error(CASCADE_HEADER "a\tx\t2\t1,,2\n", "line 2: event 2");
    expect_cascade_error(CASCADE_HEADER "a\tx\t1\t1,\n", "line 2: trailing comma");
    expect_cascade_error(CASCADE_HEADER "a\tx\t1\tnan\n", "line 2: event 1");
    expect_cascade_error(CASCADE_HEADER "a\tx\t1\t 1\n", "line 2: event 1");
    expect_cascade_error(CASCADE_HEADER "a\tx\tmany\t1\n", "line 2: n_events");
    expect_cascade_error(CASCADE_HEADER "a\tx\t-1\t\n", "line 2: n_events");
    expect_cascade_error(CASCADE_HEADER "a\tx\n", "line 2: expected 4");
    expect_cascade_error(CASCADE_HEADER "a\tx\t1\t1\textra\n", "line 2: expected 4");
    expect_cascade_error(CASCADE_HEADER "\tx\t0\t\n", "line 2: cascade_id");
    char long_id[256];
    memset(long_id, 'i', 100);
    snprintf(long_id + 100, sizeof long_id - 100, "\tx\t0\t\n");
    char text[512];
    snprintf(text, sizeof text, "%s%s", CASCADE_HEADER, long_id);
    expect_cascade_error(text, "line 2: cascade_id");

    /* no room for the message: still fails, writes nothing */
    FILE *f = text_file("bad\n");
    trajectory_set s = { NULL, 0, 0 };
    assert_int_equal(trajectory_load_cascades(f, &s, NULL, 0), -1);
    fclose(f);
    assert_int_equal(trajectory_load_cascades(NULL, &s, NULL, 0), -1);
}

/* Lines over 1 MB (real cascades have them). */
static void test_load_cascades_long_line(void **state)
{
    (void)state;
    const int n = 400000;
    FILE *f = tmpfile();
    assert_non_null(f);
    fprintf(f, CASCADE_HEADER "big\tx\t%d\t", n);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d", i ? "," : "", i < n / 2 ? 100000 + i % 7 : 60 + i % 7);
    fprintf(f, "\nsmall\tx\t1\t4000\n");
    assert_true(ftell(f) > 1024 * 1024);
    rewind(f);
    trajectory_set s = { NULL, 0, 0 };
    char err[128] = "";
    assert_int_equal(trajectory_load_cascades(f, &s, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(s.n, 2);
    const double big[REPLAY_POINTS] = { n / 2, n / 2, n / 2, n / 2, n / 2, n / 2, n / 2, n / 2 };
    assert_v(&s.items[0], big);  /* the first half is after 7 h */
    const double small[REPLAY_POINTS] = { 0, 0, 1, 1, 1, 1, 1, 1 };
    assert_v(&s.items[1], small);
    trajectory_set_free(&s);
}

/* ---- trajectory CSV --------------------------------------------------- */

static void test_load_csv(void **state)
{
    (void)state;
    FILE *f = text_file(CSV_HEADER
                        "auspol_2,auspol,0,2,3,3,3,3,3,3\n"
                        "t15_9,true,13,40.5,50,60,70,80,90,100\r\n"
                        "\n");
    trajectory_set s = { NULL, 0, 0 };
    char err[128] = "";
    assert_int_equal(trajectory_load_csv(f, &s, err, sizeof err), 0);
    fclose(f);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.items[0].id, "auspol_2");
    const double a[REPLAY_POINTS] = { 0, 2, 3, 3, 3, 3, 3, 3 };
    assert_v(&s.items[0], a);
    const double b[REPLAY_POINTS] = { 13, 40.5, 50, 60, 70, 80, 90, 100 };
    assert_v(&s.items[1], b);

    const char *bad[] = {
        "cascade_id\tlabel\n",
        CSV_HEADER "a,x,0,1,2,3,4,5,6\n",
        CSV_HEADER "a,x,0,1,2,3,4,5,6,7,8\n",
        CSV_HEADER "a,x,0,1,2,3,4,5,6,\n",
        CSV_HEADER "a,x,0,1,2,3,-4,5,6,7\n",
        CSV_HEADER "a,x,0,1,2,3,4,5,6,inf\n",
        CSV_HEADER ",x,0,1,2,3,4,5,6,7\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = text_file(bad[i]);
        err[0] = '\0';
        assert_int_equal(trajectory_load_csv(f, &s, err, sizeof err), -1);
        fclose(f);
        assert_non_null(strstr(err, i == 0 ? "line 1" : "line 2"));
        assert_int_equal(s.n, 2);
    }
    trajectory_set_free(&s);
}

/* ---- threshold -------------------------------------------------------- */

static double threshold_of(const double *v0, size_t n, double p, double floor_value)
{
    trajectory_set s = { NULL, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        double v[REPLAY_POINTS] = { v0[i], v0[i], v0[i], v0[i], v0[i], v0[i], v0[i], v0[i] };
        add(&s, "t", v);
    }
    replay_options o;
    replay_options_default(&o);
    o.percentile = p;
    o.floor = floor_value;
    replay_result r;
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    trajectory_set_free(&s);
    return r.threshold;
}

/* PERCENTILE_CONT: linear interpolation at p * (n - 1) of the sorted values. */
static void test_threshold_percentile(void **state)
{
    (void)state;
    const double four[] = { 4, 1, 3, 2 };
    assert_close(threshold_of(four, 4, 0.25, 1), 1.75);
    assert_close(threshold_of(four, 4, 0.5, 1), 2.5);
    assert_close(threshold_of(four, 4, 0.0, 0), 1);
    assert_close(threshold_of(four, 4, 1.0, 0), 4);
    assert_close(threshold_of(four, 4, 0.25, 3), 3);  /* the floor */
    const double five[] = { 50, 10, 40, 20, 30 };
    assert_close(threshold_of(five, 5, 0.25, 1), 20);
    assert_close(threshold_of(five, 5, 0.1, 1), 14);
    const double one[] = { 7 };
    assert_close(threshold_of(one, 1, 0.25, 1), 7);
    const double zeros[] = { 0, 5, 0, 50 };
    assert_close(threshold_of(zeros, 4, 0.25, 1), 1);
    assert_close(threshold_of(zeros, 4, 0.25, 0), 0);
    assert_close(threshold_of(NULL, 0, 0.25, 1), 1);  /* no tweet: the floor */
}

/* ---- the measures ------------------------------------------------------ */

/* Two tweets, by hand. T1 grows early: 0 | 2 4 4 4 4 4 | 6 at 7 h.
 * T2 starts late: 0 | 0 0 3 3 3 3 | 3. Denominators: curve (2 + 4 * 5) +
 * (3 * 4) = 34, growth 6 + 3 = 9. */
static void two_tweets(trajectory_set *s)
{
    const double t1[REPLAY_POINTS] = { 0, 2, 4, 4, 4, 4, 4, 6 };
    const double t2[REPLAY_POINTS] = { 0, 0, 0, 3, 3, 3, 3, 3 };
    add(s, "T1", t1);
    add(s, "T2", t2);
}

static void test_measures_by_hand(void **state)
{
    (void)state;
    trajectory_set s = { NULL, 0, 0 };
    two_tweets(&s);
    replay_options o;
    replay_options_default(&o);
    replay_result r;

    /* blind: 12 polls, exact curves, misses T1's last 2 */
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_int_equal(r.tweets, 2);
    assert_close(r.threshold, 1);
    assert_close(r.polls_per_tweet, 6);
    assert_int_equal(r.calls, 6);
    assert_int_equal(r.credits, 12 * 15);
    assert_close(r.curve_error, 0);
    assert_close(r.missed_growth, 2.0 / 9);

    /* default: T1 followed to the end (6 polls), T2 stopped at 1 h (0 -> 0):
     * T2 rebuilt flat at 0, wrong by 3 at 3..6 h; misses 2 + 3 */
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 3.5);
    assert_int_equal(r.calls, 6);
    assert_int_equal(r.credits, 7 * 15);
    assert_close(r.curve_error, 12.0 / 34);
    assert_close(r.missed_growth, 5.0 / 9);

    /* backoff: T1 at 1 2 3 4 6 (exact), T2 at 1 2 4 5 6: 3 h rebuilt 1.5
     * between (2 h, 0) and (4 h, 3), true 3 */
    assert_int_equal(replay_run(POLICY_BACKOFF, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 5);
    assert_int_equal(r.calls, 6);  /* one lot: slots 1..6 each have a poll */
    assert_int_equal(r.credits, 10 * 15);
    assert_close(r.curve_error, 1.5 / 34);
    assert_close(r.missed_growth, 2.0 / 9);

    /* one tweet per lot: calls = the slots each tweet is polled at */
    o.lot_size = 1;
    assert_int_equal(replay_run(POLICY_BACKOFF, &o, &s, &r), 0);
    assert_int_equal(r.calls, 10);
    assert_int_equal(r.credits, 10 * 15);

    /* adaptive: T1 1 h +2 on 2 (fast, > threshold): 2 h; +2 on 4 over 1 h
     * is 50 %/h: 3 h; +0: 6 h. T2 1 h quiet: 6 h. */
    replay_options_default(&o);
    assert_int_equal(replay_run(POLICY_ADAPTIVE, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 3);  /* T1 1 2 3 6, T2 1 6 */
    assert_int_equal(r.calls, 4);        /* slots 1, 2, 3, 6 */
    /* T2 rebuilt: 0 at 1 h, then a line to 3 at 6 h: 0.6 1.2 1.8 2.4 at 2..5 h
     * against 0 3 3 3: errors 0.6 + 1.8 + 1.2 + 0.6 = 4.2 */
    assert_close(r.curve_error, 4.2 / 34);
    assert_close(r.missed_growth, 2.0 / 9);
    trajectory_set_free(&s);
}

/* Fewer slots than hours: the curve is flat after the last observation. */
static void test_measures_short_schedule(void **state)
{
    (void)state;
    trajectory_set s = { NULL, 0, 0 };
    const double v[REPLAY_POINTS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    add(&s, "ramp", v);
    replay_options o;
    replay_options_default(&o);
    o.params.max_slots = 3;
    replay_result r;
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 3);
    assert_close(r.curve_error, (1.0 + 2 + 3) / 21);
    assert_close(r.missed_growth, 4.0 / 7);
    /* the age limit stops it earlier than max_slots */
    o.params.max_slots = 6;
    o.params.age_limit_hours = 2;
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 2);  /* 1 h 5 min, 2 h 5 min: stop */
    o.params.age_limit_hours = 2.05;     /* the 5 min count: 2 h 5 min is past it */
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 2);
    o.params.age_limit_hours = 2.1;
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet, 3);
    trajectory_set_free(&s);
}

/* the default decision rule: A 0, B 5, C 0, D 50 at 5 min, threshold 1:
 * A 1 poll, B, C, D 6 each: 19 polls instead of 24. */
static void test_worked_example_replay(void **state)
{
    (void)state;
    trajectory_set s = { NULL, 0, 0 };
    const double a[REPLAY_POINTS] = { 0, 0, 0, 0, 0, 0, 0, 0 };
    const double b[REPLAY_POINTS] = { 5, 8, 8, 8, 8, 8, 8, 8 };
    const double c[REPLAY_POINTS] = { 0, 2, 2, 2, 2, 2, 2, 2 };
    const double d[REPLAY_POINTS] = { 50, 120, 350, 500, 600, 650, 700, 720 };
    add(&s, "A", a);
    add(&s, "B", b);
    add(&s, "C", c);
    add(&s, "D", d);
    replay_options o;
    replay_options_default(&o);
    replay_result r;
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), 0);
    assert_close(r.threshold, 1);  /* P25 of 0 0 5 50 is 0 */
    assert_close(r.polls_per_tweet * 4, 19);
    assert_int_equal(r.calls, 6);
    assert_int_equal(r.credits, 19 * 15);
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_close(r.polls_per_tweet * 4, 24);
    /* ids per call: 2 per call makes slot 1 (4 tweets) 2 calls, the rest
     * (3 tweets) 2 calls each */
    o.batch_size = 2;
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), 0);
    assert_int_equal(r.calls, 12);
    assert_int_equal(r.credits, 19 * 15);
    trajectory_set_free(&s);
}

static void test_calls_per_lot(void **state)
{
    (void)state;
    trajectory_set s = { NULL, 0, 0 };
    const double v[REPLAY_POINTS] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    for (int i = 0; i < 5; i++)
        add(&s, "t", v);
    replay_options o;
    replay_options_default(&o);
    o.lot_size = 2;  /* lots of 2, 2, 1 */
    replay_result r;
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_int_equal(r.calls, 18);
    assert_int_equal(r.credits, 30 * 15);
    o.lot_size = 5;
    o.batch_size = 1;
    assert_int_equal(replay_run(POLICY_BLIND, &o, &s, &r), 0);
    assert_int_equal(r.calls, 30);
    assert_int_equal(r.credits, 30 * 15);
    trajectory_set_free(&s);
}

static void test_replay_invalid(void **state)
{
    (void)state;
    trajectory_set s = { NULL, 0, 0 };
    replay_options o;
    replay_options_default(&o);
    replay_result r;
    memset(&r, 0xff, sizeof r);
    /* no tweet: zeros and the floor */
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), 0);
    assert_int_equal(r.tweets, 0);
    assert_close(r.polls_per_tweet, 0);
    assert_int_equal(r.calls, 0);
    assert_int_equal(r.credits, 0);
    assert_close(r.curve_error, 0);
    assert_close(r.missed_growth, 0);
    assert_close(r.threshold, 1);

    const double v[REPLAY_POINTS] = { 0 };
    add(&s, "flat", v);
    assert_int_equal(replay_run(POLICY_DEFAULT, NULL, &s, &r), -1);
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, NULL, &r), -1);
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, NULL), -1);
    assert_int_equal(replay_run(POLICY__COUNT, &o, &s, &r), -1);
    replay_options bad = o;
    bad.lot_size = 0;
    assert_int_equal(replay_run(POLICY_DEFAULT, &bad, &s, &r), -1);
    bad = o;
    bad.batch_size = 0;
    assert_int_equal(replay_run(POLICY_DEFAULT, &bad, &s, &r), -1);
    bad = o;
    bad.params.max_slots = 0;
    assert_int_equal(replay_run(POLICY_DEFAULT, &bad, &s, &r), -1);
    bad.params.max_slots = REPLAY_POINTS - 1;  /* 7 h is for missed growth only */
    assert_int_equal(replay_run(POLICY_DEFAULT, &bad, &s, &r), -1);
    bad = o;
    bad.percentile = 1.5;
    assert_int_equal(replay_run(POLICY_DEFAULT, &bad, &s, &r), -1);
    bad.percentile = NAN;
    assert_int_equal(replay_run(POLICY_DEFAULT, &bad, &s, &r), -1);
    /* flat curves: nothing to err on, nothing to miss */
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), 0);
    assert_close(r.curve_error, 0);
    assert_close(r.missed_growth, 0);
    /* a value no counter holds */
    s.items[0].v[3] = NAN;
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), -1);
    s.items[0].v[3] = 1e300;
    assert_int_equal(replay_run(POLICY_DEFAULT, &o, &s, &r), -1);
    trajectory_set_free(&s);
}

/* ---- the shipped sample ------------------------------------------------ */

/* deploy/local-stack/sample-cascades.tsv, found from ET_TEST_DATA (test/data). */
static FILE *open_sample(void)
{
    const char *data = getenv("ET_TEST_DATA");
    if (data == NULL)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s", data);
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    size_t len = strlen(path);
    snprintf(path + len, sizeof path - len, "/../deploy/local-stack/sample-cascades.tsv");
    return fopen(path, "r");
}

static void test_sample_cascades(void **state)
{
    (void)state;
    FILE *f = open_sample();
    if (f == NULL)
        skip();
    trajectory_set s = { NULL, 0, 0 };
    char err[128] = "";
    int rc = trajectory_load_cascades(f, &s, err, sizeof err);
    fclose(f);
    if (rc != 0)
        fail_msg("sample: %s", err);
    assert_int_equal(s.n, 200);

    replay_options o;
    replay_options_default(&o);
    replay_result r[POLICY__COUNT];
    for (int k = 0; k < POLICY__COUNT; k++)
        assert_int_equal(replay_run((policy_kind)k, &o, &s, &r[k]), 0);
    assert_close(r[POLICY_BLIND].polls_per_tweet, 6);
    assert_close(r[POLICY_BLIND].curve_error, 0);
    /* backoff and adaptive always take the last slot: they miss what blind misses */
    assert_close(r[POLICY_BACKOFF].missed_growth, r[POLICY_BLIND].missed_growth);
    assert_close(r[POLICY_ADAPTIVE].missed_growth, r[POLICY_BLIND].missed_growth);
    /* the sample shows the default rule's weakness, and the adaptive fix */
    assert_true(r[POLICY_DEFAULT].missed_growth > r[POLICY_BLIND].missed_growth);
    assert_true(r[POLICY_ADAPTIVE].polls_per_tweet <= r[POLICY_DEFAULT].polls_per_tweet);
    assert_true(r[POLICY_ADAPTIVE].curve_error <= r[POLICY_DEFAULT].curve_error);
    for (int k = 0; k < POLICY__COUNT; k++) {
        assert_true(r[k].polls_per_tweet >= 1 && r[k].polls_per_tweet <= 6);
        assert_int_equal(r[k].credits, llround(r[k].polls_per_tweet * 200) * 15);
    }
    trajectory_set_free(&s);
}

/* ---- the command ------------------------------------------------------- */

static int cli(int argc, const char **argv)
{
    char *args[16];
    assert_true(argc < 16);
    for (int i = 0; i < argc; i++)
        args[i] = (char *)argv[i];
    args[argc] = NULL;
    return replay_cli_main(argc, args);
}

static void test_cli(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_replay.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char tsv[64], csv[64], bad[64], missing[64];
    snprintf(tsv, sizeof tsv, "%s/c.tsv", dir);
    snprintf(csv, sizeof csv, "%s/t.csv", dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    snprintf(missing, sizeof missing, "%s/missing.tsv", dir);
    FILE *f = fopen(tsv, "w");
    assert_non_null(f);
    fputs(CASCADE_HEADER "a\tx\t0\t\nb\tx\t3\t100,4000,9000\n", f);
    fclose(f);
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs(CSV_HEADER "a,x,0,0,0,0,0,0,0,0\nb,x,1,1,2,2,3,3,3,3\n", f);
    fclose(f);
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs(CSV_HEADER "a,x,0,0\n", f);
    fclose(f);

    const char *help[] = { "evaluate", "--help" };
    assert_int_equal(cli(2, help), 0);
    const char *none[] = { "evaluate" };
    assert_int_equal(cli(1, none), 2);
    const char *only_opts[] = { "evaluate", "--csv" };
    assert_int_equal(cli(2, only_opts), 2);
    const char *unknown[] = { "evaluate", "--fast", tsv };
    assert_int_equal(cli(3, unknown), 2);
    const char *bad_policy[] = { "evaluate", "--policy", "smart", tsv };
    assert_int_equal(cli(4, bad_policy), 2);
    const char *no_value[] = { "evaluate", tsv, "--policy" };
    assert_int_equal(cli(3, no_value), 2);  /* "--policy" is not a .tsv/.csv FILE */
    const char *dangling[] = { "evaluate", "--policy" };
    assert_int_equal(cli(2, dangling), 2);
    const char *lot0[] = { "evaluate", "--lot-size", "0", tsv };
    assert_int_equal(cli(4, lot0), 2);
    const char *lotx[] = { "evaluate", "--lot-size=12x", tsv };
    assert_int_equal(cli(3, lotx), 2);
    const char *batchneg[] = { "evaluate", "--batch-size", "-5", tsv };
    assert_int_equal(cli(4, batchneg), 2);
    const char *ext[] = { "evaluate", "cascades.txt" };
    assert_int_equal(cli(2, ext), 2);

    const char *all[] = { "evaluate", tsv, csv };
    assert_int_equal(cli(3, all), 0);
    const char *one[] = { "evaluate", "--policy=adaptive", "--lot-size", "1", "--batch-size=10",
                          "--csv", "--", csv };
    assert_int_equal(cli(8, one), 0);
    const char *gone[] = { "evaluate", missing, tsv };
    assert_int_equal(cli(3, gone), 1);
    const char *broken[] = { "evaluate", "--policy", "all", bad };
    assert_int_equal(cli(4, broken), 1);

    unlink(tsv);
    unlink(csv);
    unlink(bad);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_add_free),
        cmocka_unit_test(test_load_cascades),
        cmocka_unit_test(test_load_cascades_errors),
        cmocka_unit_test(test_load_cascades_long_line),
        cmocka_unit_test(test_load_csv),
        cmocka_unit_test(test_threshold_percentile),
        cmocka_unit_test(test_measures_by_hand),
        cmocka_unit_test(test_measures_short_schedule),
        cmocka_unit_test(test_worked_example_replay),
        cmocka_unit_test(test_calls_per_lot),
        cmocka_unit_test(test_replay_invalid),
        cmocka_unit_test(test_sample_cascades),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
