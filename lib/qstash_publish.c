/* qstash_publish.c - the QStash publish client (libcurl + jansson).
 *
 * One client per thread: it owns a CURL easy handle so the TLS connection to
 * QStash is reused between publishes. The process calls curl_global_init()
 * once before starting threads (libcurl 7.88 here is built thread-safe, but
 * an explicit init keeps start-up failures in one place).
 *
 * The token is held only inside the prepared "Authorization" header line,
 * wiped on free, and never written to qstash_result.error: error texts come
 * from curl's error buffer (which never contains request headers) or from
 * the answer, and an answer that echoes the token is withheld. */
#include "qstash.h"
#include "http_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A publish answer is a one-line JSON object; anything bigger is not
 * QStash and is not worth buffering. */
#define QSTASH_MAX_RESPONSE (64 * 1024)

struct qstash_client {
    CURL *curl;
    char *base;        /* normalised, no trailing '/' */
    char *auth_header; /* "Authorization: Bearer <token>", secret */
    char *token;       /* kept only to refuse answers that echo it; secret */
    long timeout_ms;
};

/* ---- base URL ---- */

/* Refuse userinfo, whitespace and anything that is not a plain host or an
 * IPv6 literal: the base URL is a scheme and an authority, nothing else. */
static bool host_char_ok(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_';
}

int qstash_normalize_base(const char *in, char *out, size_t outlen)
{
    const char *p, *host, *end;
    size_t scheme_len, len;

    if (!in || !out || outlen == 0)
        return -1;
    if (strncasecmp(in, "https://", 8) == 0)
        scheme_len = 8;
    else if (strncasecmp(in, "http://", 7) == 0)
        scheme_len = 7;
    else
        return -1;

    host = p = in + scheme_len;
    if (*p == '[') {                       /* IPv6 literal */
        p++;
        while (isxdigit((unsigned char)*p) || *p == ':' || *p == '.')
            p++;
        if (*p != ']' || p == host + 1)
            return -1;
        p++;
    } else {
        while (host_char_ok((unsigned char)*p))
            p++;
        if (p == host)
            return -1;
    }
    if (*p == ':') {                       /* port: 1..65535 */
        long port = 0;
        const char *digits = ++p;
        while (*p >= '0' && *p <= '9' && p - digits < 5)
            port = port * 10 + (*p++ - '0');
        if (p == digits || port < 1 || port > 65535)
            return -1;
    }
    end = p;
    if (*p == '/')                         /* one trailing '/' is tolerated */
        p++;
    if (*p != '\0')                        /* a path, query, userinfo, space... */
        return -1;

    len = (size_t)(end - in);
    if (len >= outlen)
        return -1;
    /* The scheme is written in lower case; the authority as given. */
    for (size_t i = 0; i < scheme_len; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    memcpy(out + scheme_len, in + scheme_len, len - scheme_len);
    out[len] = '\0';
    return 0;
}

/* ---- client ---- */

qstash_client *qstash_client_new(const char *base_url, const char *token, long timeout_ms)
{
    qstash_client *c = NULL;
    size_t n;

    if (!base_url || !base_url[0] || !token || !token[0] || !http_header_value_ok(token))
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    c->base = strdup(base_url);
    c->token = strdup(token);
    n = strlen("Authorization: Bearer ") + strlen(token) + 1;
    c->auth_header = malloc(n);
    if (!c->base || !c->token || !c->auth_header)
        goto fail;
    snprintf(c->auth_header, n, "Authorization: Bearer %s", token);
    c->curl = curl_easy_init();
    if (!c->curl)
        goto fail;
    return c;
fail:
    qstash_client_free(c);
    return NULL;
}

void qstash_client_free(qstash_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->base);
    http_free_secret(c->token);
    http_free_secret(c->auth_header);
    free(c);
}

/* ---- one request ---- */

typedef struct {
    long retry_after;     /* Retry-After, seconds, -1 when absent */
    long burst_reset;     /* Burst-RateLimit-Reset, seconds from now, -1 */
    long daily_reset;     /* RateLimit-Reset, seconds from now, -1 */
} resp_headers;

/* RateLimit-Reset values are documented as reset times; accept a delay in
 * seconds, a Unix time in seconds or in milliseconds and return the delay. */
static long reset_delay(long v)
{
    time_t now = time(NULL);
    long long t;

    if (v < 0)
        return -1;
    if (v < 1000000000L)                   /* already a delay */
        return v;
    t = v >= 100000000000LL ? (long long)v / 1000 : (long long)v;
    return t > (long long)now ? (long)(t - (long long)now) : 0;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
    resp_headers *h = userdata;
    size_t len = size * nitems;
    const char *v;
    size_t vlen;

    /* A new status line (after a 100 Continue, say) starts a new header set. */
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
        h->retry_after = h->burst_reset = h->daily_reset = -1;
    else if (http_header_is(line, len, "Retry-After", &v, &vlen))
        h->retry_after = http_retry_after(v, vlen);
    else if (http_header_is(line, len, "Burst-RateLimit-Reset", &v, &vlen))
        h->burst_reset = reset_delay(http_header_seconds(v, vlen));
    else if (http_header_is(line, len, "RateLimit-Reset", &v, &vlen))
        h->daily_reset = reset_delay(http_header_seconds(v, vlen));
    return len;
}

/* Write a message into res->error: control characters replaced, truncated
 * to fit, and withheld entirely if it contains the token. */
static void set_error(const qstash_client *c, qstash_result *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(const qstash_client *c, qstash_result *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
    for (char *p = res->error; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    if (c && c->token && strstr(res->error, c->token))
        snprintf(res->error, sizeof res->error, "error text withheld: it contains the token");
}

static void parse_answer(const qstash_client *c, const http_body *b, qstash_result *res)
{
    json_t *root, *v;

    if (!b->data || b->len == 0)
        return;
    root = json_loadb(b->data, b->len, 0, NULL);
    if (!json_is_object(root))
        goto done;
    v = json_object_get(root, "messageId");
    /* An id that does not fit is left out rather than truncated: a wrong id
     * is worse than none. */
    if (json_is_string(v) && json_string_length(v) < sizeof res->message_id)
        memcpy(res->message_id, json_string_value(v), json_string_length(v) + 1);
    res->deduplicated = json_is_true(json_object_get(root, "deduplicated"));
    v = json_object_get(root, "error");
    if (json_is_string(v))
        set_error(c, res, "%s", json_string_value(v));
done:
    json_decref(root);
}

/* The destination is written into the path as-is (QStash wants it
 * unencoded), so a character that would end the URL or start a header is
 * refused here; whether it is a usable URL is QStash's call (400). */
static bool destination_ok(const char *d)
{
    if (!*d)
        return false;
    for (; *d; d++)
        if ((unsigned char)*d <= 0x20 || *d == 0x7f || *d == '#')   /* curl would drop a fragment */
            return false;
    return true;
}

int qstash_publish(qstash_client *c, const char *destination, const char *body, size_t body_len,
                   long delay_s, const char *dedup_id, int retries, qstash_result *res)
{
    struct curl_slist *headers = NULL, *tmp;
    char errbuf[CURL_ERROR_SIZE] = "";
    char line[256];
    char *url = NULL;
    http_body buf = { .limit = QSTASH_MAX_RESPONSE };
    resp_headers rh = {-1, -1, -1};
    CURLcode rc;
    size_t url_len;
    int ret = -1;

    if (!res)
        return -1;
    memset(res, 0, sizeof *res);
    res->retry_after_s = -1;
    if (!c || !destination || (!body && body_len > 0)) {
        set_error(c, res, "invalid arguments");
        return -1;
    }
    if (!destination_ok(destination)) {
        set_error(c, res, "destination empty or with a space, control character or '#'");
        return -1;
    }
    if (delay_s < 0) {
        set_error(c, res, "negative delay");
        return -1;
    }
    if (dedup_id && (!dedup_id[0] || strlen(dedup_id) > 200 || !http_header_value_ok(dedup_id))) {
        set_error(c, res, "deduplication id empty, too long or with control characters");
        return -1;
    }

    url_len = strlen(c->base) + strlen("/v2/publish/") + strlen(destination) + 1;
    url = malloc(url_len);
    if (!url) {
        set_error(c, res, "out of memory");
        goto done;
    }
    snprintf(url, url_len, "%s/v2/publish/%s", c->base, destination);

    /* Built one by one so a failed append is noticed and the list freed. */
#define ADD_HEADER(s)                                   \
    do {                                                \
        tmp = curl_slist_append(headers, (s));          \
        if (!tmp) {                                     \
            set_error(c, res, "out of memory");         \
            goto done;                                  \
        }                                               \
        headers = tmp;                                  \
    } while (0)
    ADD_HEADER(c->auth_header);
    ADD_HEADER("Content-Type: application/json");
    /* No "Expect: 100-continue" round trip for bodies above 1 KiB. */
    ADD_HEADER("Expect:");
    snprintf(line, sizeof line, "Upstash-Delay: %lds", delay_s);
    ADD_HEADER(line);
    if (dedup_id) {
        snprintf(line, sizeof line, "Upstash-Deduplication-Id: %s", dedup_id);
        ADD_HEADER(line);
    }
    if (retries >= 0) {
        snprintf(line, sizeof line, "Upstash-Retries: %d", retries);
        ADD_HEADER(line);
    }
#undef ADD_HEADER

    /* Reset keeps the connection cache and drops the previous request's
     * options, so nothing leaks from one publish into the next. */
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    /* As-is: curl would otherwise fold "/./" and "/../" in the destination. */
    curl_easy_setopt(c->curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, http_body_write);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &rh);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);

    rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->http_status);
    if (rc != CURLE_OK) {
        if (buf.too_large)
            set_error(c, res, "answer larger than %d bytes", QSTASH_MAX_RESPONSE);
        else
            set_error(c, res, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto done;
    }

    parse_answer(c, &buf, res);
    if (res->http_status == 429)
        res->retry_after_s = rh.retry_after >= 0 ? rh.retry_after
                             : rh.burst_reset >= 0 ? rh.burst_reset
                             : rh.daily_reset;
    if (res->http_status >= 200 && res->http_status < 300) {
        ret = 0;
        goto done;
    }
    if (!res->error[0])
        set_error(c, res, "HTTP %ld", res->http_status);

done:
    /* The header list holds a copy of the Authorization line. */
    for (tmp = headers; tmp; tmp = tmp->next)
        OPENSSL_cleanse(tmp->data, strlen(tmp->data));
    curl_slist_free_all(headers);
    if (c && c->curl)
        curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    free(url);
    free(buf.data);
    return ret;
}
