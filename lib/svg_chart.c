/* svg_chart.c - line charts as standalone SVG text. */
#include "svg_chart.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

enum {
    DEFAULT_WIDTH = 960, DEFAULT_HEIGHT = 540,
    MARGIN_LEFT = 80, MARGIN_RIGHT = 230, MARGIN_TOP = 56, MARGIN_BOTTOM = 64,
    LEGEND_ROW = 18, TICK_TARGET = 6
};

/* Ten distinguishable colours (the "category10" palette), reused in turn. */
static const char *const palette[] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};

static const char REPLACEMENT[] = "\xEF\xBF\xBD";   /* U+FFFD */

/* Length of the valid UTF-8 sequence starting at p (a byte >= 0x80), or 0.
 * U+FFFE and U+FFFF, which XML forbids, count as invalid. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;   /* bounds of the second byte */

    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;   /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    if (c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
        return 0;
    return n;
}

void svg_chart_escape(sbuf *out, const char *s)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        /* The longest run that needs nothing. */
        while (*p >= 0x20 && *p < 0x80 && *p != '&' && *p != '<' && *p != '>' && *p != '"' &&
               *p != '\'')
            p++;
        sbuf_append(out, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        switch (*p) {
        case '&': sbuf_puts(out, "&amp;"); p++; continue;
        case '<': sbuf_puts(out, "&lt;"); p++; continue;
        case '>': sbuf_puts(out, "&gt;"); p++; continue;
        case '"': sbuf_puts(out, "&quot;"); p++; continue;
        case '\'': sbuf_puts(out, "&#39;"); p++; continue;
        case '\t': case '\n': case '\r': sbuf_putc(out, (char)*p); p++; continue;
        default: break;
        }
        if (*p < 0x80) {   /* a control character */
            sbuf_puts(out, REPLACEMENT);
            p++;
            continue;
        }
        size_t n = utf8_len(p);
        if (n == 0) {
            sbuf_puts(out, REPLACEMENT);
            p++;
        } else {
            sbuf_append(out, (const char *)p, n);
            p += n;
        }
    }
}

int svg_chart_ticks(double lo, double hi, int target, double *first, double *step)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo < 1e-12 * (fabs(lo) + fabs(hi)) || hi == lo) {
        double pad = lo == 0 ? 1 : fabs(lo) / 2;
        lo -= lo == 0 ? 0 : pad;
        hi += pad;
    }
    if (target < 1)
        target = 1;
    double raw = (hi - lo) / target;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double s = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    double a = floor(lo / s) * s;
    double b = ceil(hi / s) * s;
    int count = (int)lround((b - a) / s) + 1;
    if (count < 2)
        count = 2;
    *first = a;
    *step = s;
    return count;
}

/* A tick value without float noise ("0.30000000000000004", "-0"). */
static void put_tick_label(sbuf *out, double v, double step)
{
    if (fabs(v) < step * 1e-6)
        v = 0;
    sbuf_printf(out, "%.6g", v);
}

/* A name safe to use as an attribute name, else the default. */
static const char *attr_name(const char *s)
{
    if (!s || !*s || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return "data-series";
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return "data-series";
    return s;
}

static bool point_ok(const svg_chart_point *p) { return isfinite(p->x) && isfinite(p->y); }

typedef struct {
    double x_first, x_step, y_first, y_step;
    int x_count, y_count;
    double left, right, top, bottom;   /* plot area in pixels */
} frame;

static double px(const frame *f, double x)
{
    double span = f->x_step * (f->x_count - 1);
    return f->left + (x - f->x_first) / span * (f->right - f->left);
}

static double py(const frame *f, double y)
{
    double span = f->y_step * (f->y_count - 1);
    return f->bottom - (y - f->y_first) / span * (f->bottom - f->top);
}

static void put_axes(sbuf *out, const frame *f, const svg_chart_opts *o)
{
    sbuf_puts(out, "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for (int i = 0; i < f->x_count; i++) {
        double x = px(f, f->x_first + i * f->x_step);
        sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, f->top, x,
                    f->bottom);
    }
    for (int i = 0; i < f->y_count; i++) {
        double y = py(f, f->y_first + i * f->y_step);
        sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left, y,
                    f->right, y);
    }
    sbuf_puts(out, "</g>\n<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n");
    sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left, f->bottom,
                f->right, f->bottom);
    sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left, f->top,
                f->left, f->bottom);
    for (int i = 0; i < f->x_count; i++) {
        double x = px(f, f->x_first + i * f->x_step);
        sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, f->bottom, x,
                    f->bottom + 5);
    }
    for (int i = 0; i < f->y_count; i++) {
        double y = py(f, f->y_first + i * f->y_step);
        sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left - 5, y,
                    f->left, y);
    }
    sbuf_puts(out, "</g>\n<g class=\"tick-labels\" fill=\"#333333\">\n");
    for (int i = 0; i < f->x_count; i++) {
        double v = f->x_first + i * f->x_step;
        sbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px(f, v), f->bottom + 19);
        put_tick_label(out, v, f->x_step);
        sbuf_puts(out, "</text>\n");
    }
    for (int i = 0; i < f->y_count; i++) {
        double v = f->y_first + i * f->y_step;
        sbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f->left - 8, py(f, v) + 4);
        put_tick_label(out, v, f->y_step);
        sbuf_puts(out, "</text>\n");
    }
    sbuf_puts(out, "</g>\n");
    if (o->x_label) {
        sbuf_printf(out, "<text class=\"x-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                    (f->left + f->right) / 2, f->bottom + 44);
        svg_chart_escape(out, o->x_label);
        sbuf_puts(out, "</text>\n");
    }
    if (o->y_label) {
        double x = f->left - 56, y = (f->top + f->bottom) / 2;
        sbuf_printf(out, "<text class=\"y-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\""
                         " transform=\"rotate(-90 %.1f %.1f)\">", x, y, x, y);
        svg_chart_escape(out, o->y_label);
        sbuf_puts(out, "</text>\n");
    }
}

static void put_curves(sbuf *out, const frame *f, const char *attr, const svg_chart_series *series,
                       size_t n_series)
{
    sbuf_puts(out, "<g class=\"curves\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\">\n");
    for (size_t i = 0; i < n_series; i++) {
        const svg_chart_series *s = &series[i];
        const char *color = palette[i % (sizeof palette / sizeof palette[0])];
        sbuf_printf(out, "<polyline class=\"curve\" %s=\"", attr);
        svg_chart_escape(out, s->id ? s->id : "");
        sbuf_printf(out, "\" stroke=\"%s\" points=\"", color);
        bool any = false;
        for (size_t k = 0; k < s->n; k++) {
            if (!point_ok(&s->points[k]))
                continue;
            sbuf_printf(out, "%s%.1f,%.1f", any ? " " : "", px(f, s->points[k].x), py(f, s->points[k].y));
            any = true;
        }
        sbuf_puts(out, "\"><title>");
        svg_chart_escape(out, s->title ? s->title : s->label ? s->label : s->id);
        sbuf_puts(out, "</title></polyline>\n");
        /* Markers: a one-point series is visible, and each observation shows. */
        sbuf_printf(out, "<g class=\"markers\" fill=\"%s\" stroke=\"none\">", color);
        for (size_t k = 0; k < s->n; k++)
            if (point_ok(&s->points[k]))
                sbuf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", px(f, s->points[k].x),
                            py(f, s->points[k].y));
        sbuf_puts(out, "</g>\n");
    }
    sbuf_puts(out, "</g>\n");
}

static void put_legend(sbuf *out, int width, const svg_chart_series *series, size_t n_series)
{
    double x = width - MARGIN_RIGHT + 24;
    sbuf_puts(out, "<g class=\"legend\">\n");
    for (size_t i = 0; i < n_series; i++) {
        const char *color = palette[i % (sizeof palette / sizeof palette[0])];
        double y = MARGIN_TOP + 6 + (double)i * LEGEND_ROW;
        sbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
                         " stroke-width=\"3\"/>", x, y, x + 22, y, color);
        sbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 28, y + 4);
        svg_chart_escape(out, series[i].label ? series[i].label : series[i].id);
        sbuf_puts(out, "</text>\n");
    }
    sbuf_puts(out, "</g>\n");
}

int svg_chart_render(sbuf *out, const svg_chart_opts *o, const svg_chart_series *series,
                     size_t n_series)
{
    static const svg_chart_opts none = { 0 };
    if (!o)
        o = &none;
    if (!series)
        n_series = 0;
    int width = o->width > MARGIN_LEFT + MARGIN_RIGHT + 100 ? o->width : DEFAULT_WIDTH;
    int height = o->height > MARGIN_TOP + MARGIN_BOTTOM + 100 ? o->height : DEFAULT_HEIGHT;
    double legend_h = MARGIN_TOP + (double)n_series * LEGEND_ROW + MARGIN_BOTTOM;
    if (legend_h > height)
        height = (int)ceil(legend_h);

    /* Data range; both axes start at 0 unless data go below it. */
    double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
    size_t points = 0;
    for (size_t i = 0; i < n_series; i++)
        for (size_t k = 0; k < series[i].n; k++) {
            const svg_chart_point *p = &series[i].points[k];
            if (!point_ok(p))
                continue;
            xmin = fmin(xmin, p->x);
            xmax = fmax(xmax, p->x);
            ymin = fmin(ymin, p->y);
            ymax = fmax(ymax, p->y);
            points++;
        }
    frame f;
    f.x_count = svg_chart_ticks(xmin, xmax, TICK_TARGET, &f.x_first, &f.x_step);
    f.y_count = svg_chart_ticks(ymin, ymax, TICK_TARGET, &f.y_first, &f.y_step);
    f.left = MARGIN_LEFT;
    f.right = width - MARGIN_RIGHT;
    f.top = MARGIN_TOP;
    f.bottom = height - MARGIN_BOTTOM;

    sbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    sbuf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                     " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                width, height, width, height);
    if (o->title) {
        sbuf_puts(out, "<title>");
        svg_chart_escape(out, o->title);
        sbuf_puts(out, "</title>\n");
    }
    sbuf_puts(out, "<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    if (o->title) {
        sbuf_printf(out, "<text class=\"title\" x=\"%.1f\" y=\"30\" text-anchor=\"middle\""
                         " font-size=\"16\" font-weight=\"bold\">", width / 2.0);
        svg_chart_escape(out, o->title);
        sbuf_puts(out, "</text>\n");
    }
    put_axes(out, &f, o);
    if (points == 0)
        sbuf_printf(out, "<text class=\"no-data\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\""
                         " fill=\"#999999\" font-size=\"14\">no data</text>\n",
                    (f.left + f.right) / 2, (f.top + f.bottom) / 2);
    put_curves(out, &f, attr_name(o->data_attr), series, n_series);
    put_legend(out, width, series, n_series);
    sbuf_puts(out, "</svg>\n");
    return sbuf_failed(out) ? -1 : 0;
}
