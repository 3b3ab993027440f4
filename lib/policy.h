/* policy.h - tracking policies: pure functions deciding, after each
 * observation of a tweet, whether and when to observe it again.
 * track-lot.fcgi and the offline evaluator call this same code.
 *
 * Time is counted in slots: slot k is k tracking intervals (default 1 h)
 * after the tweet was collected; slots run 1..max_slots (default 6). A lot's
 * QStash message for update number k is the callback at slot k. */
#ifndef ET_POLICY_H
#define ET_POLICY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    POLICY_DEFAULT = 0,  /* the default decision rule: stop on no change below threshold */
    POLICY_BACKOFF,      /* slow down instead of stopping: gaps 1, 2, 4 slots while unchanged, always the last slot */
    POLICY_ADAPTIVE,     /* the measured better policy (see policy.c for its rule) */
    POLICY_BLIND,        /* every tweet at every slot (the reference) */
    POLICY__COUNT
} policy_kind;

typedef struct {
    int max_slots;           /* default 6 */
    double age_limit_hours;  /* default 6 */
} policy_params;

typedef struct {
    double hours;            /* hours since collection; obs[0].hours == 0 is the webhook's value */
    long long engagement;    /* likes + retweets + replies + quotes */
} policy_obs;

typedef struct {
    const policy_obs *obs;   /* every observation so far, oldest first; obs[n_obs-1] was just made */
    size_t n_obs;            /* >= 2 when called after an update */
    int slot;                /* the slot of obs[n_obs-1], 1..max_slots */
    double age_hours;        /* tweet age (now - its creation time) at that observation */
    double threshold;        /* zone threshold  */
} policy_input;

typedef struct {
    bool keep;               /* observe again */
    int next_slot;           /* when keep: slot < next_slot <= max_slots */
    const char *reason;      /* static: delta_positive, above_threshold, no_change_below_threshold,
                                age_limit_6h, max_updates, or a policy's own */
} policy_decision;

/* The decision after an observation. Pure. Whatever the policy, a tweet at
 * the age limit stops with age_limit_6h and one at max_slots stops with
 * max_updates (the age limit wins when both hold). */
policy_decision policy_decide(policy_kind k, const policy_params *p, const policy_input *in);

/* The slot of the first observation after collection (1 for the default). */
int policy_first_slot(policy_kind k, const policy_params *p);

/* Names: "default", "backoff", "adaptive", "blind". Returns 0 or -1. */
int policy_parse(const char *name, policy_kind *out);
const char *policy_name(policy_kind k);

#endif
