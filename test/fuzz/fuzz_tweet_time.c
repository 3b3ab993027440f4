/* fuzz_tweet_time.c - libFuzzer target: tweet_parse_time() on a
 * NUL-terminated copy of the input. Every accepted date must survive a
 * round trip: printed back in both upstream formats (UTC), it must parse
 * to the same instant. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tweet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond)
        abort();
}

static void round_trip(time_t t)
{
    static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const char *const wday[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    struct tm tm;
    char buf[64];
    time_t back;

    if (!gmtime_r(&t, &tm))
        abort();
    /* Only years 1970..9999 are accepted; an offset can move an accepted
     * edge date (1970-01-01T00:30+01:00, 9999-12-31T23:30-01:00) out of
     * that range once written in UTC. */
    if (tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999)
        return;
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    check(tweet_parse_time(buf, &back) == 0 && back == t);
    snprintf(buf, sizeof buf, "%s %s %02d %02d:%02d:%02d +0000 %04d", wday[tm.tm_wday],
             mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
    check(tweet_parse_time(buf, &back) == 0 && back == t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    time_t t = (time_t)-12345;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (tweet_parse_time(s, &t) == 0)
        round_trip(t);
    else
        check(t == (time_t)-12345);   /* a refusal leaves *out alone */
    free(s);
    return 0;
}
