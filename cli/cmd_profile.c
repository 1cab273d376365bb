/* glint profile: profiles a model on every backend present (what `--backend auto` does on a
 * first load), then prints what the profiler measured and what the planner made of it: the
 * per-stage costs with the chosen placement marked, the plans with predicted against measured
 * time, the cost of handing activations between backends, and the gain over the best single
 * backend. Optionally draws the costs as SVG and writes the plans as a file `glint run --plan`
 * follows. Tables go to stdout (markdown), progress and messages to stderr. */
#include "cli.h"
#include "profile.h"
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct profile_opts {
    const char *model, *synthetic, *svg, *save_plan, *ctx;
    long reps, n_prefill, n_threads;
    bool verbose;
} profile_opts;

static void profile_usage(FILE *f) {
    fprintf(f,
            "usage: glint profile (-m MODEL | --synthetic SHAPE:TYPE) [options]\n"
            "  -r, --repetitions R    timed runs per measurement, median kept (default 3)\n"
            "  -p, --n-prefill N      tokens of the prefill pass (default 128)\n"
            "  --ctx LIST             decode context lengths, comma-separated, at most %d\n"
            "                         (default 0,512,2048 where the model allows)\n"
            "  -t, --threads N        CPU threads (default: all cores)\n"
            "  --svg FILE             draw the per-stage costs and the chosen plans as SVG\n"
            "  --save-plan FILE       write the plans (and cost tables) for `glint run --plan`\n"
            "  -v, --verbose          log loading and device details\n"
            "-r, -p and --ctx reach the profiler as GLINT_PROFILE_REPS, GLINT_PROFILE_PREFILL and\n"
            "GLINT_PROFILE_CTX, which any load that profiles reads.\n",
            GL_PROFILE_MAX_CTX);
}

/* "0,512,2048": at most GL_PROFILE_MAX_CTX whole numbers >= 0. */
static bool valid_ctx_list(const char *s) {
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > (1L << 20) || (*end && *end != ',') ||
            ++n > GL_PROFILE_MAX_CTX)
            return false;
        p = *end ? end + 1 : end;
        if (*end && !*p) return false; /* trailing comma */
    }
    return n > 0;
}

static int parse(int argc, char **argv, profile_opts *o) {
    *o = (profile_opts){0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
#define OPT(s1, s2) (strcmp(a, s1) == 0 || (s2 && strcmp(a, s2 ? s2 : "") == 0))
#define VAL()                                                                                      \
    if (!(v = cli_value(argc, argv, &i))) return 2
        /* clang-format off */
        if (OPT("-m", "--model")) { VAL(); o->model = v; }
        else if (OPT("--synthetic", NULL)) { VAL(); o->synthetic = v; }
        else if (OPT("-r", "--repetitions")) { VAL(); if (!cli_int(v, 1, 1000, &o->reps)) return 2; }
        else if (OPT("-p", "--n-prefill")) { VAL(); if (!cli_int(v, 1, 1 << 16, &o->n_prefill)) return 2; }
        else if (OPT("--ctx", NULL)) { VAL(); o->ctx = v; }
        else if (OPT("-t", "--threads")) { VAL(); if (!cli_int(v, 1, 1024, &o->n_threads)) return 2; }
        else if (OPT("--svg", NULL)) { VAL(); o->svg = v; }
        else if (OPT("--save-plan", NULL)) { VAL(); o->save_plan = v; }
        else if (OPT("-v", "--verbose")) o->verbose = true;
        else if (OPT("-h", "--help")) { profile_usage(stdout); return -1; }
        else { fprintf(stderr, "glint profile: unknown option '%s'\n", a); profile_usage(stderr); return 2; }
        /* clang-format on */
#undef OPT
#undef VAL
    }
    if (!o->model == !o->synthetic) {
        fprintf(stderr, "glint profile: give one of -m MODEL or --synthetic SHAPE:TYPE\n");
        return 2;
    }
    if (o->ctx && !valid_ctx_list(o->ctx)) {
        fprintf(stderr,
                "glint profile: --ctx wants 1 to %d context lengths >= 0, comma-separated, "
                "not '%s'\n",
                GL_PROFILE_MAX_CTX, o->ctx);
        return 2;
    }
    return 0;
}

/* The profiler's options travel by environment (gl_profile_default_opts reads them), so the
 * profiling the load does is the one asked for. */
static int export_opts(const profile_opts *o) {
    char buf[32];
    int bad = 0;
    if (o->reps) {
        snprintf(buf, sizeof buf, "%ld", o->reps);
        bad |= setenv("GLINT_PROFILE_REPS", buf, 1);
    }
    if (o->n_prefill) {
        snprintf(buf, sizeof buf, "%ld", o->n_prefill);
        bad |= setenv("GLINT_PROFILE_PREFILL", buf, 1);
    }
    if (o->ctx) bad |= setenv("GLINT_PROFILE_CTX", o->ctx, 1);
    if (bad) fprintf(stderr, "glint profile: cannot set the profiler's options\n");
    return bad ? 1 : 0;
}

static bool usable(double v) {
    return isfinite(v) && v >= 0;
}

static double stage_cost(const gl_plan_costs *c, int b, int stage, int n_layer) {
    if (stage == 0) return c->embed[b];
    if (stage > n_layer) return c->head[b];
    return c->layer[b][stage - 1];
}

/* One table cell: ms with 4 decimals, "-" where the backend cannot run the stage, '*' where
 * the plan runs it. */
static void cell(double v, bool mark, int w) {
    char buf[48];
    if (usable(v))
        snprintf(buf, sizeof buf, "%.4f%s", v, mark ? "*" : "");
    else
        snprintf(buf, sizeof buf, "-%s", mark ? "*" : "");
    printf(" %*s |", w, buf);
}

/* The per-stage table: a row per stage and a total, per backend a prefill column and a decode
 * column per context length. */
static void print_stages(const gl_profile *p, const gl_plan plan[GL_PLAN_PHASE_COUNT]) {
    const int nb = p->n_backend, nl = p->n_layer, nc = p->n_ctx > 0 ? p->n_ctx : 0;
    const int n_dec = nc > 0 ? nc : 1;
    /* headers "cpu pp128", "vulkan tg@2048"; every column as wide as the widest */
    char head[GL_PLAN_MAX_BACKENDS][1 + GL_PROFILE_MAX_CTX][48];
    int w = 10;
    for (int b = 0; b < nb; b++) {
        snprintf(head[b][0], sizeof head[b][0], "%s pp%d", p->names[b], p->n_prefill);
        for (int c = 0; c < n_dec; c++) {
            if (nc > 0)
                snprintf(head[b][1 + c], sizeof head[b][1 + c], "%s tg@%d", p->names[b],
                         (int)p->ctx[c]);
            else
                snprintf(head[b][1 + c], sizeof head[b][1 + c], "%s tg", p->names[b]);
        }
        for (int c = 0; c <= n_dec; c++)
            if ((int)strlen(head[b][c]) > w) w = (int)strlen(head[b][c]);
    }
    printf("## ms per stage (* = the stage runs there in the chosen plan)\n\n| %-8s |", "stage");
    for (int b = 0; b < nb; b++)
        for (int c = 0; c <= n_dec; c++) printf(" %*s |", w, head[b][c]);
    printf("\n|----------|");
    for (int i = 0; i < nb * (1 + n_dec); i++)
        printf("%.*s:|", w + 1, "--------------------------------");
    printf("\n");
    double total[GL_PLAN_MAX_BACKENDS][1 + GL_PROFILE_MAX_CTX] = {{0}};
    for (int s = 0; s <= nl + 1; s++) {
        char name[24];
        if (s == 0)
            snprintf(name, sizeof name, "embed");
        else if (s > nl)
            snprintf(name, sizeof name, "head");
        else
            snprintf(name, sizeof name, "layer %d", s - 1);
        printf("| %-8s |", name);
        for (int b = 0; b < nb; b++) {
            double v = stage_cost(&p->costs[GL_PLAN_PHASE_PREFILL], b, s, nl);
            total[b][0] += v;
            cell(v, gl_plan_stage_backend(&plan[GL_PLAN_PHASE_PREFILL], s) == b, w);
            for (int c = 0; c < n_dec; c++) {
                v = nc > 0 ? p->decode_stage[c][b][s]
                           : stage_cost(&p->costs[GL_PLAN_PHASE_DECODE], b, s, nl);
                total[b][1 + c] += v;
                cell(v, gl_plan_stage_backend(&plan[GL_PLAN_PHASE_DECODE], s) == b, w);
            }
        }
        printf("\n");
    }
    printf("| %-8s |", "total");
    for (int b = 0; b < nb; b++)
        for (int c = 0; c <= n_dec; c++) cell(total[b][c], false, w);
    printf("\n\n");
}

/* Whether the plan runs every stage on backend b. */
static bool uniform_on(const gl_plan *p, int b) {
    for (int s = 0; s <= p->n_layer + 1; s++)
        if (gl_plan_stage_backend(p, s) != b) return false;
    return true;
}

static void fmt_ms(double v, char *buf, size_t cap) {
    if (usable(v))
        snprintf(buf, cap, "%.4f", v);
    else
        snprintf(buf, cap, "-");
}

int cmd_profile(int argc, char **argv) {
    profile_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    char synth_path[1024];
    const char *path = o.model;
    if (o.synthetic) {
        if ((rc = cli_synthetic_model(o.synthetic, synth_path, sizeof synth_path))) return rc;
        path = synth_path;
    }
    if ((rc = export_opts(&o))) return rc;

    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = (int)o.n_threads;
    if (o.verbose) rp.log_level = GLINT_LOG_LEVEL_INFO;
    glint_runtime *rt = NULL;
    glint_status st = glint_runtime_create(&rp, &rt);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint profile: cannot start: %s\n", glint_status_string(st));
        return 1;
    }
    /* AUTO + reprofile: the load profiles every backend present, whatever the plan cache
     * holds, and keeps the measurements in m->profile. */
    cli_progress bar;
    cli_progress_init(&bar);
    glint_model_params mp = glint_model_default_params();
    mp.backend = GLINT_BACKEND_AUTO;
    mp.reprofile = true;
    mp.progress = cli_progress_fn;
    mp.progress_user = &bar;
    glint_model *m = NULL;
    gl_plan_record *rec = NULL;
    rc = 1;
    st = glint_model_load(rt, path, &mp, &m);
    cli_progress_end(&bar);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint profile: cannot load %s: %s (%s)\n", path,
                glint_runtime_last_error(rt), glint_status_string(st));
        goto done;
    }
    const gl_profile *p = m->profile;
    if (!p || p->n_backend < 1 || p->n_backend > GL_PLAN_MAX_BACKENDS || p->n_layer < 1 ||
        p->n_layer > GL_PLAN_MAX_LAYERS) {
        fprintf(stderr, "glint profile: the load of %s made no profile\n", path);
        goto done;
    }
    const int nb = p->n_backend, nl = p->n_layer;
    const char *names[GL_PLAN_MAX_BACKENDS] = {0};
    for (int b = 0; b < nb; b++) names[b] = p->names[b];

    /* Measure the plans as the profiler measured its tables: same prefill and contexts. */
    gl_profile_opts po = gl_profile_default_opts();
    po.n_prefill = p->n_prefill;
    po.n_ctx = p->n_ctx;
    memcpy(po.ctx, p->ctx, sizeof po.ctx);
    po.progress = cli_progress_fn;
    po.progress_user = &bar;
    cli_progress_init(&bar);
    double measured[GL_PLAN_PHASE_COUNT] = {NAN, NAN};
    gl_err err = {{0}};
    const glint_status mst = gl_profile_measure(m, &po, measured, &err);
    cli_progress_end(&bar);
    if (mst != GLINT_OK) {
        fprintf(stderr, "glint profile: cannot measure the plans: %s (%s)\n", err.msg,
                glint_status_string(mst));
        measured[0] = measured[1] = NAN;
    }

    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char model_name[128];
    snprintf(model_name, sizeof model_name, "%.*s", (int)sizeof model_name - 1, base);
    char *dot = strstr(model_name, ".gguf");
    if (dot && dot[5] == 0) *dot = 0;

    printf("# glint profile: %s\n\n%d layers; backends:", model_name, nl);
    for (int b = 0; b < nb; b++) printf("%s %s", b ? "," : "", names[b]);
    printf("; prefill of %d tokens; decode at context", p->n_prefill);
    for (int c = 0; c < p->n_ctx && c < GL_PROFILE_MAX_CTX; c++)
        printf("%s %d", c ? "," : "", (int)p->ctx[c]);
    printf("; %d run%s per measurement (median)\n\n", po.reps, po.reps == 1 ? "" : "s");
    print_stages(p, m->plan);

    static const char *const phase_name[GL_PLAN_PHASE_COUNT] = {"prefill", "decode"};
    printf("## plans (prefill: ms per pass; decode: ms per token, mean over the contexts)\n\n"
           "| phase   | plan | predicted ms | measured ms | error |\n"
           "|---------|------|-------------:|------------:|------:|\n");
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        char desc[1024], pr[32], me[32], e[32];
        gl_plan_describe(&m->plan[ph], names, desc, sizeof desc);
        const double pred = m->plan[ph].cost;
        fmt_ms(pred, pr, sizeof pr);
        fmt_ms(measured[ph], me, sizeof me);
        if (usable(pred) && usable(measured[ph]) && measured[ph] > 0)
            snprintf(e, sizeof e, "%+.1f%%", (pred - measured[ph]) / measured[ph] * 100.0);
        else
            snprintf(e, sizeof e, "-");
        printf("| %-7s | %s | %12s | %11s | %5s |\n", phase_name[ph], desc, pr, me, e);
    }
    printf("\n");

    /* The planner's move costs are the same at every boundary: boundary 1 stands for all. */
    if (nb > 1) {
        printf("## moves (ms per hand-over of the activations between backends)\n\n| phase   |");
        for (int a = 0; a < nb; a++)
            for (int b = 0; b < nb; b++)
                if (a != b) printf(" %s->%s |", names[a], names[b]);
        printf("\n|---------|");
        for (int i = 0; i < nb * (nb - 1); i++) printf("---:|");
        printf("\n");
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
            printf("| %-7s |", phase_name[ph]);
            for (int a = 0; a < nb; a++)
                for (int b = 0; b < nb; b++) {
                    if (a == b) continue;
                    char v[32];
                    fmt_ms(p->costs[ph].move[1][a][b], v, sizeof v);
                    printf(" %s |", v);
                }
            printf("\n");
        }
        printf("\n");
    }

    printf("## the plan against the best single backend (whole passes, measured)\n\n"
           "| phase   |");
    for (int b = 0; b < nb; b++) printf(" %s ms |", names[b]);
    printf(" best | plan ms | speedup |\n|---------|");
    for (int b = 0; b < nb; b++) printf("---:|");
    printf("------|--------:|--------:|\n");
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        int best = -1;
        printf("| %-7s |", phase_name[ph]);
        for (int b = 0; b < nb; b++) {
            char v[32];
            const double w = p->whole[ph][b];
            fmt_ms(w, v, sizeof v);
            printf(" %s |", v);
            if (usable(w) && w > 0 && (best < 0 || w < p->whole[ph][best])) best = b;
        }
        /* measured when we could, else the prediction (said so) */
        const bool have_meas = usable(measured[ph]) && measured[ph] > 0;
        const double plan_ms = have_meas ? measured[ph] : m->plan[ph].cost;
        char pm[48], sp[32];
        fmt_ms(plan_ms, pm, sizeof pm);
        if (!have_meas && usable(plan_ms)) strcat(pm, " (predicted)");
        if (best >= 0 && uniform_on(&m->plan[ph], best))
            snprintf(sp, sizeof sp, "1.00x (same placement)"); /* a ratio would be noise */
        else if (best >= 0 && usable(plan_ms) && plan_ms > 0)
            snprintf(sp, sizeof sp, "%.2fx", p->whole[ph][best] / plan_ms);
        else
            snprintf(sp, sizeof sp, "-");
        printf(" %s | %s | %s |\n", best >= 0 ? names[best] : "-", pm, sp);
    }
    fflush(stdout);
    rc = mst == GLINT_OK ? 0 : 1;

    if (o.svg) {
        FILE *f = fopen(o.svg, "w");
        if (!f || cli_profile_svg(p, model_name, f) != 0) {
            fprintf(stderr, "glint profile: cannot write %s\n", o.svg);
            rc = 1;
        }
        if (f && fclose(f) != 0 && rc == 0) {
            fprintf(stderr, "glint profile: cannot write %s\n", o.svg);
            rc = 1;
        }
        if (rc == 0) fprintf(stderr, "glint profile: chart written to %s\n", o.svg);
    }
    if (o.save_plan) {
        rec = calloc(1, sizeof *rec); /* ~80 KiB */
        if (!rec) {
            fprintf(stderr, "glint profile: out of memory\n");
            rc = 1;
            goto done;
        }
        gl_model_plan_key(m, &rec->key);
        memcpy(rec->plan, m->plan, sizeof rec->plan);
        rec->has_costs = true;
        memcpy(rec->costs, p->costs, sizeof rec->costs);
        err.msg[0] = 0;
        st = gl_plan_file_write(o.save_plan, rec, &err);
        if (st != GLINT_OK) {
            fprintf(stderr, "glint profile: cannot write the plan to %s: %s\n", o.save_plan,
                    err.msg);
            rc = 1;
        } else {
            fprintf(stderr, "glint profile: plan written to %s (glint run --plan %s)\n",
                    o.save_plan, o.save_plan);
        }
    }
done:
    free(rec);
    glint_model_free(m);
    glint_runtime_free(rt);
    return rc;
}
