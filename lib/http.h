/* http.h - the request and response of one FastCGI call, as plain data,
 * so handlers are library functions that tests can call without a server. */
#ifndef ET_HTTP_H
#define ET_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *method;      /* REQUEST_METHOD */
    const char *body;        /* the raw bytes read (NUL-terminated for convenience) */
    size_t body_len;
    char **envp;             /* FastCGI parameters ("NAME=value"), NULL-terminated */
} http_request;

typedef struct {
    int status;
    json_t *json;            /* owned body; NULL sends {} */
    long retry_after_s;      /* >= 0 adds a Retry-After header */
} http_response;

/* A FastCGI parameter (e.g. "HTTP_X_API_KEY", "CONTENT_LENGTH"), or NULL. */
const char *http_param(const http_request *req, const char *name);

/* Set an error answer: {"error": code, "message": formatted text}. */
void http_error(http_response *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Set a JSON answer (takes over json). */
void http_json(http_response *resp, int status, json_t *json);
void http_response_free(http_response *resp);   /* accepts NULL */
const char *http_reason(int status);

/* Constant-time equality of two secrets (neither content nor length leaks). */
bool http_secret_equal(const char *a, const char *b);

#endif
