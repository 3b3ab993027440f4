/* test_policy.c - the tracking policies (lib/policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "policy.h"

static const policy_params defaults = { 6, 6.0 };

/* A decision after observations eng[0..n-1] (eng[0] = the webhook's value),
 * the last one made at `slot`, `age` hours old. */
static policy_decision decide(policy_kind k, const policy_params *p, const long long *eng,
                              size_t n, int slot, double age, double threshold)
{
    policy_obs obs[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        obs[i].hours = (double)i;  /* only the differences matter */
        obs[i].engagement = eng[i];
    }
    policy_input in = { obs, n, slot, age, threshold };
    return policy_decide(k, p, &in);
}

/* Follows one tweet through a policy: v[s] is the engagement at slot s
 * (v[0] at collection), age at slot s is s + age0. Returns the polls made
 * and fills slots[] with the slots observed and *reason with the last one. */
static int follow(policy_kind k, const policy_params *p, const long long *v, double age0,
                  double threshold, int *slots, const char **reason)
{
    policy_obs obs[16];
    size_t n = 1;
    int polls = 0;
    obs[0].hours = 0;
    obs[0].engagement = v[0];
    int slot = policy_first_slot(k, p);
    for (;;) {
        assert_true(n < 16);
        obs[n].hours = slot;
        obs[n].engagement = v[slot];
        n++;
        slots[polls++] = slot;
        policy_input in = { obs, n, slot, slot + age0, threshold };
        policy_decision d = policy_decide(k, p, &in);
        assert_non_null(d.reason);
        if (!d.keep) {
            *reason = d.reason;
            return polls;
        }
        assert_true(d.next_slot > slot);
        assert_true(d.next_slot <= p->max_slots);
        slot = d.next_slot;
    }
}

/* ---- the default rule ------------------------------------------------- */

static void test_default_delta_positive(void **state)
{
    (void)state;
    const long long e[] = { 0, 3 };
    policy_decision d = decide(POLICY_DEFAULT, &defaults, e, 2, 1, 1.08, 1);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 2);
    assert_string_equal(d.reason, "delta_positive");
}

static void test_default_above_threshold(void **state)
{
    (void)state;
    const long long e[] = { 0, 7, 7 };
    policy_decision d = decide(POLICY_DEFAULT, &defaults, e, 3, 2, 2.08, 7);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 3);
    assert_string_equal(d.reason, "above_threshold");
}

static void test_default_no_change_below_threshold(void **state)
{
    (void)state;
    const long long e[] = { 6, 6 };
    policy_decision d = decide(POLICY_DEFAULT, &defaults, e, 2, 1, 1.08, 6.5);
    assert_false(d.keep);
    assert_string_equal(d.reason, "no_change_below_threshold");
}

static void test_default_age_limit(void **state)
{
    (void)state;
    const long long e[] = { 0, 100 };  /* growing and above threshold: still stops */
    policy_decision d = decide(POLICY_DEFAULT, &defaults, e, 2, 3, 6.0, 1);
    assert_false(d.keep);
    assert_string_equal(d.reason, "age_limit_6h");
}

/* The order: age limit, then delta, then threshold, then stop. */
static void test_default_order(void **state)
{
    (void)state;
    /* delta > 0 and above threshold: delta wins */
    const long long up[] = { 10, 20 };
    assert_string_equal(decide(POLICY_DEFAULT, &defaults, up, 2, 1, 1.08, 1).reason,
                        "delta_positive");
    /* a falling count above threshold keeps on the threshold */
    const long long down[] = { 20, 19 };
    policy_decision d = decide(POLICY_DEFAULT, &defaults, down, 2, 1, 1.08, 1);
    assert_true(d.keep);
    assert_string_equal(d.reason, "above_threshold");
    /* a falling count below threshold stops */
    d = decide(POLICY_DEFAULT, &defaults, down, 2, 1, 1.08, 50);
    assert_false(d.keep);
    assert_string_equal(d.reason, "no_change_below_threshold");
    /* the age limit is checked before anything else, even at age == limit */
    d = decide(POLICY_DEFAULT, &defaults, up, 2, 1, 6.0, 1);
    assert_string_equal(d.reason, "age_limit_6h");
    /* just under the limit: the rule applies */
    d = decide(POLICY_DEFAULT, &defaults, up, 2, 5, 5.999, 1);
    assert_string_equal(d.reason, "delta_positive");
    /* delta is last minus previous observation, not minus the first */
    const long long flat_then[] = { 0, 5, 5 };
    d = decide(POLICY_DEFAULT, &defaults, flat_then, 3, 2, 2.08, 10);
    assert_false(d.keep);
}

/* the default decision rule: lot received at 10:00 with A 0, B 5, C 0, D 50,
 * threshold 1; tweets created at 10:00, so 6 h old at 16:00 (slot 6). */
static void test_default_worked_example(void **state)
{
    (void)state;
    const long long a[] = { 0, 0, 0, 0, 0, 0, 0 };
    const long long b[] = { 5, 8, 8, 8, 8, 8, 8 };
    const long long c[] = { 0, 2, 2, 2, 2, 2, 2 };
    const long long dd[] = { 50, 120, 350, 400, 420, 430, 435 };
    int slots[8];
    const char *reason = NULL;

    int pa = follow(POLICY_DEFAULT, &defaults, a, 0.0, 1, slots, &reason);
    assert_int_equal(pa, 1);
    assert_string_equal(reason, "no_change_below_threshold");

    /* B at 12:00: 8 -> 8 continues on the threshold (8 >= 1) */
    const long long b2[] = { 5, 8, 8 };
    policy_decision d = decide(POLICY_DEFAULT, &defaults, b2, 3, 2, 2.0, 1);
    assert_true(d.keep);
    assert_string_equal(d.reason, "above_threshold");

    int pb = follow(POLICY_DEFAULT, &defaults, b, 0.0, 1, slots, &reason);
    assert_int_equal(pb, 6);
    assert_string_equal(reason, "age_limit_6h");
    int pc = follow(POLICY_DEFAULT, &defaults, c, 0.0, 1, slots, &reason);
    assert_int_equal(pc, 6);
    assert_string_equal(reason, "age_limit_6h");
    int pd = follow(POLICY_DEFAULT, &defaults, dd, 0.0, 1, slots, &reason);
    assert_int_equal(pd, 6);
    assert_string_equal(reason, "age_limit_6h");
    for (int i = 0; i < 6; i++)
        assert_int_equal(slots[i], i + 1);

    assert_int_equal(pa + pb + pc + pd, 19);  /* instead of 4 x 6 = 24 */
}

/* ---- limits common to every policy ------------------------------------ */

static void test_max_updates_and_age_limit(void **state)
{
    (void)state;
    const policy_params p = { 4, 10.0 };
    const long long e[] = { 0, 5, 9, 20, 40 };
    for (int k = 0; k < POLICY__COUNT; k++) {
        /* at max_slots, younger than the limit: max_updates */
        policy_decision d = decide((policy_kind)k, &p, e, 5, 4, 4.08, 1);
        assert_false(d.keep);
        assert_string_equal(d.reason, "max_updates");
        /* past max_slots (a late redelivery): still max_updates */
        d = decide((policy_kind)k, &p, e, 5, 5, 5.08, 1);
        assert_false(d.keep);
        assert_string_equal(d.reason, "max_updates");
        /* both hold: the age limit wins */
        d = decide((policy_kind)k, &p, e, 5, 4, 10.0, 1);
        assert_false(d.keep);
        assert_string_equal(d.reason, "age_limit_6h");
        /* the age limit alone, before max_slots */
        d = decide((policy_kind)k, &p, e, 4, 3, 11.0, 1);
        assert_false(d.keep);
        assert_string_equal(d.reason, "age_limit_6h");
    }
    /* the default parameters: slot 6 is 6 h 5 min old, the age limit wins */
    for (int k = 0; k < POLICY__COUNT; k++) {
        const long long g[] = { 0, 1, 2, 3, 4, 5, 6 };
        policy_decision d = decide((policy_kind)k, &defaults, g, 7, 6, 6 + 5.0 / 60, 1);
        assert_string_equal(d.reason, "age_limit_6h");
    }
}

static void test_blind(void **state)
{
    (void)state;
    const long long zero[7] = { 0 };
    int slots[8];
    const char *reason = NULL;
    assert_int_equal(follow(POLICY_BLIND, &defaults, zero, 5.0 / 60, 1, slots, &reason), 6);
    assert_string_equal(reason, "age_limit_6h");
    const policy_params p = { 6, 24.0 };
    assert_int_equal(follow(POLICY_BLIND, &p, zero, 5.0 / 60, 1, slots, &reason), 6);
    assert_string_equal(reason, "max_updates");
}

/* ---- backoff ---------------------------------------------------------- */

static void test_backoff_gaps(void **state)
{
    (void)state;
    int slots[8];
    const char *reason = NULL;

    /* never changes: slots 1, 2 (gap 1), 4 (gap 2), then 8 cut to 6 */
    const long long flat[7] = { 3, 3, 3, 3, 3, 3, 3 };
    int n = follow(POLICY_BACKOFF, &defaults, flat, 5.0 / 60, 100, slots, &reason);
    assert_int_equal(n, 4);
    assert_int_equal(slots[0], 1);
    assert_int_equal(slots[1], 2);
    assert_int_equal(slots[2], 4);
    assert_int_equal(slots[3], 6);
    assert_string_equal(reason, "age_limit_6h");

    /* a change resets the gap: 1 (+), 2 (+), 3 (=, gap 1), 4 (=, gap 2), 6 */
    const long long early[7] = { 0, 2, 4, 4, 4, 4, 4 };
    n = follow(POLICY_BACKOFF, &defaults, early, 5.0 / 60, 100, slots, &reason);
    assert_int_equal(n, 5);
    const int want[] = { 1, 2, 3, 4, 6 };
    for (int i = 0; i < n; i++)
        assert_int_equal(slots[i], want[i]);

    /* late start: 1 (=, gap 1), 2 (=, gap 2), 4 (+), 5 (=, gap 1), 6 */
    const long long late[7] = { 0, 0, 0, 0, 3, 3, 3 };
    n = follow(POLICY_BACKOFF, &defaults, late, 5.0 / 60, 100, slots, &reason);
    const int want_late[] = { 1, 2, 4, 5, 6 };
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++)
        assert_int_equal(slots[i], want_late[i]);

    /* the reasons: a change is delta_positive, no change is backoff */
    const long long up[] = { 0, 1 };
    assert_string_equal(decide(POLICY_BACKOFF, &defaults, up, 2, 1, 1.08, 1).reason,
                        "delta_positive");
    const long long same[] = { 1, 1, 1 };
    policy_decision d = decide(POLICY_BACKOFF, &defaults, same, 3, 2, 2.08, 1);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 4);
    assert_string_equal(d.reason, "backoff");
    /* a fall counts as no change: never stops before the last slot */
    const long long fall[] = { 9, 5 };
    d = decide(POLICY_BACKOFF, &defaults, fall, 2, 1, 1.08, 100);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 2);
}

/* With more slots the gaps go on doubling: 1, 2, 4, 8, cut to the last. */
static void test_backoff_long_schedule(void **state)
{
    (void)state;
    const policy_params p = { 12, 48.0 };
    long long flat[13] = { 0 };
    int slots[16];
    const char *reason = NULL;
    int n = follow(POLICY_BACKOFF, &p, flat, 5.0 / 60, 1, slots, &reason);
    const int want[] = { 1, 2, 4, 8, 12 };
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++)
        assert_int_equal(slots[i], want[i]);
    assert_string_equal(reason, "max_updates");
}

/* ---- adaptive --------------------------------------------------------- */

static void test_adaptive_rule(void **state)
{
    (void)state;
    /* fast relative growth above the threshold: next slot */
    const long long fast[] = { 0, 10 };
    policy_decision d = decide(POLICY_ADAPTIVE, &defaults, fast, 2, 1, 1.08, 1);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 2);
    assert_string_equal(d.reason, "growing_fast");
    /* quiet: jump to the last slot */
    const long long quiet[] = { 0, 0 };
    d = decide(POLICY_ADAPTIVE, &defaults, quiet, 2, 1, 1.08, 1);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 6);
    assert_string_equal(d.reason, "skip_to_last");
    /* growth not above the threshold: last slot */
    const long long small[] = { 0, 1 };
    d = decide(POLICY_ADAPTIVE, &defaults, small, 2, 1, 1.08, 1);
    assert_int_equal(d.next_slot, 6);
    /* slow relative growth (10 on 1000 per hour): last slot */
    const long long slow[] = { 990, 1000 };
    d = decide(POLICY_ADAPTIVE, &defaults, slow, 2, 1, 1.08, 1);
    assert_int_equal(d.next_slot, 6);
    /* 30 %/h is the bar: 30 on 100 in one hour keeps, 29 does not */
    const long long bar[] = { 70, 100 };
    assert_int_equal(decide(POLICY_ADAPTIVE, &defaults, bar, 2, 1, 1.08, 1).next_slot, 2);
    const long long under[] = { 71, 100 };
    assert_int_equal(decide(POLICY_ADAPTIVE, &defaults, under, 2, 1, 1.08, 1).next_slot, 6);
    /* the rate is per hour between the last two observations */
    policy_obs obs[3] = { { 0, 70 }, { 1, 70 }, { 3, 100 } };  /* 15/h on 100 */
    policy_input in = { obs, 3, 3, 3.08, 1 };
    assert_int_equal(policy_decide(POLICY_ADAPTIVE, &defaults, &in).next_slot, 6);
    obs[1].hours = 2.5;  /* 60/h on 100 */
    assert_int_equal(policy_decide(POLICY_ADAPTIVE, &defaults, &in).next_slot, 4);
    /* the slot before the last: next slot is the last one either way */
    const long long e5[] = { 0, 10, 20, 40, 80, 160 };
    d = decide(POLICY_ADAPTIVE, &defaults, e5, 6, 5, 5.08, 1);
    assert_true(d.keep);
    assert_int_equal(d.next_slot, 6);
}

/* A small deterministic generator for the invariant sweep. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Whatever the engagement, the adaptive policy moves forward, never past
 * max_slots, and always takes the last slot (max_updates / age limit). */
static void test_adaptive_invariants(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int max_slots = 1; max_slots <= 12; max_slots++) {
        for (int round = 0; round < 400; round++) {
            const policy_params p = { max_slots, (double)max_slots + 1 };
            long long v[13];
            v[0] = lcg(&seed) % 4 == 0 ? 0 : (long long)(lcg(&seed) % 1000);
            for (int s = 1; s <= max_slots; s++) {
                uint32_t r = lcg(&seed) % 10;
                long long step = r < 4 ? 0 : r < 8 ? (long long)(lcg(&seed) % 50)
                                                   : (long long)(lcg(&seed) % 5000);
                if (r == 9 && v[s - 1] > 0)
                    step = -1;  /* an unlike */
                v[s] = v[s - 1] + step;
            }
            double threshold = (double)(lcg(&seed) % 20);
            int slots[16];
            const char *reason = NULL;
            int n = follow(POLICY_ADAPTIVE, &p, v, 5.0 / 60, threshold, slots, &reason);
            assert_true(n >= 1 && n <= max_slots);
            assert_int_equal(slots[0], 1);
            assert_int_equal(slots[n - 1], max_slots);
            assert_string_equal(reason, "max_updates");
        }
    }
}

/* ---- names, first slot, bad input ------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    for (int k = 0; k < POLICY__COUNT; k++) {
        policy_kind out = POLICY__COUNT;
        assert_int_equal(policy_parse(policy_name((policy_kind)k), &out), 0);
        assert_int_equal(out, k);
        assert_int_equal(policy_first_slot((policy_kind)k, &defaults), 1);
    }
    assert_string_equal(policy_name(POLICY_DEFAULT), "default");
    assert_string_equal(policy_name(POLICY_BACKOFF), "backoff");
    assert_string_equal(policy_name(POLICY_ADAPTIVE), "adaptive");
    assert_string_equal(policy_name(POLICY_BLIND), "blind");
    policy_kind out = POLICY_BLIND;
    assert_int_equal(policy_parse("Default", &out), -1);
    assert_int_equal(policy_parse("", &out), -1);
    assert_int_equal(policy_parse(NULL, &out), -1);
    assert_int_equal(policy_parse("all", &out), -1);
    assert_int_equal(out, POLICY_BLIND);
    assert_string_equal(policy_name(POLICY__COUNT), "unknown");
}

static void test_invalid_input(void **state)
{
    (void)state;
    const policy_obs obs[2] = { { 0, 1 }, { 1, 2 } };
    policy_input one = { obs, 1, 1, 1.08, 1 };
    policy_decision d = policy_decide(POLICY_DEFAULT, &defaults, &one);
    assert_false(d.keep);
    assert_string_equal(d.reason, "invalid_input");
    policy_input ok = { obs, 2, 1, 1.08, 1 };
    assert_false(policy_decide(POLICY_DEFAULT, NULL, &ok).keep);
    assert_false(policy_decide(POLICY_DEFAULT, &defaults, NULL).keep);
    assert_false(policy_decide(POLICY__COUNT, &defaults, &ok).keep);
    policy_input zero_slot = { obs, 2, 0, 0.08, 1 };
    assert_false(policy_decide(POLICY_BLIND, &defaults, &zero_slot).keep);
    policy_input no_obs = { NULL, 2, 1, 1.08, 1 };
    assert_false(policy_decide(POLICY_BLIND, &defaults, &no_obs).keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_delta_positive),
        cmocka_unit_test(test_default_above_threshold),
        cmocka_unit_test(test_default_no_change_below_threshold),
        cmocka_unit_test(test_default_age_limit),
        cmocka_unit_test(test_default_order),
        cmocka_unit_test(test_default_worked_example),
        cmocka_unit_test(test_max_updates_and_age_limit),
        cmocka_unit_test(test_blind),
        cmocka_unit_test(test_backoff_gaps),
        cmocka_unit_test(test_backoff_long_schedule),
        cmocka_unit_test(test_adaptive_rule),
        cmocka_unit_test(test_adaptive_invariants),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_invalid_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
