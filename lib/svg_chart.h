/* svg_chart.h - line charts as standalone SVG text (no database, no I/O):
 * one polyline per series on linear axes with ticks, labels, a legend and a
 * title. Every caller-supplied string is escaped for XML on output. */
#ifndef ET_SVG_CHART_H
#define ET_SVG_CHART_H

#include <stddef.h>

#include "sbuf.h"

typedef struct {
    double x, y;
} svg_chart_point;

/* One curve. All pointers are borrowed for the duration of the call. */
typedef struct {
    const char *id;                  /* data-series attribute value (may be NULL) */
    const char *label;               /* legend text (may be NULL: id is used) */
    const char *title;               /* tooltip of the curve (may be NULL: the label) */
    const svg_chart_point *points;   /* in drawing order */
    size_t n;
} svg_chart_series;

typedef struct {
    const char *title;               /* may be NULL */
    const char *x_label, *y_label;   /* axis captions, may be NULL */
    const char *data_attr;           /* attribute carrying series.id, e.g. "data-tweet";
                                        NULL: "data-series" (must be a valid XML name) */
    int width, height;               /* 0: 960 x 540; the height grows to fit the legend */
} svg_chart_opts;

/* Appends a complete SVG document (XML declaration included) to out. The
 * curves are <polyline class="curve" DATA_ATTR="id">, one per series, even
 * for a series of zero or one point; points with a non-finite coordinate
 * are skipped. No series, or no point at all, gives empty axes and a
 * "no data" note. Returns 0, or -1 after an allocation failure (out is then
 * marked failed). */
int svg_chart_render(sbuf *out, const svg_chart_opts *o, const svg_chart_series *series,
                     size_t n_series) __attribute__((warn_unused_result));

/* Appends s escaped for XML text or a quoted attribute: & < > " ' become
 * entities, control characters XML 1.0 forbids and invalid UTF-8 bytes
 * become U+FFFD. s may be NULL (appends nothing). */
void svg_chart_escape(sbuf *out, const char *s);

/* Tick values for an axis covering [lo, hi]: a "nice" step (1, 2 or 5 times
 * a power of ten) giving about `target` intervals. Sets *first and *step so
 * the ticks are first + i * step for i in 0..count-1, with first <= lo and
 * the last tick >= hi; returns count (>= 2). lo == hi is widened. */
int svg_chart_ticks(double lo, double hi, int target, double *first, double *step);

#endif
