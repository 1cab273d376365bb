/* The `glint profile --svg` chart on hand-made profiles: well-formed (tags balanced, entities
 * valid), one bar per finite cost and a hatched marker per INFINITY one, one plan cell per
 * stage and panel, legend names, escaped text, never "nan"/"inf"; one backend, no context
 * lengths and many layers work; a malformed profile is refused. */
#include "test_util.h"

/* The chart's writer lives in the CLI, which tests cannot link (ctest executables link only
 * the library): compile it in. It needs nothing but libc and the profile struct. */
#include "../cli/svg.c"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Runs the writer into memory; NULL when it failed. */
static char *render(const gl_profile *p, const char *name, int *rc) {
    FILE *f = tmpfile();
    if (!f) return NULL;
    *rc = cli_profile_svg(p, name, f);
    long n = ftell(f);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    rewind(f);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = 0;
    fclose(f);
    return buf;
}

static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* A small XML well-formedness check: every element closed in order, attribute quotes paired,
 * every '&' starting a known entity, nothing after the root. Returns NULL or the problem. */
static const char *xml_check(const char *s) {
    static char why[128];
    char stack[64][32];
    int depth = 0, roots = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '&') {
            if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
                strncmp(p, "&quot;", 6) && strncmp(p, "&apos;", 6))
                return "bad entity";
            continue;
        }
        if (*p != '<') {
            if (depth == 0 && !isspace((unsigned char)*p)) return "text outside the root";
            continue;
        }
        const char *end = strchr(p, '>');
        if (!end) return "unterminated tag";
        int quotes = 0;
        for (const char *q = p; q < end; q++) quotes += *q == '"';
        if (quotes % 2) return "unpaired quote";
        if (strchr(p + 1, '<') && strchr(p + 1, '<') < end) return "'<' inside a tag";
        const bool closing = p[1] == '/';
        const char *n0 = p + 1 + closing;
        size_t len = 0;
        while (isalnum((unsigned char)n0[len]) || n0[len] == '-' || n0[len] == ':') len++;
        if (len == 0 || len >= sizeof stack[0]) return "bad tag name";
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != len ||
                strncmp(stack[depth - 1], n0, len)) {
                snprintf(why, sizeof why, "</%.*s> closes <%s>", (int)len, n0,
                         depth ? stack[depth - 1] : "(nothing)");
                return why;
            }
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 0 && roots++) return "two roots";
            if (depth == 64) return "too deep";
            memcpy(stack[depth], n0, len);
            stack[depth++][len] = 0;
        } else if (depth == 0) {
            return "self-closed root";
        }
        p = end;
    }
    if (depth) {
        snprintf(why, sizeof why, "<%s> never closed", stack[depth - 1]);
        return why;
    }
    return roots == 1 ? NULL : "no root";
}

static void fill(gl_profile *p, int nb, int nl, int n_ctx) {
    memset(p, 0, sizeof *p);
    p->n_backend = nb;
    p->n_layer = nl;
    p->n_prefill = 128;
    p->n_ctx = n_ctx;
    static const char *const names[] = {"cpu", "vulkan"};
    for (int b = 0; b < nb; b++) snprintf(p->names[b], sizeof p->names[b], "%s", names[b % 2]);
    for (int c = 0; c < n_ctx; c++) p->ctx[c] = c * 64;
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        gl_plan_costs *k = &p->costs[ph];
        k->n_backend = nb;
        k->n_layer = nl;
        const double scale = ph == GL_PLAN_PHASE_PREFILL ? 10 : 1;
        for (int b = 0; b < nb; b++) {
            k->embed[b] = 0.05 * scale * (b + 1);
            k->head[b] = 0.8 * scale / (b + 1);
            for (int l = 0; l < nl; l++) k->layer[b][l] = scale * (1 + 0.1 * l) / (b + 1);
            for (int c = 0; c < n_ctx; c++)
                for (int s = 0; s < nl + 2; s++)
                    p->decode_stage[c][b][s] = (1 + 0.5 * c) * (s == 0        ? k->embed[b]
                                                                : s == nl + 1 ? k->head[b]
                                                                              : k->layer[b][s - 1]);
            for (int o = 0; o < nb; o++)
                for (int i = 0; i <= nl; i++) k->move[i][b][o] = b == o ? 0 : 0.02 * scale;
            p->whole[ph][b] = scale * nl / (b + 1);
        }
        gl_plan *pl = &p->plan[ph];
        pl->n_layer = nl;
        pl->n_backend = nb;
        pl->embed = 0;
        for (int l = 0; l < nl; l++) pl->backend[l] = (uint8_t)(nb > 1 && l < nl / 2 ? 1 : 0);
        pl->head = 0;
        pl->cost = 12.5 / scale;
    }
}

/* Finite / INFINITY entries drawn over all panels. */
static void expected_bars(const gl_profile *p, int *finite, int *inf) {
    *finite = *inf = 0;
    const int nl = p->n_layer, panels = 1 + (p->n_ctx > 0 ? p->n_ctx : 1);
    for (int i = 0; i < panels; i++)
        for (int b = 0; b < p->n_backend; b++)
            for (int s = 0; s < nl + 2; s++) {
                const gl_plan_costs *k = &p->costs[i ? GL_PLAN_PHASE_DECODE : 0];
                double v = i && p->n_ctx ? p->decode_stage[i - 1][b][s]
                           : s == 0      ? k->embed[b]
                           : s == nl + 1 ? k->head[b]
                                         : k->layer[b][s - 1];
                if (isfinite(v) && v >= 0)
                    ++*finite;
                else
                    ++*inf;
            }
}

static void check_chart(const char *what, const gl_profile *p, const char *name) {
    int rc = -2;
    char *svg = render(p, name, &rc);
    CHECK_MSG(svg != NULL && rc == 0, "%s: rc %d", what, rc);
    if (!svg) return;
    const char *why = xml_check(svg);
    CHECK_MSG(why == NULL, "%s: not well-formed: %s", what, why);
    CHECK_MSG(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0, "%s: %.60s", what,
              svg);
    const size_t len = strlen(svg);
    CHECK_MSG(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0, "%s: does not end in </svg>",
              what);
    int finite, inf;
    expected_bars(p, &finite, &inf);
    const int panels = 1 + (p->n_ctx > 0 ? p->n_ctx : 1);
    CHECK_MSG(count(svg, "<rect class=\"bar ") == finite, "%s: %d bars, want %d", what,
              count(svg, "<rect class=\"bar "), finite);
    CHECK_MSG(count(svg, "<rect class=\"na\"") == inf, "%s: %d markers, want %d", what,
              count(svg, "<rect class=\"na\""), inf);
    CHECK_MSG(count(svg, "<rect class=\"plan\"") == panels * (p->n_layer + 2),
              "%s: %d plan cells, want %d", what, count(svg, "<rect class=\"plan\""),
              panels * (p->n_layer + 2));
    CHECK_MSG(count(svg, "<rect class=\"legend\"") == p->n_backend, "%s: legend", what);
    for (int b = 0; b < p->n_backend; b++) {
        char want[40];
        snprintf(want, sizeof want, ">%s</text>", p->names[b]);
        CHECK_MSG(strstr(svg, want) != NULL, "%s: legend lacks %s", what, p->names[b]);
    }
    static const char *const bad[] = {"nan", "NaN", "NAN", "inf", "Inf", "INF", "height=\"-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(strstr(svg, bad[i]) == NULL, "%s: contains '%s'", what, bad[i]);
    CHECK_MSG(strstr(svg, ">prefill, 128 tokens") != NULL, "%s: prefill panel title", what);
    if (p->n_ctx > 1)
        CHECK_MSG(strstr(svg, ">decode at context 64:") != NULL, "%s: decode panel title", what);
    free(svg);
}

int main(void) {
    gl_profile *p = calloc(1, sizeof *p);
    CHECK(p != NULL);
    if (!p) return gl_test_finish("test_svg");

    /* two backends, five layers, one stage the GPU cannot run */
    fill(p, 2, 5, 2);
    p->costs[GL_PLAN_PHASE_PREFILL].layer[1][2] = INFINITY;
    check_chart("2 backends", p, "stories260K");
    int finite, inf;
    expected_bars(p, &finite, &inf);
    CHECK_EQ_INT(finite, 41); /* 3 panels x 2 backends x 7 stages, one of them INFINITY */
    CHECK_EQ_INT(inf, 1);

    /* the same with NaN in a decode table, and a model name needing escapes */
    p->decode_stage[1][1][3] = NAN;
    check_chart("escapes", p, "a<b & \"c\" 'd'");
    int rc;
    char *svg = render(p, "a<b & \"c\" 'd'\x01", &rc);
    CHECK(svg && strstr(svg, "a&lt;b &amp; &quot;c&quot; &apos;d&apos;</title>") != NULL);
    CHECK(svg && strstr(svg, "a<b") == NULL && strchr(svg, '\x01') == NULL);
    free(svg);

    fill(p, 1, 5, 3);
    check_chart("1 backend", p, NULL);
    fill(p, 2, 4, 0);
    check_chart("no context lengths", p, "m");
    fill(p, 2, 200, 1);
    check_chart("200 layers", p, "big");

    /* every cost INFINITY on a backend, and a plan pointing at a backend not in the table */
    fill(p, 2, 3, 1);
    for (int s = 0; s < 5; s++) p->decode_stage[0][1][s] = INFINITY;
    p->plan[GL_PLAN_PHASE_DECODE].head = 3;
    p->plan[GL_PLAN_PHASE_DECODE].cost = INFINITY;
    check_chart("unrunnable backend", p, "x");

    fill(p, 2, 5, 1);
    p->n_layer = 0;
    FILE *f = tmpfile();
    CHECK(f && cli_profile_svg(p, "x", f) == -1);
    if (f) fclose(f);
    free(p);
    return gl_test_finish("test_svg");
}
