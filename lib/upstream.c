/* upstream.c - the twitterapi.io batch lookup client (libcurl + jansson).
 *
 * GET {base}/twitter/tweets?tweet_ids=ID1,ID2,... with X-API-Key, one call
 * per chunk of batch_size ids. One client per thread: it owns a CURL easy
 * handle so the keep-alive connection is reused between calls. The process
 * calls curl_global_init() once before starting threads.
 *
 * The API key lives only in the prepared "X-API-Key" header line, is wiped
 * on free, and never reaches upstream_error.message: messages come from
 * curl's error buffer (never containing request headers) or the answer,
 * and an answer that echoes the key is withheld. */
#include "upstream.h"
#include "http_client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One tweet is about 7 KB of JSON, so a 100-id answer is under 1 MB; the
 * cap only stops a broken or hostile answer from eating the memory. */
#define UPSTREAM_MAX_RESPONSE (16u * 1024 * 1024)
#define UPSTREAM_DEFAULT_BATCH 50

struct upstream_client {
    CURL *curl;
    char *base;         /* no trailing '/' */
    char *key_header;   /* "X-API-Key: <key>", secret */
    char *key;          /* kept only to refuse answers that echo it; secret */
    long timeout_ms;
    size_t batch_size;
};

upstream_client *upstream_client_new(const char *base_url, const char *api_key,
                                     long timeout_ms, size_t batch_size)
{
    upstream_client *c = NULL;
    size_t n;

    if (!base_url || !base_url[0] || !api_key || !api_key[0] || !http_header_value_ok(api_key))
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    c->batch_size = batch_size > 0 ? batch_size : UPSTREAM_DEFAULT_BATCH;
    c->base = strdup(base_url);
    c->key = strdup(api_key);
    n = strlen("X-API-Key: ") + strlen(api_key) + 1;
    c->key_header = malloc(n);
    if (!c->base || !c->key || !c->key_header)
        goto fail;
    snprintf(c->key_header, n, "X-API-Key: %s", api_key);
    /* Tolerate one trailing '/' rather than ask for "//twitter/tweets". */
    n = strlen(c->base);
    if (n > 1 && c->base[n - 1] == '/')
        c->base[n - 1] = '\0';
    c->curl = curl_easy_init();
    if (!c->curl)
        goto fail;
    return c;
fail:
    upstream_client_free(c);
    return NULL;
}

void upstream_client_free(upstream_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->base);
    http_free_secret(c->key);
    http_free_secret(c->key_header);
    free(c);
}

void upstream_batch_free(upstream_batch *b)
{
    if (!b)
        return;
    free(b->found);
    b->found = NULL;
    b->n_found = 0;
}

/* ---- one call ---- */

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
    long *retry_after = userdata;
    size_t len = size * nitems;
    static const char name[] = "Retry-After:";

    /* A new status line (after a 100 Continue, say) starts a new header set. */
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
        *retry_after = -1;
    else if (len >= sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0)
        *retry_after = http_retry_after(line + sizeof name - 1, len - (sizeof name - 1));
    return len;
}

/* Write err->message: control characters replaced, truncated, and withheld
 * entirely if it contains the API key. */
static void set_error(const upstream_client *c, upstream_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(const upstream_client *c, upstream_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    if (c && c->key && strstr(err->message, c->key))
        snprintf(err->message, sizeof err->message,
                 "error text withheld: it contains the API key");
}

/* The error text of an answer: {"detail"} (400), {"msg"} (live), {"message"}
 * (documented), {"error"}; NULL when none is a string. Borrowed from root. */
static const char *answer_error_text(const json_t *root)
{
    static const char *const keys[] = {"detail", "msg", "message", "error"};

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(root, keys[i]);
        if (json_is_string(v) && json_string_length(v) > 0)
            return json_string_value(v);
    }
    return NULL;
}

static bool id_in_chunk(const char *id, const char *const *chunk, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(id, chunk[i]) == 0)
            return true;
    return false;
}

static bool id_already_found(const char *id, const upstream_batch *out, size_t from)
{
    for (size_t i = from; i < out->n_found; i++)
        if (strcmp(id, out->found[i].id) == 0)
            return true;
    return false;
}

/* Append the tweets of one 2xx answer to out. Only ids asked in this chunk
 * are kept (a broken or hostile answer cannot write metrics for other
 * tweets) and each at most once. Returns 0 or -1 with err filled. */
static int take_tweets(const upstream_client *c, const json_t *root, const char *const *chunk,
                       size_t n_chunk, size_t *cap, upstream_batch *out, upstream_error *err)
{
    const json_t *tweets = json_object_get(root, "tweets");
    size_t first = out->n_found, i;
    const json_t *t;

    if (!json_is_array(tweets)) {
        set_error(c, err, "answer without a \"tweets\" array");
        return -1;
    }
    out->tweets_returned += json_array_size(tweets);
    json_array_foreach(tweets, i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *why = NULL;
        upstream_found *f;

        if (!id || !tweet_id_valid(id)) {
            set_error(c, err, "tweets[%zu]: id missing or not a digit string", i);
            return -1;
        }
        if (!id_in_chunk(id, chunk, n_chunk) || id_already_found(id, out, first))
            continue;
        if (out->n_found == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            upstream_found *p = realloc(out->found, ncap * sizeof *p);
            if (!p) {
                set_error(c, err, "out of memory");
                return -1;
            }
            out->found = p;
            *cap = ncap;
        }
        f = &out->found[out->n_found];
        memset(f, 0, sizeof *f);
        /* tweet_id_valid guarantees at most 19 digits: it fits id[24]. */
        memcpy(f->id, id, strlen(id) + 1);
        /* One tweet with unusable counters (e.g. beyond TWEET_COUNTER_MAX)
         * must not fail the whole lot on every retry: it is left out, as if
         * the upstream had not returned it. */
        if (tweet_metrics_parse(t, &f->metrics, &why) < 0)
            continue;
        out->n_found++;
    }
    return 0;
}

/* One GET for chunk[0..n). Returns 0 or -1 with err filled. */
static int fetch_chunk(upstream_client *c, const char *const *chunk, size_t n, size_t *cap,
                       upstream_batch *out, upstream_error *err)
{
    static const char path[] = "/twitter/tweets?tweet_ids=";
    struct curl_slist *headers = NULL, *tmp;
    char errbuf[CURL_ERROR_SIZE] = "";
    http_body buf = { .limit = UPSTREAM_MAX_RESPONSE };
    json_t *root = NULL;
    char *url = NULL, *p;
    const char *st;
    size_t url_len;
    long status = 0, retry_after = -1;
    CURLcode rc;
    int ret = -1;

    url_len = strlen(c->base) + sizeof path;
    for (size_t i = 0; i < n; i++)
        url_len += strlen(chunk[i]) + 1;
    url = malloc(url_len);
    if (!url) {
        set_error(c, err, "out of memory");
        goto done;
    }
    p = url + snprintf(url, url_len, "%s%s", c->base, path);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(chunk[i]);
        if (i > 0)
            *p++ = ',';
        memcpy(p, chunk[i], l);
        p += l;
    }
    *p = '\0';

    tmp = curl_slist_append(headers, c->key_header);
    if (!tmp) {
        set_error(c, err, "out of memory");
        goto done;
    }
    headers = tmp;
    tmp = curl_slist_append(headers, "Accept: application/json");
    if (!tmp) {
        set_error(c, err, "out of memory");
        goto done;
    }
    headers = tmp;

    /* Reset keeps the connection cache, drops the previous call's options. */
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");   /* any curl can decode */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, http_body_write);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, &retry_after);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);

    rc = curl_easy_perform(c->curl);
    out->calls++;   /* counted even when it failed: the upstream bills those too */
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    err->http_status = status;
    err->retry_after_s = retry_after;
    if (rc != CURLE_OK) {
        if (buf.too_large)
            set_error(c, err, "answer larger than %u bytes", UPSTREAM_MAX_RESPONSE);
        else
            set_error(c, err, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto done;
    }

    root = buf.data ? json_loadb(buf.data, buf.len, 0, NULL) : NULL;
    if (status < 200 || status > 299) {
        const char *text = json_is_object(root) ? answer_error_text(root) : NULL;
        if (text)
            set_error(c, err, "HTTP %ld: %s", status, text);
        else
            set_error(c, err, "HTTP %ld", status);
        goto done;
    }
    if (!json_is_object(root)) {
        set_error(c, err, "HTTP %ld: answer is not a JSON object", status);
        goto done;
    }
    /* Failures also come as HTTP 200 {"status": "error", "msg": ...}. */
    st = json_string_value(json_object_get(root, "status"));
    if (st && strcmp(st, "error") == 0) {
        const char *text = answer_error_text(root);
        set_error(c, err, "status error: %s", text ? text : "(no message)");
        goto done;
    }
    if (take_tweets(c, root, chunk, n, cap, out, err) < 0)
        goto done;
    ret = 0;

done:
    json_decref(root);
    for (tmp = headers; tmp; tmp = tmp->next)
        OPENSSL_cleanse(tmp->data, strlen(tmp->data));
    curl_slist_free_all(headers);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    free(url);
    free(buf.data);
    return ret;
}

/* out is overwritten, not freed: the caller frees a previous result first.
 * On failure out->found is emptied but calls and tweets_returned are kept,
 * so what the failed fetch cost can still be accounted. */
int upstream_fetch(upstream_client *c, const char *const *ids, size_t n,
                   upstream_batch *out, upstream_error *err)
{
    size_t cap = 0;

    if (!out || !err)
        return -1;
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    err->retry_after_s = -1;
    if (!c || (n > 0 && !ids)) {
        set_error(c, err, "invalid arguments");
        return -1;
    }
    /* Every id is checked before any call: a bad id would otherwise be
     * found only after paying for the chunks before it. */
    for (size_t i = 0; i < n; i++) {
        if (!tweet_id_valid(ids[i])) {
            set_error(c, err, "ids[%zu]: not a tweet id (1 to 19 digits)", i);
            return -1;
        }
    }
    for (size_t off = 0; off < n; off += c->batch_size) {
        size_t len = n - off < c->batch_size ? n - off : c->batch_size;
        if (fetch_chunk(c, ids + off, len, &cap, out, err) < 0) {
            upstream_batch_free(out);
            return -1;
        }
    }
    /* Success: the error fields describe nothing. */
    err->http_status = 0;
    err->retry_after_s = -1;
    err->message[0] = '\0';
    return 0;
}
