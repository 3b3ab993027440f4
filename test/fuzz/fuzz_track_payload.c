/* fuzz_track_payload.c - libFuzzer target: track_payload_parse() on an
 * arbitrary body, then a walk over the result checking what the track-lot
 * responder relies on: lot id charset and length, UUIDs only, no
 * duplicates (ASCII case-insensitive), update number in range. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"

#define MAX_UPDATES 12
#define MAX_IDS 100

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int same_uuid(const char *a, const char *b)
{
    for (size_t i = 0; i < ET_UUID_LEN; i++)
        if (fold(a[i]) != fold(b[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    track_payload p;
    char err[256];
    size_t n;

    err[0] = '\0';
    if (track_payload_parse((const char *)data, size, MAX_UPDATES, MAX_IDS, &p, err,
                            sizeof err) != 0) {
        check(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
        check(p.root == NULL && p.tweet_ids == NULL);
        return 0;
    }
    check(p.root != NULL && p.lot_id != NULL);
    n = strlen(p.lot_id);
    check(n >= 1 && n <= 128);
    for (size_t i = 0; i < n; i++) {
        char c = p.lot_id[i];
        check((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':' || c == '-');
    }
    check(p.n_tweet_ids >= 1 && p.n_tweet_ids <= MAX_IDS && p.tweet_ids != NULL);
    for (size_t i = 0; i < p.n_tweet_ids; i++) {
        check(payload_uuid_valid(p.tweet_ids[i]));
        for (size_t j = 0; j < i; j++)
            check(!same_uuid(p.tweet_ids[i], p.tweet_ids[j]));
    }
    check(p.update_number >= 1 && p.update_number <= MAX_UPDATES);
    check(payload_uuid_valid(p.zone_id));
    track_payload_free(&p);
    check(p.root == NULL && p.tweet_ids == NULL);
    return 0;
}
