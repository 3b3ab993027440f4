/* sbuf.h - a growable string buffer. After an allocation failure the
 * buffer is marked failed and every further append is a no-op, so callers
 * check once at the end (sbuf_failed) instead of after each append. */
#ifndef ET_SBUF_H
#define ET_SBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;   /* NUL-terminated when len > 0 or after sbuf_cstr */
    size_t len, cap;
    bool failed;
} sbuf;

void sbuf_init(sbuf *b);
void sbuf_free(sbuf *b);                 /* accepts NULL */
void sbuf_reset(sbuf *b);                /* len = 0, keeps the memory */
void sbuf_append(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_putc(sbuf *b, char c);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sbuf_cstr(sbuf *b);          /* "" when empty; NULL when failed */
bool sbuf_failed(const sbuf *b);

/* A PostgreSQL array literal of text elements, every element quoted and
 * escaped; a NULL element is written as unquoted NULL (SQL NULL).
 * Use as a parameter cast in SQL: unnest($1::text[]). */
typedef struct {
    sbuf buf;
    size_t n;
    bool closed;
} pg_array;

void pg_array_init(pg_array *a);
void pg_array_free(pg_array *a);
void pg_array_add(pg_array *a, const char *s);          /* s may be NULL */
void pg_array_add_ll(pg_array *a, long long v);
void pg_array_add_bool(pg_array *a, bool v);
void pg_array_add_double(pg_array *a, double v);
/* Closes the literal and returns it ("{...}"); no add after this.
 * NULL after an allocation failure. */
const char *pg_array_cstr(pg_array *a);

#endif
