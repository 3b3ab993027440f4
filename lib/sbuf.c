/* sbuf.c - growable buffers and PostgreSQL array literals. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(sbuf *b) { memset(b, 0, sizeof *b); }

void sbuf_free(sbuf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

void sbuf_reset(sbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static bool grow(sbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2)
            goto fail;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        goto fail;
    b->data = p;
    b->cap = cap;
    return true;
fail:
    b->failed = true;
    return false;
}

void sbuf_append(sbuf *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_puts(sbuf *b, const char *s) { sbuf_append(b, s, strlen(s)); }

void sbuf_putc(sbuf *b, char c) { sbuf_append(b, &c, 1); }

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(b, (size_t)n)) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *sbuf_cstr(sbuf *b)
{
    if (b->failed)
        return NULL;
    return b->data ? b->data : "";
}

bool sbuf_failed(const sbuf *b) { return b->failed; }

void pg_array_init(pg_array *a)
{
    sbuf_init(&a->buf);
    a->n = 0;
    a->closed = false;
    sbuf_putc(&a->buf, '{');
}

void pg_array_free(pg_array *a)
{
    if (a)
        sbuf_free(&a->buf);
}

void pg_array_add(pg_array *a, const char *s)
{
    if (a->n++)
        sbuf_putc(&a->buf, ',');
    if (!s) {
        sbuf_puts(&a->buf, "NULL");
        return;
    }
    sbuf_putc(&a->buf, '"');
    for (const char *p = s; *p; p++) {
        const char *run = p;
        while (*p && *p != '"' && *p != '\\')
            p++;
        sbuf_append(&a->buf, run, (size_t)(p - run));
        if (!*p)
            break;
        sbuf_putc(&a->buf, '\\');
        sbuf_putc(&a->buf, *p);
    }
    sbuf_putc(&a->buf, '"');
}

void pg_array_add_ll(pg_array *a, long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", v);
    pg_array_add(a, tmp);
}

void pg_array_add_bool(pg_array *a, bool v) { pg_array_add(a, v ? "t" : "f"); }

void pg_array_add_double(pg_array *a, double v)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.17g", v);
    pg_array_add(a, tmp);
}

const char *pg_array_cstr(pg_array *a)
{
    if (!a->closed) {
        sbuf_putc(&a->buf, '}');
        a->closed = true;
    }
    return sbuf_cstr(&a->buf);
}
