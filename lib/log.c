/* log.c - level-gated single-line logging with secret masking. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

log_level log_min_level = LOG_INFO;

#define MAX_SECRETS 16
static char *secrets[MAX_SECRETS];
static int n_secrets;
static const char *app_name = "engagement";

int log_level_parse(const char *s, log_level *out)
{
    static const char *names[] = { "debug", "info", "warn", "error", "off" };
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    return -1;
}

/* Called at start-up only, before any thread exists. */
void log_add_secret(const char *secret)
{
    if (!secret || !*secret || n_secrets == MAX_SECRETS)
        return;
    char *copy = strdup(secret);
    if (copy)
        secrets[n_secrets++] = copy;
}

void log_set_app(const char *name) { app_name = name; }

/* Copy in to out (outlen bytes, NUL-terminated) with every registered
 * secret replaced by "***". One forward pass: a secret of any length, even
 * one made of '*', neither loops nor overflows. */
static void mask_secrets(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    while (*in && o + 1 < outlen) {
        size_t hit = 0;
        for (int i = 0; i < n_secrets && !hit; i++) {
            size_t len = strlen(secrets[i]);
            if (strncmp(in, secrets[i], len) == 0)
                hit = len;
        }
        if (hit) {
            for (const char *m = "***"; *m && o + 1 < outlen; m++)
                out[o++] = *m;
            in += hit;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = '\0';
}

void log_write(log_level lvl, const char *fmt, ...)
{
    static const char *names[] = { "debug", "info", "warn", "error" };
    char line[4096];
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s app=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000), names[lvl < LOG_OFF ? lvl : LOG_ERROR],
                     app_name);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One event, one line: fold any newline a message carried. */
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    char masked[sizeof line + 1];
    mask_secrets(line, masked, sizeof masked - 1);
    size_t len = strlen(masked);
    masked[len] = '\n';
    /* A single write(2) keeps lines from concurrent threads whole. */
    ssize_t w = write(STDERR_FILENO, masked, len + 1);
    (void)w;
}
