/* fuzz_webhook_payload.c - libFuzzer target: webhook_payload_parse() on an
 * arbitrary body, then a walk over everything the result exposes, checking
 * the invariants the responder relies on (valid ids, no negative counter,
 * entity cap, normalised values, every tweet accounted for exactly once).
 * A broken invariant aborts, so the fuzzer reports it like a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"

#define MAX_TWEETS 100
#define MAX_ENTITIES 1000   /* tweet.c caps the entities of one tweet */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every byte of a string so ASan sees any dangling or unterminated one. */
static volatile size_t sink;

static size_t touch(const char *s)
{
    size_t n;

    if (!s)
        return 0;
    n = strlen(s);
    for (size_t i = 0; i < n; i++)
        sink += (unsigned char)s[i];
    return n;
}

static void check(int cond)
{
    if (!cond)
        abort();
}

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* owned must be the ASCII lower-case copy of value. */
static void check_folded(const char *value, const char *owned)
{
    check(value != NULL && owned != NULL);
    check(touch(value) == touch(owned));
    for (size_t i = 0; value[i]; i++)
        check(owned[i] == fold(value[i]));
}

static void walk_author(const tweet_author *a)
{
    check(tweet_id_valid(a->id));
    if (a->username)
        check_folded(a->username, a->username_lower);
    else
        check(a->username_lower == NULL);
    touch(a->name);
    touch(a->description);
    touch(a->location);
    touch(a->profile_picture_url);
    touch(a->cover_picture_url);
    touch(a->verified_type);
    touch(a->automated_by);
    check(a->followers >= 0 && a->following >= 0 && a->statuses >= 0 && a->media >= 0 &&
          a->favourites >= 0);
    check(a->has_created_at || a->created_at == 0);
    check(a->raw_json != NULL && touch(a->raw_json) > 0);
}

static void walk_tweet(const tweet *t, size_t received)
{
    const tweet_metrics *m = &t->metrics;
    bool hashtags = false, mentions = false, links = false;

    check(t->index < received);
    check(tweet_id_valid(t->id));
    check(t->text != NULL);
    touch(t->text);
    touch(t->lang);
    touch(t->source);
    touch(t->url);
    touch(t->twitter_url);
    /* "" is reported as NULL for these. */
    check(!t->conversation_id || touch(t->conversation_id) > 0);
    check(!t->in_reply_to_id || touch(t->in_reply_to_id) > 0);
    check(!t->in_reply_to_user_id || touch(t->in_reply_to_user_id) > 0);
    check(!t->in_reply_to_username || touch(t->in_reply_to_username) > 0);
    /* Bounded so that the database's bigint sum of four cannot overflow. */
    check(m->likes >= 0 && m->retweets >= 0 && m->replies >= 0 && m->quotes >= 0 &&
          m->bookmarks >= 0);
    check(m->likes <= TWEET_COUNTER_MAX && m->retweets <= TWEET_COUNTER_MAX &&
          m->replies <= TWEET_COUNTER_MAX && m->quotes <= TWEET_COUNTER_MAX &&
          m->bookmarks <= TWEET_COUNTER_MAX);
    check(!m->has_views || (m->views >= 0 && m->views <= TWEET_COUNTER_MAX));
    check(tweet_metrics_engagement(m) >= 0 && tweet_metrics_engagement(m) <= 4 * TWEET_COUNTER_MAX);
    sink += (size_t)t->created_at + t->is_reply + t->has_media;

    if (t->has_author)
        walk_author(&t->author);
    else
        check(t->author.raw_json == NULL && t->author.username_lower == NULL);

    check(t->n_entities <= MAX_ENTITIES);
    check(t->n_entities == 0 || t->entities != NULL);
    for (size_t i = 0; i < t->n_entities; i++) {
        const tweet_entity *e = &t->entities[i];
        check(e->value != NULL && e->value[0] != '\0');
        check_folded(e->value, e->normalized);
        check(e->start >= -1 && e->end >= -1);
        check((e->start == -1) == (e->end == -1));
        switch (e->type) {
        case ENTITY_HASHTAG: hashtags = true; break;
        case ENTITY_MENTION: mentions = true; break;
        case ENTITY_URL: links = true; break;
        default: abort();
        }
    }
    check(t->has_hashtags == hashtags && t->has_mentions == mentions && t->has_links == links);
    check(t->raw_json != NULL && touch(t->raw_json) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    webhook_payload p;
    char err[256];
    size_t next = 0, ti = 0, ri = 0;

    err[0] = '\0';
    if (webhook_payload_parse((const char *)data, size, MAX_TWEETS, &p, err, sizeof err) != 0) {
        /* Every refusal names its reason, and leaves nothing to free. */
        check(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
        check(p.root == NULL && p.tweets == NULL && p.rejects == NULL);
        return 0;
    }
    check(p.root != NULL);
    touch(p.event_type);
    touch(p.rule_id);
    touch(p.rule_tag);
    if (p.kind == WEBHOOK_IGNORED) {
        check(p.n_tweets == 0 && p.n_rejects == 0);
    } else {
        check(p.kind == WEBHOOK_TWEETS);
        check(p.rule_id != NULL && p.rule_id[0] != '\0');
        check(p.received >= 1 && p.received <= MAX_TWEETS);
        /* Each position of the delivery is either a tweet or a reject, in order. */
        check(p.n_tweets + p.n_rejects == p.received);
        while (next < p.received) {
            if (ti < p.n_tweets && p.tweets[ti].index == next) {
                walk_tweet(&p.tweets[ti++], p.received);
            } else {
                check(ri < p.n_rejects && p.rejects[ri].index == next);
                check(p.rejects[ri].reason != NULL && touch(p.rejects[ri].reason) > 0);
                check(p.rejects[ri].raw != NULL);
                ri++;
            }
            next++;
        }
    }
    webhook_payload_free(&p);
    check(p.root == NULL);
    return 0;
}
