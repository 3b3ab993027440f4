/* http_client.h - the pieces both libcurl clients (QStash publish, the
 * upstream lookup) share: a capped response buffer, Retry-After parsing,
 * header-safe and wiped secrets. */
#ifndef ET_HTTP_CLIENT_H
#define ET_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;          /* owned, NUL-terminated */
    size_t len, cap;
    size_t limit;        /* set by the caller: answers above it are refused */
    bool too_large;
} http_body;

/* CURLOPT_WRITEFUNCTION with an http_body as CURLOPT_WRITEDATA. Grows like
 * curl's getinmemory example, but geometrically and with the cap: returning
 * less than asked makes curl stop with CURLE_WRITE_ERROR. */
size_t http_body_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/* A strict non-negative integer header value (blanks around allowed); -1
 * when it is not one. Saturates at LONG_MAX-ish (2^31 - 1). */
long http_header_seconds(const char *v, size_t len);
/* Retry-After: delta-seconds or an HTTP-date (RFC 9110 10.2.3), as a delay
 * in seconds; -1 when neither. */
long http_retry_after(const char *v, size_t len);
/* Whether a raw header line is "name: value" (case-insensitive name); on
 * true, *value and *vlen give the value (untrimmed). */
bool http_header_is(const char *line, size_t len, const char *name, const char **value, size_t *vlen);

/* A header value must not be able to start a new header line. */
bool http_header_value_ok(const char *s);
/* Wipe, then free (accepts NULL). */
void http_free_secret(char *s);

#endif
