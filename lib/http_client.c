/* http_client.c - shared helpers of the libcurl clients. */
#include "http_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

size_t http_body_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_body *b = userdata;
    size_t n = size * nmemb;

    if (n > b->limit - b->len) {
        b->too_large = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->data, cap);
        if (!p)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

long http_header_seconds(const char *v, size_t len)
{
    long long x = 0;
    size_t i = 0;

    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    if (i == len || v[i] < '0' || v[i] > '9')
        return -1;
    for (; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
        x = x * 10 + (v[i] - '0');
        if (x > 1000000000000000LL)
            return -1;
    }
    while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
        i++;
    return i == len ? (long)(x > 0x7fffffffL ? 0x7fffffffL : x) : -1;
}

long http_retry_after(const char *v, size_t len)
{
    char date[64];
    long s = http_header_seconds(v, len);
    time_t t, now;

    if (s >= 0)
        return s;
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    if (len == 0 || len >= sizeof date)
        return -1;
    memcpy(date, v, len);
    date[len] = '\0';
    date[strcspn(date, "\r\n")] = '\0';
    t = curl_getdate(date, NULL);
    if (t < 0)
        return -1;
    now = time(NULL);
    return t > now ? (long)(t - now) : 0;
}

bool http_header_is(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
    size_t n = strlen(name);

    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return false;
    *value = line + n + 1;
    *vlen = len - n - 1;
    return true;
}

bool http_header_value_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

void http_free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}
