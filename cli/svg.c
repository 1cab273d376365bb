/* The profile chart (`glint profile --svg FILE`). Plain SVG 1.1 with attributes only (no CSS,
 * no scripts, no fonts to fetch), so any browser or image viewer shows it as written. Depends on
 * libc and the profile struct only: tests/test_svg.c compiles this file into itself. */
#include "svg.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Tableau 10: distinct for the common kinds of colour blindness. */
static const char *const svg_colour[GL_PLAN_MAX_BACKENDS] = {"#4e79a7", "#e15759", "#59a14f",
                                                             "#f28e2b"};

enum {
    SVG_LEFT = 64, /* y-axis labels */
    SVG_RIGHT = 16,
    SVG_HEADER = 84, /* title, subtitle, legend */
    SVG_PANEL_TOP = 48,
    SVG_PLOT_H = 170,
    SVG_PANEL_H = SVG_PANEL_TOP + SVG_PLOT_H + 44, /* + plan strip and x labels */
    SVG_PLOT_W = 880,
};

/* One panel: a phase (at one context length) and the plan drawn under it. */
typedef struct svg_panel {
    char title[160], note[320];
    const gl_plan *plan;
    double v[GL_PLAN_MAX_BACKENDS][GL_PLAN_MAX_LAYERS + 2]; /* [backend][stage] */
} svg_panel;

static bool usable(double v) {
    return isfinite(v) && v >= 0;
}

/* Text content or attribute value: the five XML specials escaped, control characters (not
 * allowed in XML 1.0) dropped. */
static void xml_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        const char *e = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&apos;"
                                     : NULL;
        if (e)
            fputs(e, f);
        else if ((unsigned char)*s >= 0x20 || *s == '\t')
            fputc(*s, f);
    }
}

/* Milliseconds with 3-4 significant digits; never "inf" or "nan". */
static void fmt_ms(double v, char *buf, size_t cap) {
    if (!isfinite(v))
        snprintf(buf, cap, "n/a");
    else if (v < 0.01)
        snprintf(buf, cap, "%.4f", v);
    else if (v < 1)
        snprintf(buf, cap, "%.3f", v);
    else if (v < 100)
        snprintf(buf, cap, "%.2f", v);
    else
        snprintf(buf, cap, "%.1f", v);
}

static const char *backend_name(const gl_profile *p, int b, char *buf, size_t cap) {
    if (b >= 0 && b < p->n_backend && p->names[b][0]) {
        snprintf(buf, cap, "%.*s", (int)sizeof p->names[b], p->names[b]);
    } else {
        snprintf(buf, cap, "backend %d", b);
    }
    return buf;
}

static double cost_of(const gl_plan_costs *c, int b, int stage, int n_layer) {
    if (stage == 0) return c->embed[b];
    if (stage > n_layer) return c->head[b];
    return c->layer[b][stage - 1];
}

static int plan_backend(const gl_plan *p, int stage, int n_layer) {
    return stage == 0 ? p->embed : stage > n_layer ? p->head : p->backend[stage - 1];
}

/* The plan's cost under this panel's stage costs and the phase's moves. */
static double panel_predicted(const svg_panel *pn, const gl_plan_costs *c, int n_backend,
                              int n_layer) {
    double sum = 0;
    for (int s = 0; s <= n_layer + 1; s++) {
        const int b = plan_backend(pn->plan, s, n_layer);
        if (b >= n_backend) return NAN;
        sum += pn->v[b][s];
        const int prev = s > 0 ? plan_backend(pn->plan, s - 1, n_layer) : b;
        if (prev != b && prev < n_backend) sum += c->move[s - 1][prev][b];
    }
    return sum;
}

/* A 1-2-5 tick step giving about 5 ticks up to `max`. */
static double nice_step(double max) {
    const double raw = max / 5;
    const double mag = pow(10, floor(log10(raw)));
    const double r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

static void draw_panel(FILE *f, const gl_profile *p, const svg_panel *pn, double y0, double gw) {
    const int nb = p->n_backend, ns = p->n_layer + 2;
    const double top = y0 + SVG_PANEL_TOP, base = top + SVG_PLOT_H, plot_w = gw * ns;
    char num[32], name[48];

    fprintf(f, "<g>\n<text x=\"%d\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">", SVG_LEFT,
            y0 + 18);
    xml_text(f, pn->title);
    fprintf(f, "</text>\n<text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">", SVG_LEFT,
            y0 + 34);
    xml_text(f, pn->note);
    fputs("</text>\n", f);

    double max = 0;
    for (int b = 0; b < nb; b++)
        for (int s = 0; s < ns; s++)
            if (usable(pn->v[b][s]) && pn->v[b][s] > max) max = pn->v[b][s];
    double step = max > 0 ? nice_step(max) : 0.25;
    if (!(step > 0) || !isfinite(step)) step = 0.25;
    double ymax = ceil(max / step - 1e-9) * step;
    if (!(ymax > 0)) ymax = step;

    /* y axis: grid lines and tick labels */
    for (int i = 0; i <= 10; i++) {
        const double t = step * i;
        if (t > ymax * (1 + 1e-9)) break;
        const double y = base - t / ymax * SVG_PLOT_H;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"1\"/>\n",
                SVG_LEFT, y, SVG_LEFT + plot_w, y, i == 0 ? "#333" : "#e4e4e4");
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%g</text>\n",
                SVG_LEFT - 6, y + 3.5, t);
    }
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\" "
            "stroke-width=\"1\"/>\n",
            SVG_LEFT, top, SVG_LEFT, base);
    fprintf(f,
            "<text x=\"14\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 14 %.1f)\">ms</text>\n",
            top + SVG_PLOT_H / 2.0, top + SVG_PLOT_H / 2.0);

    /* bars, one group per stage */
    const double gap = gw * 0.2 > 1 ? gw * 0.2 : 1;
    const double bw = (gw - gap) / nb;
    for (int s = 0; s < ns; s++) {
        char stage[32];
        if (s == 0)
            snprintf(stage, sizeof stage, "embedding");
        else if (s == ns - 1)
            snprintf(stage, sizeof stage, "head");
        else
            snprintf(stage, sizeof stage, "layer %d", s - 1);
        for (int b = 0; b < nb; b++) {
            const double x = SVG_LEFT + s * gw + gap / 2 + b * bw;
            const double v = pn->v[b][s];
            backend_name(p, b, name, sizeof name);
            if (usable(v)) {
                const double h = v / ymax * SVG_PLOT_H;
                fmt_ms(v, num, sizeof num);
                fprintf(f,
                        "<rect class=\"bar b%d\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                        "height=\"%.2f\" fill=\"%s\"><title>",
                        b, x, base - h, bw, h, svg_colour[b]);
                xml_text(f, stage);
                fputs(", ", f);
                xml_text(f, name);
                fprintf(f, ": %s ms</title></rect>\n", num);
            } else {
                /* cannot run there: a short hatched block instead of a bar */
                fprintf(f,
                        "<rect class=\"na\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"10\" "
                        "fill=\"url(#hatch)\" stroke=\"%s\" stroke-width=\"0.5\"><title>",
                        x, base - 10, bw, svg_colour[b]);
                xml_text(f, stage);
                fputs(", ", f);
                xml_text(f, name);
                fputs(": cannot run</title></rect>\n", f);
            }
        }
    }

    /* the plan: one strip cell per stage in the colour of the backend it runs on */
    const double sy = base + 5;
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">plan</text>\n",
            SVG_LEFT - 6, sy + 9);
    for (int s = 0; s < ns; s++) {
        const int b = plan_backend(pn->plan, s, p->n_layer);
        const bool known = b < nb;
        backend_name(p, b, name, sizeof name);
        fprintf(f,
                "<rect class=\"plan\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"11\" "
                "fill=\"%s\" shape-rendering=\"crispEdges\"><title>",
                SVG_LEFT + s * gw, sy, gw, known ? svg_colour[b] : "#999");
        xml_text(f, name);
        fputs("</title></rect>\n", f);
    }

    /* x labels: every k-th layer so they do not overlap; embedding and head always */
    const int every = gw >= 18 ? 1 : (int)ceil(18 / gw);
    for (int s = 0; s < ns; s++) {
        char lab[16];
        if (s == 0)
            snprintf(lab, sizeof lab, "%s", gw >= 26 ? "emb" : "E");
        else if (s == ns - 1)
            snprintf(lab, sizeof lab, "%s", gw >= 26 ? "head" : "H");
        else if ((s - 1) % every == 0 && s + every / 2 < ns - 1)
            snprintf(lab, sizeof lab, "%d", s - 1);
        else
            continue;
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
                SVG_LEFT + (s + 0.5) * gw, sy + 26, lab);
    }
    fputs("</g>\n", f);
}

/* "cpu 12.3 ms, vulkan 8.10 ms" from the whole-pass measurements, or "" when none. */
static void whole_note(const gl_profile *p, int phase, const char *what, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = 0;
    for (int b = 0; b < p->n_backend; b++) {
        if (!usable(p->whole[phase][b]) || p->whole[phase][b] <= 0) continue;
        char num[32], name[48];
        fmt_ms(p->whole[phase][b], num, sizeof num);
        int w = snprintf(buf + used, cap - used, "%s%s %s ms", used ? ", " : what,
                         backend_name(p, b, name, sizeof name), num);
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
    }
}

int cli_profile_svg(const gl_profile *p, const char *model_name, FILE *out) {
    if (!p || !out || p->n_backend < 1 || p->n_backend > GL_PLAN_MAX_BACKENDS || p->n_layer < 1 ||
        p->n_layer > GL_PLAN_MAX_LAYERS)
        return -1;
    const int nb = p->n_backend, nl = p->n_layer, ns = nl + 2;
    const int n_ctx = p->n_ctx < 0                    ? 0
                      : p->n_ctx > GL_PROFILE_MAX_CTX ? GL_PROFILE_MAX_CTX
                                                      : p->n_ctx;
    /* groups at least 3 px per bar: many layers widen the chart rather than vanish */
    double gw = (double)SVG_PLOT_W / ns;
    if (gw < 3.0 * nb + 2) gw = 3.0 * nb + 2;
    const int n_panel = 1 + (n_ctx > 0 ? n_ctx : 1);
    const double width = SVG_LEFT + gw * ns + SVG_RIGHT;
    const double height = SVG_HEADER + n_panel * SVG_PANEL_H;
    char num[32], num2[32], name[48];

    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n<title>Glint profile",
            width, height, width, height);
    if (model_name && *model_name) fputs(": ", out), xml_text(out, model_name);
    fputs("</title>\n<defs><pattern id=\"hatch\" width=\"4\" height=\"4\" "
          "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" "
          "y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#888\" stroke-width=\"1.5\"/></pattern></defs>\n",
          out);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", width,
            height);

    /* header: title, what was measured, legend */
    fprintf(out, "<text x=\"%d\" y=\"24\" font-size=\"17\" font-weight=\"bold\">Glint profile",
            SVG_LEFT);
    if (model_name && *model_name) fputs(": ", out), xml_text(out, model_name);
    fputs("</text>\n", out);
    fmt_ms(p->plan[GL_PLAN_PHASE_PREFILL].cost, num, sizeof num);
    fmt_ms(p->plan[GL_PLAN_PHASE_DECODE].cost, num2, sizeof num2);
    fprintf(out,
            "<text x=\"%d\" y=\"44\" font-size=\"12\" fill=\"#333\">%d layers; predicted: "
            "prefill of %d tokens %s ms, decode %s ms per token; bars: ms per stage on each "
            "backend</text>\n",
            SVG_LEFT, nl, p->n_prefill, num, num2);
    double lx = SVG_LEFT;
    for (int b = 0; b < nb; b++) {
        backend_name(p, b, name, sizeof name);
        fprintf(out,
                "<rect class=\"legend\" x=\"%.1f\" y=\"58\" width=\"12\" height=\"12\" "
                "fill=\"%s\"/>\n<text x=\"%.1f\" y=\"68\" font-size=\"12\">",
                lx, svg_colour[b], lx + 16);
        xml_text(out, name);
        fputs("</text>\n", out);
        lx += 16 + 8.0 * (double)strlen(name) + 18;
    }
    fprintf(out,
            "<rect x=\"%.1f\" y=\"58\" width=\"12\" height=\"12\" fill=\"url(#hatch)\" "
            "stroke=\"#888\" stroke-width=\"0.5\"/>\n<text x=\"%.1f\" y=\"68\" "
            "font-size=\"12\">cannot run there</text>\n"
            "<text x=\"%.1f\" y=\"68\" font-size=\"12\" fill=\"#555\">strip under the bars: "
            "where the chosen plan runs each stage</text>\n",
            lx, lx + 16, lx + 140);

    svg_panel *pn = calloc(1, sizeof *pn);
    if (!pn) return -1;
    for (int i = 0; i < n_panel; i++) {
        const int phase = i == 0 ? GL_PLAN_PHASE_PREFILL : GL_PLAN_PHASE_DECODE;
        const gl_plan_costs *c = &p->costs[phase];
        pn->plan = &p->plan[phase];
        for (int b = 0; b < nb; b++)
            for (int s = 0; s < ns; s++)
                pn->v[b][s] = phase == GL_PLAN_PHASE_DECODE && n_ctx > 0
                                  ? p->decode_stage[i - 1][b][s]
                                  : cost_of(c, b, s, nl);
        const double pred = panel_predicted(pn, c, nb, nl);
        fmt_ms(pred, num, sizeof num);
        if (phase == GL_PLAN_PHASE_PREFILL) {
            snprintf(pn->title, sizeof pn->title,
                     "prefill, %d tokens in one pass: plan predicted %s ms", p->n_prefill, num);
            whole_note(p, phase, "whole pass on one backend (measured): ", pn->note,
                       sizeof pn->note);
        } else if (n_ctx > 0) {
            fmt_ms(p->plan[phase].cost, num2, sizeof num2);
            snprintf(pn->title, sizeof pn->title,
                     "decode at context %d: plan predicted %s ms per token", (int)p->ctx[i - 1],
                     num);
            char whole[160];
            whole_note(p, phase, "; one backend (measured, mean): ", whole, sizeof whole);
            snprintf(pn->note, sizeof pn->note,
                     "the decode plan is chosen on the mean over contexts (%s ms)%s", num2, whole);
        } else {
            snprintf(pn->title, sizeof pn->title, "decode: plan predicted %s ms per token", num);
            whole_note(p, phase, "whole pass on one backend (measured): ", pn->note,
                       sizeof pn->note);
        }
        draw_panel(out, p, pn, SVG_HEADER + i * SVG_PANEL_H, gw);
    }
    free(pn);
    fputs("</svg>\n", out);
    return ferror(out) ? -1 : 0;
}
