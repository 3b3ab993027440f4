/* test_http_clients.c - the QStash publish client and the upstream batch
 * client against a tiny HTTP/1.1 server running in a thread of this test
 * (127.0.0.1, ephemeral port). The server answers the i-th request with the
 * i-th canned answer (the last one repeats), records each request (request
 * line, headers, body) and closes the connection after every answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qstash.h"
#include "upstream.h"

/* ---- the server ---- */

#define SRV_MAX 8
#define SRV_REQ_MAX (256 * 1024)
#define ANSWER_CLOSE NULL               /* read the request, close, answer nothing */
static const char ANSWER_HANG[] = "hang";  /* read the request, never answer */

typedef struct {
    int fd;
    int port;
    pthread_t thread;
    atomic_int stop;
    const char *answers[SRV_MAX];
    size_t n_answers;
    pthread_mutex_t mu;
    char *requests[SRV_MAX];           /* owned, guarded by mu */
    size_t n_requests;
} test_server;

/* Case-insensitive strstr (strcasestr is a GNU extension). */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* Read one request (head + Content-Length body). Returns a new string or NULL. */
static char *read_request(int fd)
{
    char *buf = malloc(SRV_REQ_MAX + 1);
    size_t len = 0, want = 0;
    char *end;

    if (!buf)
        return NULL;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 3000) <= 0)
            break;
        n = recv(fd, buf + len, SRV_REQ_MAX - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end && !want) {
            const char *cl = find_ci(buf, "\r\nContent-Length:");
            want = (size_t)(end + 4 - buf);
            if (cl && cl < end)
                want += strtoul(cl + 17, NULL, 10);
        }
        if (want && len >= want)
            return buf;
        if (len == SRV_REQ_MAX)
            break;
    }
    free(buf);
    return NULL;
}

static void *server_main(void *arg)
{
    test_server *s = arg;

    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->fd, POLLIN, 0};
        const char *answer;
        char *req;
        size_t idx;
        int cfd;

        if (poll(&p, 1, 50) <= 0)
            continue;
        cfd = accept(s->fd, NULL, NULL);
        if (cfd < 0)
            continue;
        req = read_request(cfd);
        pthread_mutex_lock(&s->mu);
        idx = s->n_requests;
        if (s->n_requests < SRV_MAX)
            s->requests[s->n_requests++] = req;
        else
            free(req);
        pthread_mutex_unlock(&s->mu);
        answer = s->answers[idx < s->n_answers ? idx : s->n_answers - 1];
        if (answer == ANSWER_HANG) {
            /* Until the client gives up and closes, or the test ends. */
            char tmp[256];
            while (!atomic_load(&s->stop)) {
                struct pollfd q = {cfd, POLLIN, 0};
                if (poll(&q, 1, 50) > 0 && recv(cfd, tmp, sizeof tmp, 0) <= 0)
                    break;
            }
        } else if (answer != ANSWER_CLOSE) {
            size_t off = 0, n = strlen(answer);
            while (off < n) {
                ssize_t w = send(cfd, answer + off, n - off, MSG_NOSIGNAL);
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
        }
        close(cfd);
    }
    return NULL;
}

/* answers[0..n) are raw HTTP answers (see answer()), ANSWER_CLOSE or ANSWER_HANG. */
static test_server *server_start(const char *const *answers, size_t n)
{
    test_server *s = calloc(1, sizeof *s);
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    int one = 1;

    assert_non_null(s);
    assert_true(n >= 1 && n <= SRV_MAX);
    for (size_t i = 0; i < n; i++)
        s->answers[i] = answers[i];
    s->n_answers = n;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
    return s;
}

static void server_stop(test_server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (size_t i = 0; i < s->n_requests; i++)
        free(s->requests[i]);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static size_t server_requests(test_server *s)
{
    size_t n;
    pthread_mutex_lock(&s->mu);
    n = s->n_requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* The i-th recorded request; valid until server_stop. */
static const char *server_request(test_server *s, size_t i)
{
    const char *r;
    pthread_mutex_lock(&s->mu);
    r = i < s->n_requests ? s->requests[i] : NULL;
    pthread_mutex_unlock(&s->mu);
    assert_non_null(r);
    return r;
}

static void base_url(const test_server *s, char *out, size_t n)
{
    snprintf(out, n, "http://127.0.0.1:%d", s->port);
}

/* A raw answer with Content-Length and Connection: close. Caller frees. */
static char *answer(const char *status_line, const char *extra_headers, const char *body)
{
    size_t n = strlen(status_line) + strlen(extra_headers) + strlen(body) + 200;
    char *a = malloc(n);

    assert_non_null(a);
    snprintf(a, n,
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n%s\r\n%s",
             status_line, strlen(body), extra_headers, body);
    return a;
}

/* Does the request carry this exact header line? */
static bool has_header(const char *req, const char *line)
{
    const char *end = strstr(req, "\r\n\r\n");
    size_t n = strlen(line);

    for (const char *p = strstr(req, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, line, n) == 0 && p[2 + n] == '\r')
            return true;
    return false;
}

static const char *request_body(const char *req)
{
    const char *end = strstr(req, "\r\n\r\n");
    assert_non_null(end);
    return end + 4;
}

static bool header_named(const char *req, const char *name)
{
    char pat[128];
    const char *end = strstr(req, "\r\n\r\n");
    const char *p;

    snprintf(pat, sizeof pat, "\r\n%s:", name);
    p = find_ci(req, pat);
    return p && p < end;
}

/* ---- QStash publish ---- */

#define TOKEN "tok_SECRET_0123456789"
#define DEST "https://tracker.example.com/qstash/receive/../x?lot=7"

static qstash_client *publish_client(const test_server *s, long timeout_ms)
{
    char base[64];
    qstash_client *c;

    base_url(s, base, sizeof base);
    c = qstash_client_new(base, TOKEN, timeout_ms);
    assert_non_null(c);
    return c;
}

static void publish_request_and_2xx(void **state)
{
    (void)state;
    char *a = answer("201 Created", "", "{\"messageId\":\"msg_26hZCxZCuWyyTWPmSVBrNB882AM\"}");
    const char *answers[] = {a};
    test_server *s = server_start(answers, 1);
    qstash_client *c = publish_client(s, 2000);
    const char *body = "{\"lot\":7,\"check\":\"1h\"}";
    qstash_result r;
    const char *req;

    assert_int_equal(qstash_publish(c, DEST, body, strlen(body), 3600, "lot-7-1h", 2, &r), 0);
    assert_int_equal(r.http_status, 201);
    assert_string_equal(r.message_id, "msg_26hZCxZCuWyyTWPmSVBrNB882AM");
    assert_false(r.deduplicated);
    assert_int_equal(r.retry_after_s, -1);
    assert_string_equal(r.error, "");

    req = server_request(s, 0);
    /* The destination is in the path exactly as given, "/../" included. */
    assert_true(strncmp(req, "POST /v2/publish/" DEST " HTTP/1.1\r\n",
                        strlen("POST /v2/publish/" DEST " HTTP/1.1\r\n")) == 0);
    assert_true(has_header(req, "Authorization: Bearer " TOKEN));
    assert_true(has_header(req, "Content-Type: application/json"));
    assert_true(has_header(req, "Upstash-Delay: 3600s"));
    assert_true(has_header(req, "Upstash-Deduplication-Id: lot-7-1h"));
    assert_true(has_header(req, "Upstash-Retries: 2"));
    assert_false(header_named(req, "Expect"));
    assert_string_equal(request_body(req), body);

    /* Second publish on the same client: optional headers left out. */
    assert_int_equal(qstash_publish(c, DEST, body, strlen(body), 0, NULL, -1, &r), 0);
    req = server_request(s, 1);
    assert_true(has_header(req, "Upstash-Delay: 0s"));
    assert_false(header_named(req, "Upstash-Deduplication-Id"));
    assert_false(header_named(req, "Upstash-Retries"));

    qstash_client_free(c);
    server_stop(s);
    free(a);
}

static void publish_large_body(void **state)
{
    (void)state;
    char *a = answer("200 OK", "", "{\"messageId\":\"msg_big\"}");
    const char *answers[] = {a};
    test_server *s = server_start(answers, 1);
    qstash_client *c = publish_client(s, 2000);
    size_t n = 100 * 1024;
    char *body = malloc(n + 1);
    qstash_result r;

    assert_non_null(body);
    memset(body, 'a', n);
    body[0] = '"';
    body[n - 1] = '"';
    body[n] = '\0';
    assert_int_equal(qstash_publish(c, DEST, body, n, 60, NULL, -1, &r), 0);
    assert_string_equal(r.message_id, "msg_big");
    assert_string_equal(request_body(server_request(s, 0)), body);
    free(body);
    qstash_client_free(c);
    server_stop(s);
    free(a);
}

static void publish_deduplicated(void **state)
{
    (void)state;
    char *a = answer("202 Accepted", "",
                     "{\"messageId\":\"msg_first\",\"deduplicated\":true}");
    const char *answers[] = {a};
    test_server *s = server_start(answers, 1);
    qstash_client *c = publish_client(s, 2000);
    qstash_result r;

    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, "dup", -1, &r), 0);
    assert_int_equal(r.http_status, 202);
    assert_true(r.deduplicated);
    assert_string_equal(r.message_id, "msg_first");
    qstash_client_free(c);
    server_stop(s);
    free(a);
}

static void publish_401(void **state)
{
    (void)state;
    char *a = answer("401 Unauthorized", "", "{\"error\":\"invalid token\"}");
    /* An answer that echoes the token must not put it into res->error. */
    char *b = answer("400 Bad Request", "", "{\"error\":\"bad header Bearer " TOKEN "\"}");
    const char *answers[] = {a, b};
    test_server *s = server_start(answers, 2);
    qstash_client *c = publish_client(s, 2000);
    qstash_result r;

    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 401);
    assert_string_equal(r.error, "invalid token");
    assert_string_equal(r.message_id, "");
    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 400);
    assert_null(strstr(r.error, TOKEN));
    assert_true(r.error[0] != '\0');
    qstash_client_free(c);
    server_stop(s);
    free(a);
    free(b);
}

static void publish_429_retry_after(void **state)
{
    (void)state;
    char *a = answer("429 Too Many Requests", "Retry-After: 30\r\n",
                     "{\"error\":\"daily quota exceeded\"}");
    char *b = answer("429 Too Many Requests",
                     "Burst-RateLimit-Limit: 100\r\nBurst-RateLimit-Remaining: 0\r\n"
                     "Burst-RateLimit-Reset: 12\r\n",
                     "{\"error\":\"burst\"}");
    char *d = answer("500 Internal Server Error", "Retry-After: 5\r\n", "oops");
    const char *answers[] = {a, b, d};
    test_server *s = server_start(answers, 3);
    qstash_client *c = publish_client(s, 2000);
    qstash_result r;

    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 429);
    assert_int_equal(r.retry_after_s, 30);
    assert_string_equal(r.error, "daily quota exceeded");
    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 429);
    assert_int_equal(r.retry_after_s, 12);
    /* Not a 429: no retry hint, and a non-JSON body gives "HTTP 500". */
    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 500);
    assert_int_equal(r.retry_after_s, -1);
    assert_string_equal(r.error, "HTTP 500");
    qstash_client_free(c);
    server_stop(s);
    free(a);
    free(b);
    free(d);
}

static void publish_no_answer(void **state)
{
    (void)state;
    const char *answers[] = {ANSWER_CLOSE};
    test_server *s = server_start(answers, 1);
    qstash_client *c = publish_client(s, 2000);
    qstash_result r;

    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 0);
    assert_true(r.error[0] != '\0');
    assert_null(strstr(r.error, TOKEN));
    qstash_client_free(c);
    server_stop(s);
}

static void publish_timeout(void **state)
{
    (void)state;
    const char *answers[] = {ANSWER_HANG};
    test_server *s = server_start(answers, 1);
    qstash_client *c = publish_client(s, 300);
    qstash_result r;

    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 0);
    assert_true(r.error[0] != '\0');
    qstash_client_free(c);
    server_stop(s);
}

static void publish_answer_too_large(void **state)
{
    (void)state;
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    char *a;
    const char *answers[1];
    test_server *s;
    qstash_client *c;
    qstash_result r;

    assert_non_null(big);
    memset(big, ' ', n);
    big[n] = '\0';
    a = answer("200 OK", "", big);
    answers[0] = a;
    s = server_start(answers, 1);
    c = publish_client(s, 2000);
    assert_int_equal(qstash_publish(c, DEST, "{}", 2, 60, NULL, -1, &r), -1);
    assert_int_equal(r.http_status, 200);
    assert_non_null(strstr(r.error, "larger"));
    qstash_client_free(c);
    server_stop(s);
    free(a);
    free(big);
}

/* ---- upstream batch lookup ---- */

#define API_KEY "key_SECRET_abcdef"

static upstream_client *upstream(const test_server *s, long timeout_ms, size_t batch)
{
    char base[64];
    upstream_client *c;

    base_url(s, base, sizeof base);
    c = upstream_client_new(base, API_KEY, timeout_ms, batch);
    assert_non_null(c);
    return c;
}

/* ids[i] = "1700000000000000" + 3-digit i: 19 digits. */
static char id_store[150][24];
static const char *ids[150];

static void make_ids(void)
{
    for (size_t i = 0; i < 150; i++) {
        snprintf(id_store[i], sizeof id_store[i], "1700000000000000%03zu", i);
        ids[i] = id_store[i];
    }
}

/* The tweet_ids=... a request asked for, as one string. */
static void expected_query(size_t from, size_t n, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "GET /twitter/tweets?tweet_ids=");
    for (size_t i = from; i < from + n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i > from ? "," : "", ids[i]);
    snprintf(out + len, cap - len, " HTTP/1.1\r\n");
}

static const upstream_found *find(const upstream_batch *b, const char *id)
{
    for (size_t i = 0; i < b->n_found; i++)
        if (strcmp(b->found[i].id, id) == 0)
            return &b->found[i];
    return NULL;
}

static void upstream_chunks_and_parses(void **state)
{
    (void)state;
    char body1[1024], body2[1024];
    char *a1, *a2, *a3;
    const char *answers[3];
    test_server *s;
    upstream_client *c;
    upstream_batch b;
    upstream_error e;
    const upstream_found *f;
    char want[4096];

    make_ids();
    /* Chunk 1 returns two of its ids, out of order; chunk 2 returns one of
     * its own plus one it did not ask for (ignored); chunk 3 returns none. */
    snprintf(body1, sizeof body1,
             "{\"tweets\":[{\"id\":\"%s\",\"likeCount\":5,\"retweetCount\":2,\"replyCount\":1,"
             "\"quoteCount\":0,\"bookmarkCount\":3,\"viewCount\":1000,\"text\":\"hi\"},"
             "{\"id\":\"%s\",\"likeCount\":1}],"
             "\"status\":\"success\",\"msg\":\"success\",\"code\":0}",
             ids[7], ids[0]);
    snprintf(body2, sizeof body2,
             "{\"tweets\":[{\"id\":\"%s\",\"likeCount\":9},{\"id\":\"%s\",\"likeCount\":99}],"
             "\"status\":\"success\",\"message\":\"success\"}",
             ids[60], ids[1]);
    a1 = answer("200 OK", "", body1);
    a2 = answer("200 OK", "", body2);
    a3 = answer("200 OK", "", "{\"tweets\":[],\"status\":\"success\"}");
    answers[0] = a1;
    answers[1] = a2;
    answers[2] = a3;
    s = server_start(answers, 3);
    c = upstream(s, 2000, 50);

    assert_int_equal(upstream_fetch(c, ids, 120, &b, &e), 0);
    assert_int_equal(b.calls, 3);
    assert_int_equal(server_requests(s), 3);
    assert_int_equal(b.tweets_returned, 4);
    assert_int_equal(b.n_found, 3);

    f = find(&b, ids[7]);
    assert_non_null(f);
    assert_int_equal(f->metrics.likes, 5);
    assert_int_equal(f->metrics.retweets, 2);
    assert_int_equal(f->metrics.replies, 1);
    assert_int_equal(f->metrics.quotes, 0);
    assert_int_equal(f->metrics.bookmarks, 3);
    assert_true(f->metrics.has_views);
    assert_int_equal(f->metrics.views, 1000);
    f = find(&b, ids[0]);
    assert_non_null(f);
    assert_int_equal(f->metrics.likes, 1);
    assert_false(f->metrics.has_views);
    assert_non_null(find(&b, ids[60]));
    assert_null(find(&b, ids[1]));      /* asked in chunk 1, answered in chunk 2: ignored */
    assert_null(find(&b, ids[2]));      /* missing ids are simply absent */
    assert_null(find(&b, ids[119]));

    expected_query(0, 50, want, sizeof want);
    assert_true(strncmp(server_request(s, 0), want, strlen(want)) == 0);
    expected_query(50, 50, want, sizeof want);
    assert_true(strncmp(server_request(s, 1), want, strlen(want)) == 0);
    expected_query(100, 20, want, sizeof want);
    assert_true(strncmp(server_request(s, 2), want, strlen(want)) == 0);
    for (size_t i = 0; i < 3; i++)
        assert_true(has_header(server_request(s, i), "X-API-Key: " API_KEY));

    upstream_batch_free(&b);
    upstream_batch_free(&b);            /* idempotent */
    upstream_batch_free(NULL);
    upstream_client_free(c);
    server_stop(s);
    free(a1);
    free(a2);
    free(a3);
}

/* An answer naming an id that was not asked, or one id twice. */
static void upstream_ignores_unrequested(void **state)
{
    (void)state;
    char body[512];
    char *a;
    const char *answers[1];
    test_server *s;
    upstream_client *c;
    upstream_batch b;
    upstream_error e;

    make_ids();
    snprintf(body, sizeof body,
             "{\"tweets\":[{\"id\":\"%s\",\"likeCount\":1},{\"id\":\"%s\",\"likeCount\":2},"
             "{\"id\":\"%s\",\"likeCount\":3}],\"status\":\"success\"}",
             ids[0], ids[99], ids[0]);
    a = answer("200 OK", "", body);
    answers[0] = a;
    s = server_start(answers, 1);
    c = upstream(s, 2000, 50);
    assert_int_equal(upstream_fetch(c, ids, 2, &b, &e), 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.tweets_returned, 3);
    assert_int_equal(b.n_found, 1);     /* ids[99] not asked, ids[0] only once */
    assert_string_equal(b.found[0].id, ids[0]);
    assert_int_equal(b.found[0].metrics.likes, 1);
    upstream_batch_free(&b);
    upstream_client_free(c);
    server_stop(s);
    free(a);
}

/* One answer for every call of a single-chunk fetch, expecting failure. */
static void expect_failure(const char *raw, long timeout_ms, long want_status, long want_retry,
                           const char *want_text)
{
    const char *answers[] = {raw};
    test_server *s = server_start(answers, 1);
    upstream_client *c = upstream(s, timeout_ms, 50);
    upstream_batch b;
    upstream_error e;

    make_ids();
    assert_int_equal(upstream_fetch(c, ids, 3, &b, &e), -1);
    assert_int_equal(e.http_status, want_status);
    assert_int_equal(e.retry_after_s, want_retry);
    assert_true(e.message[0] != '\0');
    if (want_text && !strstr(e.message, want_text))
        fail_msg("message \"%s\" lacks \"%s\"", e.message, want_text);
    assert_null(strstr(e.message, API_KEY));
    assert_null(b.found);
    assert_int_equal(b.n_found, 0);
    assert_int_equal(b.calls, 1);
    upstream_batch_free(&b);
    upstream_client_free(c);
    server_stop(s);
}

static void upstream_status_error_in_200(void **state)
{
    (void)state;
    char *a = answer("200 OK", "", "{\"status\":\"error\",\"msg\":\"Too many requests\"}");
    char *b = answer("200 OK", "", "{\"status\":\"error\",\"message\":\"insufficient credits\"}");
    expect_failure(a, 2000, 200, -1, "Too many requests");
    expect_failure(b, 2000, 200, -1, "insufficient credits");
    free(a);
    free(b);
}

static void upstream_http_errors(void **state)
{
    (void)state;
    char *a = answer("500 Internal Server Error", "", "{\"status\":\"error\"}");
    char *b = answer("400 Bad Request", "", "{\"detail\":\"tweet_ids: invalid\"}");
    char *d = answer("429 Too Many Requests", "Retry-After: 7\r\n", "");
    char *f = answer("401 Unauthorized", "", "{\"error\":\"bad key " API_KEY "\"}");
    expect_failure(a, 2000, 500, -1, "HTTP 500");
    expect_failure(b, 2000, 400, -1, "tweet_ids: invalid");
    expect_failure(d, 2000, 429, 7, "HTTP 429");
    expect_failure(f, 2000, 401, -1, NULL);     /* echoed key withheld */
    free(a);
    free(b);
    free(d);
    free(f);
}

static void upstream_bad_bodies(void **state)
{
    (void)state;
    char *a = answer("200 OK", "", "<html>gateway</html>");
    char *b = answer("200 OK", "", "{\"status\":\"success\",\"msg\":\"success\"}");
    char *d = answer("200 OK", "", "{\"tweets\":null,\"status\":\"success\"}");
    char *f = answer("200 OK", "", "{\"tweets\":[{\"id\":\"17000000000000000000\"}]}");
    char *g = answer("200 OK", "",
                     "{\"tweets\":[{\"id\":\"1700000000000000000\",\"likeCount\":\"5\"}]}");
    expect_failure(a, 2000, 200, -1, "not a JSON object");
    expect_failure(b, 2000, 200, -1, "tweets");
    expect_failure(d, 2000, 200, -1, "tweets");
    expect_failure(f, 2000, 200, -1, "id");
    /* A tweet with unusable counters is left out, not a failure of the
     * whole call: one bad tweet would otherwise fail its lot on every retry. */
    {
        const char *answers[] = {g};
        test_server *s = server_start(answers, 1);
        upstream_client *c = upstream(s, 2000, 50);
        upstream_batch bb;
        upstream_error e;
        make_ids();
        assert_int_equal(upstream_fetch(c, ids, 3, &bb, &e), 0);
        assert_int_equal(bb.n_found, 0);
        assert_int_equal(bb.tweets_returned, 1);
        upstream_batch_free(&bb);
        upstream_client_free(c);
        server_stop(s);
    }
    free(a);
    free(b);
    free(d);
    free(f);
    free(g);
}

static void upstream_no_answer_and_timeout(void **state)
{
    (void)state;
    expect_failure(ANSWER_CLOSE, 2000, 0, -1, NULL);
    expect_failure(ANSWER_HANG, 300, 0, -1, NULL);
}

static void upstream_second_chunk_fails(void **state)
{
    (void)state;
    char body[256];
    char *a1, *a2;
    const char *answers[2];
    test_server *s;
    upstream_client *c;
    upstream_batch b;
    upstream_error e;

    make_ids();
    snprintf(body, sizeof body, "{\"tweets\":[{\"id\":\"%s\"}],\"status\":\"success\"}", ids[0]);
    a1 = answer("200 OK", "", body);
    a2 = answer("503 Service Unavailable", "Retry-After: 2\r\n", "");
    answers[0] = a1;
    answers[1] = a2;
    s = server_start(answers, 2);
    c = upstream(s, 2000, 2);
    assert_int_equal(upstream_fetch(c, ids, 5, &b, &e), -1);
    assert_int_equal(e.http_status, 503);
    assert_int_equal(e.retry_after_s, 2);
    assert_int_equal(b.n_found, 0);     /* emptied, */
    assert_null(b.found);
    assert_int_equal(b.calls, 2);       /* but what was spent is still counted */
    assert_int_equal(b.tweets_returned, 1);
    assert_int_equal(server_requests(s), 2);
    upstream_client_free(c);
    server_stop(s);
    free(a1);
    free(a2);
}

static void upstream_bad_id_makes_no_call(void **state)
{
    (void)state;
    char *a = answer("200 OK", "", "{\"tweets\":[],\"status\":\"success\"}");
    const char *answers[] = {a};
    test_server *s = server_start(answers, 1);
    upstream_client *c = upstream(s, 2000, 50);
    const char *bad[] = {"1700000000000000001", "17000000000000000,1", ""};
    const char *bad2[] = {"1700000000000000001", NULL};
    upstream_batch b;
    upstream_error e;

    assert_int_equal(upstream_fetch(c, bad, 2, &b, &e), -1);
    assert_non_null(strstr(e.message, "ids[1]"));
    assert_int_equal(upstream_fetch(c, bad, 3, &b, &e), -1);
    assert_int_equal(upstream_fetch(c, bad2, 2, &b, &e), -1);
    assert_int_equal(e.http_status, 0);
    assert_int_equal(b.calls, 0);
    assert_int_equal(server_requests(s), 0);
    /* Nothing to fetch: success without a call. */
    assert_int_equal(upstream_fetch(c, NULL, 0, &b, &e), 0);
    assert_int_equal(b.calls, 0);
    assert_int_equal(server_requests(s), 0);
    upstream_client_free(c);
    upstream_client_free(NULL);
    server_stop(s);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(publish_request_and_2xx),
        cmocka_unit_test(publish_large_body),
        cmocka_unit_test(publish_deduplicated),
        cmocka_unit_test(publish_401),
        cmocka_unit_test(publish_429_retry_after),
        cmocka_unit_test(publish_no_answer),
        cmocka_unit_test(publish_timeout),
        cmocka_unit_test(publish_answer_too_large),
        cmocka_unit_test(upstream_chunks_and_parses),
        cmocka_unit_test(upstream_ignores_unrequested),
        cmocka_unit_test(upstream_status_error_in_200),
        cmocka_unit_test(upstream_http_errors),
        cmocka_unit_test(upstream_bad_bodies),
        cmocka_unit_test(upstream_no_answer_and_timeout),
        cmocka_unit_test(upstream_second_chunk_fails),
        cmocka_unit_test(upstream_bad_id_makes_no_call),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
