/* svg: charts as inline SVG text. See svg.h. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Colour-blind-safe palette (Okabe-Ito), so series stay apart in any report. */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                      "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
#define NPALETTE (sizeof palette / sizeof palette[0])

#define ML 64 /* left margin: y tick labels */
#define MR 16
#define MT 40 /* title and legend */
#define MB 44 /* x tick labels and x axis label */

int svg_buf_init(svg_buf *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->data = malloc(cap + 1);
    if (!b->data) return SVG_ENOMEM;
    b->data[0] = '\0';
    b->cap = cap;
    return SVG_OK;
}

void svg_buf_free(svg_buf *b)
{
    if (!b) return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

int svg_vprintf(svg_buf *b, const char *fmt, va_list ap)
{
    if (b->full) return SVG_EFULL;
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room + 1, fmt, ap);
    if (n < 0 || (size_t)n > room) {
        b->data[b->len] = '\0';
        b->full = 1;
        return SVG_EFULL;
    }
    b->len += (size_t)n;
    return SVG_OK;
}

int svg_printf(svg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = svg_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

static int put(svg_buf *b, const char *s, size_t n)
{
    if (b->full) return SVG_EFULL;
    if (n > b->cap - b->len) {
        b->full = 1;
        return SVG_EFULL;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SVG_OK;
}

static int escape(svg_buf *b, const char *s, int keep_lines);

int svg_escape(svg_buf *b, const char *s)
{
    return escape(b, s, 0);
}

int svg_escape_text(svg_buf *b, const char *s)
{
    return escape(b, s, 1);
}

static int escape(svg_buf *b, const char *s, int keep_lines)
{
    if (!s) return b->full ? SVG_EFULL : SVG_OK;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int rc;
        switch (ch) {
        case '&':
            rc = put(b, "&amp;", 5);
            break;
        case '<':
            rc = put(b, "&lt;", 4);
            break;
        case '>':
            rc = put(b, "&gt;", 4);
            break;
        case '"':
            rc = put(b, "&quot;", 6);
            break;
        case '\'':
            rc = put(b, "&#39;", 5);
            break;
        default:
            /* Control bytes are not allowed in XML 1.0 at all; tab and newline become spaces. */
            if (keep_lines && (ch == '\n' || ch == '\t'))
                rc = put(b, s, 1);
            else if (ch < 0x20 || ch == 0x7f)
                rc = put(b, " ", ch == '\t' || ch == '\n' ? 1 : 0);
            else
                rc = put(b, s, 1);
        }
        if (rc) return rc;
    }
    return SVG_OK;
}

static double fin(double v)
{
    return isfinite(v) ? v : 0.0;
}

/* A short number: 1234567 -> 1.23M, 0.05 -> 0.05. */
static void fmt_num(double v, char *out, size_t cap)
{
    double a = fabs(v);
    if (a >= 1e9)
        snprintf(out, cap, "%.3gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(out, cap, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(out, cap, "%.3gk", v / 1e3);
    else
        snprintf(out, cap, "%.4g", v);
}

/* A step of 1, 2 or 5 times a power of ten giving about n ticks over span. */
static double nice_step(double span, int n)
{
    if (!(span > 0) || !isfinite(span)) return 1.0;
    double raw = span / n;
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

typedef struct frame {
    double w, h;           /* whole svg */
    double px, py;         /* plot origin (top-left) */
    double pw, ph;         /* plot size */
    double x0, x1, y0, y1; /* data ranges */
} frame;

static double fx(const frame *f, double x)
{
    double span = f->x1 - f->x0;
    double t = span > 0 ? (x - f->x0) / span : 0.5;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return f->px + t * f->pw;
}

static double fy(const frame *f, double y)
{
    double span = f->y1 - f->y0;
    double t = span > 0 ? (y - f->y0) / span : 0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return f->py + f->ph - t * f->ph;
}

static const char *color_of(const svg_series *s, size_t k)
{
    return s && s->color ? s->color : palette[k % NPALETTE];
}

static void put_id(svg_buf *b, const char *id)
{
    char clean[64];
    size_t n = 0;
    for (const char *p = id ? id : "chart"; *p && n + 1 < sizeof clean; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || ch == '.';
        clean[n++] = ok ? ch : '_';
    }
    clean[n] = '\0';
    svg_printf(b, "%s", clean);
}

/* The <svg> opening, title, y grid with labels, axes. */
static void open_chart(svg_buf *b, const svg_chart *c, const frame *f, const char *kind)
{
    svg_printf(b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-kind=\"%s\" "
               "data-chart=\"",
               kind);
    put_id(b, c->id);
    svg_printf(b,
               "\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
               "font-family=\"sans-serif\" font-size=\"11\"><title>",
               f->w, f->h, f->w, f->h);
    svg_escape(b, c->title ? c->title : "chart");
    svg_printf(b, "</title><rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>");
    if (c->title) {
        svg_printf(b, "<text x=\"%d\" y=\"16\" font-size=\"13\" font-weight=\"bold\">", ML);
        svg_escape(b, c->title);
        svg_printf(b, "</text>");
    }
    /* y grid */
    double step = nice_step(f->y1 - f->y0, 4);
    for (double v = f->y0; v <= f->y1 + step * 1e-9; v += step) {
        double y = fy(f, v);
        char t[32];
        if (c->flags & SVG_Y_PERCENT)
            snprintf(t, sizeof t, "%.4g%%", v * 100);
        else
            fmt_num(v, t, sizeof t);
        svg_printf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%s</text>",
                   f->px, y, f->px + f->pw, y, f->px - 4, y + 4, t);
    }
    svg_printf(b,
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>",
               f->px, f->py, f->px, f->py + f->ph, f->px, f->py + f->ph, f->px + f->pw,
               f->py + f->ph);
    if (c->y_label) {
        svg_printf(b,
                   "<text transform=\"translate(12 %.1f) rotate(-90)\" text-anchor=\"middle\" "
                   "fill=\"#444\">",
                   f->py + f->ph / 2);
        svg_escape(b, c->y_label);
        svg_printf(b, "</text>");
    }
    if (c->x_label) {
        svg_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">",
                   f->px + f->pw / 2, f->h - 6);
        svg_escape(b, c->x_label);
        svg_printf(b, "</text>");
    }
}

static void x_ticks(svg_buf *b, const svg_chart *c, const frame *f)
{
    double base = f->py + f->ph;
    if (c->ticks && c->nticks) {
        for (size_t i = 0; i < c->nticks; i++) {
            double x = fx(f, c->ticks[i].x);
            svg_printf(b,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">",
                       x, base, x, base + 4, x, base + 16);
            svg_escape(b, c->ticks[i].label);
            svg_printf(b, "</text>");
        }
        return;
    }
    double step = nice_step(f->x1 - f->x0, 6);
    double start = ceil(f->x0 / step - 1e-9) * step;
    for (double v = start; v <= f->x1 + step * 1e-9; v += step) {
        double x = fx(f, v);
        char t[32];
        fmt_num(fabs(v) < step * 1e-9 ? 0 : v, t, sizeof t);
        svg_printf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%s",
                   x, base, x, base + 4, x, base + 16, t);
        svg_escape(b, c->x_unit);
        svg_printf(b, "</text>");
    }
}

static void legend(svg_buf *b, const svg_chart *c, const frame *f)
{
    if (c->nseries < 2) return;
    double x = f->px + f->pw;
    /* right-aligned, laid out from the right so long titles keep the left */
    for (size_t k = c->nseries; k-- > 0;) {
        const char *label = c->series[k].label ? c->series[k].label : "";
        double tw = 6.5 * (double)strlen(label) + 18;
        x -= tw;
        svg_printf(b,
                   "<g class=\"legend\"><rect x=\"%.1f\" y=\"24\" width=\"10\" height=\"10\" "
                   "fill=\"%s\"/><text x=\"%.1f\" y=\"33\">",
                   x, color_of(&c->series[k], k), x + 13);
        svg_escape(b, label);
        svg_printf(b, "</text></g>");
    }
}

static void markers(svg_buf *b, const svg_chart *c, const frame *f)
{
    for (size_t i = 0; i < c->nmarkers; i++) {
        const svg_marker *m = &c->markers[i];
        double x = fx(f, fin(m->x));
        const char *col = m->color ? m->color : "#b00020";
        svg_printf(b,
                   "<g class=\"marker\" data-x=\"%g\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                   "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>",
                   fin(m->x), x, f->py, x, f->py + f->ph, col);
        if (m->label) {
            /* keep the label inside the plot: right of the line unless near the right edge */
            int right = x < f->px + f->pw * 0.75;
            svg_printf(b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" text-anchor=\"%s\">",
                       right ? x + 4 : x - 4, f->py + 12 + 12.0 * (double)(i % 3), col,
                       right ? "start" : "end");
            svg_escape(b, m->label);
            svg_printf(b, "</text>");
        }
        svg_printf(b, "</g>");
    }
}

static int setup(svg_buf *b, const svg_chart *c, frame *f, size_t *mark)
{
    if (!b || !b->data || !c) return SVG_EINVAL;
    if ((c->nmarkers && !c->markers) || (c->nticks && !c->ticks) || (c->nseries && !c->series))
        return SVG_EINVAL;
    for (size_t k = 0; k < c->nseries; k++)
        if (c->series[k].n && !c->series[k].y) return SVG_EINVAL;
    if (b->full) return SVG_EFULL;
    *mark = b->len;
    memset(f, 0, sizeof *f);
    f->w = c->width > 0 ? c->width : 640;
    f->h = c->height > 0 ? c->height : 260;
    if (f->w < ML + MR + 40) f->w = ML + MR + 40;
    if (f->h < MT + MB + 40) f->h = MT + MB + 40;
    f->px = ML;
    f->py = MT;
    f->pw = f->w - ML - MR;
    f->ph = f->h - MT - MB;
    return SVG_OK;
}

/* Close the chart, or roll the buffer back to mark when it did not fit. */
static int finish(svg_buf *b, size_t mark)
{
    svg_printf(b, "</svg>\n");
    if (b->full) {
        b->len = mark;
        b->data[mark] = '\0';
        b->full = 0;
        return SVG_EFULL;
    }
    return SVG_OK;
}

/* y range top rounded up to a tick so the highest bar does not touch the frame. */
static void y_top(frame *f, double maxv)
{
    f->y0 = 0;
    if (!(maxv > 0)) maxv = 1;
    double step = nice_step(maxv, 4);
    f->y1 = ceil(maxv / step - 1e-9) * step;
    if (f->y1 <= 0) f->y1 = 1;
}

/* The x range the chart asks for; an empty or reversed one becomes one unit wide. */
static void fixed_x(frame *f, const svg_chart *c)
{
    f->x0 = fin(c->x_min);
    f->x1 = fin(c->x_max) > f->x0 ? fin(c->x_max) : f->x0 + 1;
}

/* Left and right pixel of bin i of n spread evenly over the x range. */
static void bin_span(const frame *f, size_t i, size_t n, double *left, double *right)
{
    double lo = f->x0 + (f->x1 - f->x0) * (double)i / (double)n;
    double hi = f->x0 + (f->x1 - f->x0) * (double)(i + 1) / (double)n;
    *left = fx(f, lo);
    *right = fx(f, hi);
}

/* Axis ticks, markers and legend over the plot, then close it (see finish). */
static int close_chart(svg_buf *b, const svg_chart *c, const frame *f, size_t mark)
{
    x_ticks(b, c, f);
    markers(b, c, f);
    legend(b, c, f);
    return finish(b, mark);
}

static double series_total(const svg_series *s)
{
    double t = 0;
    for (size_t i = 0; i < s->n; i++)
        t += fin(s->y[i]) > 0 ? fin(s->y[i]) : 0;
    return t;
}

int svg_histogram(svg_buf *b, const svg_chart *c)
{
    frame f;
    size_t mark;
    int rc = setup(b, c, &f, &mark);
    if (rc) return rc;
    int norm = (c->flags & SVG_NORMALIZE) != 0;
    double maxv = 0;
    for (size_t k = 0; k < c->nseries; k++) {
        double tot = norm ? series_total(&c->series[k]) : 1;
        for (size_t i = 0; i < c->series[k].n; i++) {
            double v = fin(c->series[k].y[i]) / (tot > 0 ? tot : 1);
            if (v > maxv) maxv = v;
        }
    }
    fixed_x(&f, c);
    y_top(&f, maxv);
    open_chart(b, c, &f, "histogram");
    double opacity = c->nseries > 1 ? 0.55 : 0.85;
    for (size_t k = 0; k < c->nseries; k++) {
        const svg_series *s = &c->series[k];
        double tot = norm ? series_total(s) : 1;
        svg_printf(b, "<g class=\"series\" fill=\"%s\" fill-opacity=\"%.2f\" data-label=\"",
                   color_of(s, k), opacity);
        svg_escape(b, s->label);
        svg_printf(b, "\">");
        for (size_t i = 0; i < s->n; i++) {
            double v = fin(s->y[i]);
            double x, x2;
            bin_span(&f, i, s->n, &x, &x2);
            double y = fy(&f, v / (tot > 0 ? tot : 1));
            double h = f.py + f.ph - y;
            /* a zero bin is still one (empty) element so bins can be counted */
            svg_printf(b,
                       "<rect class=\"bar\" data-value=\"%g\" x=\"%.1f\" y=\"%.1f\" "
                       "width=\"%.1f\" height=\"%.1f\"/>",
                       v, x + 0.5, y, x2 - x > 1.5 ? x2 - x - 1 : 0.5, h);
        }
        svg_printf(b, "</g>");
    }
    return close_chart(b, c, &f, mark);
}

int svg_line(svg_buf *b, const svg_chart *c)
{
    frame f;
    size_t mark;
    int rc = setup(b, c, &f, &mark);
    if (rc) return rc;
    double xmin = INFINITY, xmax = -INFINITY, maxv = 0;
    for (size_t k = 0; k < c->nseries; k++) {
        const svg_series *s = &c->series[k];
        for (size_t i = 0; i < s->n; i++) {
            double x = s->x ? fin(s->x[i]) : (double)i;
            if (x < xmin) xmin = x;
            if (x > xmax) xmax = x;
            if (fin(s->y[i]) > maxv) maxv = fin(s->y[i]);
        }
    }
    if (c->x_max > c->x_min) {
        f.x0 = fin(c->x_min);
        f.x1 = fin(c->x_max);
    } else if (xmin < xmax) {
        f.x0 = xmin;
        f.x1 = xmax;
    } else {
        f.x0 = isfinite(xmin) ? xmin - 1 : 0;
        f.x1 = f.x0 + 2;
    }
    y_top(&f, maxv);
    open_chart(b, c, &f, "line");
    for (size_t k = 0; k < c->nseries; k++) {
        const svg_series *s = &c->series[k];
        const char *col = color_of(s, k);
        svg_printf(b, "<g class=\"series\" data-label=\"");
        svg_escape(b, s->label);
        svg_printf(b, "\"><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        for (size_t i = 0; i < s->n; i++)
            svg_printf(b, "%s%.1f,%.1f", i ? " " : "", fx(&f, s->x ? fin(s->x[i]) : (double)i),
                       fy(&f, fin(s->y[i])));
        svg_printf(b, "\"/>");
        for (size_t i = 0; i < s->n; i++)
            svg_printf(
                b,
                "<circle class=\"point\" data-value=\"%g\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
                "fill=\"%s\"/>",
                fin(s->y[i]), fx(&f, s->x ? fin(s->x[i]) : (double)i), fy(&f, fin(s->y[i])), col);
        svg_printf(b, "</g>");
    }
    return close_chart(b, c, &f, mark);
}

int svg_stacked(svg_buf *b, const svg_chart *c)
{
    frame f;
    size_t mark;
    int rc = setup(b, c, &f, &mark);
    if (rc) return rc;
    size_t n = c->nseries ? c->series[0].n : 0;
    for (size_t k = 1; k < c->nseries; k++)
        if (c->series[k].n != n) return SVG_EINVAL;
    double maxv = 0;
    for (size_t i = 0; i < n; i++) {
        double tot = 0;
        for (size_t k = 0; k < c->nseries; k++)
            tot += fin(c->series[k].y[i]) > 0 ? fin(c->series[k].y[i]) : 0;
        if (tot > maxv) maxv = tot;
    }
    fixed_x(&f, c);
    y_top(&f, maxv);
    open_chart(b, c, &f, "stacked");
    for (size_t i = 0; i < n; i++) {
        double x, x2;
        bin_span(&f, i, n, &x, &x2);
        double w = x2 - x;
        double acc = 0;
        svg_printf(b, "<g class=\"bucket\" data-i=\"%zu\">", i);
        for (size_t k = 0; k < c->nseries; k++) {
            double v = fin(c->series[k].y[i]);
            if (!(v > 0)) continue;
            double ytop = fy(&f, acc + v), ybot = fy(&f, acc);
            acc += v;
            svg_printf(b,
                       "<rect class=\"bar\" data-series=\"%zu\" data-value=\"%g\" x=\"%.1f\" "
                       "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
                       k, v, x + 0.25, ytop, w > 1 ? w - 0.5 : 0.5, ybot - ytop,
                       color_of(&c->series[k], k));
        }
        svg_printf(b, "</g>");
    }
    return close_chart(b, c, &f, mark);
}

int svg_bars(svg_buf *b, const svg_chart *c, const char *const *labels, const double *values,
             const char *const *value_labels, size_t n)
{
    if (n && (!labels || !values)) return SVG_EINVAL;
    svg_chart cc = *c;
    cc.series = NULL;
    cc.nseries = 0;
    cc.markers = NULL;
    cc.nmarkers = 0;
    cc.ticks = NULL;
    cc.nticks = 0;
    cc.y_label = NULL;
    /* tall enough for every bar, whatever the height asked */
    if (cc.height < (int)(MT + 16 + 22 * n)) cc.height = (int)(MT + 16 + 22 * n);
    frame f;
    size_t mark;
    int rc = setup(b, &cc, &f, &mark);
    if (rc) return rc;
    /* labels on the left take a wider margin than y tick numbers */
    double lw = 120;
    f.px = lw;
    f.pw = f.w - lw - 110;
    f.ph = 22.0 * (double)n;
    f.py = MT;
    double maxv = 0;
    for (size_t i = 0; i < n; i++)
        if (fin(values[i]) > maxv) maxv = fin(values[i]);
    f.x0 = 0;
    f.x1 = maxv > 0 ? maxv : 1;
    svg_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-kind=\"bars\" "
                  "data-chart=\"");
    put_id(b, cc.id);
    svg_printf(b,
               "\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
               "font-family=\"sans-serif\" font-size=\"11\"><title>",
               f.w, f.h, f.w, f.h);
    svg_escape(b, cc.title ? cc.title : "chart");
    svg_printf(b, "</title><rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>");
    if (cc.title) {
        svg_printf(b, "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\">");
        svg_escape(b, cc.title);
        svg_printf(b, "</text>");
    }
    for (size_t i = 0; i < n; i++) {
        double v = fin(values[i]) > 0 ? fin(values[i]) : 0;
        double y = f.py + 22.0 * (double)i;
        double w = fx(&f, v) - f.px;
        char num[32];
        fmt_num(v, num, sizeof num);
        svg_printf(b, "<g class=\"row\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f.px - 6,
                   y + 14);
        svg_escape(b, labels[i]);
        svg_printf(b,
                   "</text><rect class=\"bar\" data-value=\"%g\" x=\"%.1f\" y=\"%.1f\" "
                   "width=\"%.1f\" height=\"16\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
                   "fill=\"#444\">",
                   v, f.px, y + 2, w > 0.5 ? w : 0.5, palette[i % NPALETTE], f.px + w + 4, y + 14);
        if (value_labels && value_labels[i])
            svg_escape(b, value_labels[i]);
        else
            svg_printf(b, "%s", num);
        svg_printf(b, "</text></g>");
    }
    if (cc.x_label) {
        svg_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">",
                   f.px + f.pw / 2, f.h - 4);
        svg_escape(b, cc.x_label);
        svg_printf(b, "</text>");
    }
    return finish(b, mark);
}
