/* glint bench: llama-bench-style speed table. One row per configuration (a backend, the auto
 * plan, or --gpu-layers N); each row measures prefill (pp N: one batch of N tokens into an empty
 * context) and decode (tg N: N single-token steps after BOS), as mean and sample standard
 * deviation of tokens/s over R repetitions after one uncounted warm-up. Progress goes to
 * stderr, the table (md, csv or json) to stdout. */
#include "cli.h"
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_CONFIGS 16

typedef struct bench_opts {
    const char *model, *synthetic, *backends, *output, *gpu_layers;
    long n_prompt, n_gen, reps, n_threads;
    bool verbose, backends_given;
} bench_opts;

/* One row of the table: how the model is placed. */
typedef enum bench_kind {
    BENCH_BACKEND,    /* every layer on one named backend */
    BENCH_AUTO,       /* the plan --backend auto makes (cached, or profiled at load) */
    BENCH_GPU_LAYERS, /* the first N layers on the GPU, the rest on the CPU */
} bench_kind;

typedef struct bench_config {
    bench_kind kind;
    glint_backend_kind backend;
    int gpu_layers; /* -1: the plan decides */
    char name[32];  /* "cpu", "auto", "gpu-layers 3": the json/csv "config" field */
} bench_config;

typedef struct bench_result {
    char model[128], config[32];
    char plain[32];   /* where the layers ran (info.backend): "cpu", "vulkan+cpu" */
    char backend[64]; /* the md label: "cpu", or for plans "auto (vulkan+cpu)" */
    uint64_t size, params;
    int n_threads;
    double pp_mean, pp_sd, tg_mean, tg_sd;
} bench_result;

static void bench_usage(FILE *f) {
    fprintf(f,
            "usage: glint bench (-m MODEL | --synthetic SHAPE:TYPE) [options]\n"
            "  -p, --n-prompt N       prefill test: one batch of N tokens (default 128; 0 = skip)\n"
            "  -n, --n-gen N          decode test: N single-token steps after BOS (default 32; 0 = "
            "skip)\n"
            "  -r, --repetitions R    measured runs per test, after one warm-up (default 5)\n"
            "  -t, --threads N        CPU threads (default: all cores)\n"
            "  -o, --output FMT       md | csv | json (default md), or several comma-separated,\n"
            "                         printed one after another from the same runs\n"
            "  --backends LIST        comma-separated backends to try (default cpu,vulkan,opencl,\n"
            "                         then an auto row: the plan --backend auto makes); 'auto' in\n"
            "                         the list places that row; one that is not available here\n"
            "                         is skipped with a note\n"
            "  --gpu-layers LIST      also a row per N in the comma-separated list: the first N\n"
            "                         layers on the GPU, the rest on the CPU\n"
            "  -v, --verbose          log loading and device details\n");
}

static int parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){
        .n_prompt = 128, .n_gen = 32, .reps = 5, .backends = "cpu,vulkan,opencl", .output = "md"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
#define OPT(s1, s2) (strcmp(a, s1) == 0 || (s2 && strcmp(a, s2 ? s2 : "") == 0))
#define VAL()                                                                                      \
    if (!(v = cli_value(argc, argv, &i))) return 2
        /* clang-format off */
        if (OPT("-m", "--model")) { VAL(); o->model = v; }
        else if (OPT("--synthetic", NULL)) { VAL(); o->synthetic = v; }
        else if (OPT("-p", "--n-prompt")) { VAL(); if (!cli_int(v, 0, 1 << 16, &o->n_prompt)) return 2; }
        else if (OPT("-n", "--n-gen")) { VAL(); if (!cli_int(v, 0, 1 << 16, &o->n_gen)) return 2; }
        else if (OPT("-r", "--repetitions")) { VAL(); if (!cli_int(v, 1, 1000, &o->reps)) return 2; }
        else if (OPT("-t", "--threads")) { VAL(); if (!cli_int(v, 1, 1024, &o->n_threads)) return 2; }
        else if (OPT("-o", "--output")) { VAL(); o->output = v; }
        else if (OPT("--backends", NULL)) { VAL(); o->backends = v; o->backends_given = true; }
        else if (OPT("--gpu-layers", NULL)) { VAL(); o->gpu_layers = v; }
        else if (OPT("-v", "--verbose")) o->verbose = true;
        else if (OPT("-h", "--help")) { bench_usage(stdout); return -1; }
        else { fprintf(stderr, "glint bench: unknown option '%s'\n", a); bench_usage(stderr); return 2; }
        /* clang-format on */
#undef OPT
#undef VAL
    }
    for (const char *f = o->output;; f++) {
        const size_t len = strcspn(f, ",");
        if (!(len == 2 && strncmp(f, "md", 2) == 0) && !(len == 3 && strncmp(f, "csv", 3) == 0) &&
            !(len == 4 && strncmp(f, "json", 4) == 0)) {
            fprintf(stderr, "glint bench: -o takes md, csv or json (comma-separated), not '%s'\n",
                    o->output);
            return 2;
        }
        f += len;
        if (!*f) break;
    }
    if (!o->model == !o->synthetic) {
        fprintf(stderr, "glint bench: give one of -m MODEL or --synthetic SHAPE:TYPE\n");
        return 2;
    }
    if (o->n_prompt == 0 && o->n_gen == 0) {
        fprintf(stderr, "glint bench: -p and -n are both 0: nothing to measure\n");
        return 2;
    }
    return 0;
}

static bool add_config(bench_config *cfg, int *n, int cap, bench_config c) {
    if (*n == cap) {
        fprintf(stderr, "glint bench: at most %d configurations\n", cap);
        return false;
    }
    cfg[(*n)++] = c;
    return true;
}

/* The configurations to measure, in table order: the --backends list (an "auto" in it is the
 * auto plan; without --backends the auto row comes after the default cpu,vulkan,opencl), then one
 * row per --gpu-layers N. */
static int make_configs(const bench_opts *o, bench_config *cfg, int cap) {
    int n = 0;
    bool have_auto = false;
    const char *p = o->backends;
    while (*p) {
        const char *end = strchr(p, ',');
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[32];
        if (len == 0 || len >= sizeof name) {
            fprintf(stderr, "glint bench: bad --backends '%s'\n", o->backends);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = 0;
        glint_backend_kind k;
        if (!cli_backend(name, &k)) return -1;
        bench_config c = {.kind = k == GLINT_BACKEND_AUTO ? BENCH_AUTO : BENCH_BACKEND,
                          .backend = k,
                          .gpu_layers = -1};
        snprintf(c.name, sizeof c.name, "%s", name);
        have_auto |= c.kind == BENCH_AUTO;
        if (!add_config(cfg, &n, cap, c)) return -1;
        p += len + (end ? 1 : 0);
    }
    if (n == 0) {
        fprintf(stderr, "glint bench: --backends names no backend\n");
        return -1;
    }
    if (!o->backends_given && !have_auto) {
        bench_config c = {.kind = BENCH_AUTO, .backend = GLINT_BACKEND_AUTO, .gpu_layers = -1};
        snprintf(c.name, sizeof c.name, "auto");
        if (!add_config(cfg, &n, cap, c)) return -1;
    }
    for (const char *q = o->gpu_layers; q && *q;) {
        char *end;
        const long v = strtol(q, &end, 10);
        if (end == q || v < 0 || v > GL_PLAN_MAX_LAYERS || (*end && *end != ',') ||
            (*end && !end[1])) {
            fprintf(stderr,
                    "glint bench: --gpu-layers wants layer counts 0..%d, comma-separated, not "
                    "'%s'\n",
                    GL_PLAN_MAX_LAYERS, o->gpu_layers);
            return -1;
        }
        /* AUTO with a layer count: the GPU the runtime would pick, whichever API it has */
        bench_config c = {
            .kind = BENCH_GPU_LAYERS, .backend = GLINT_BACKEND_AUTO, .gpu_layers = (int)v};
        snprintf(c.name, sizeof c.name, "gpu-layers %ld", v);
        if (!add_config(cfg, &n, cap, c)) return -1;
        q = *end ? end + 1 : end;
    }
    return n;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void mean_sd(const double *x, long n, double *mean, double *sd) {
    double s = 0, s2 = 0;
    for (long i = 0; i < n; i++) s += x[i];
    *mean = s / (double)n;
    for (long i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(s2 / (double)(n - 1)) : 0.0;
}

/* One pp run: tokens/s of one batch of n_prompt tokens from an empty context. */
static glint_status run_pp(glint_session *s, const int32_t *toks, long n, double *tps) {
    glint_status st = glint_session_rewind(s, 0);
    if (st != GLINT_OK) return st;
    const double t0 = now_s();
    if ((st = glint_session_decode(s, toks, (size_t)n)) != GLINT_OK) return st;
    *tps = (double)n / (now_s() - t0);
    return GLINT_OK;
}

/* One tg run: tokens/s of n single-token steps after BOS (the BOS step is not timed). */
static glint_status run_tg(glint_session *s, const int32_t *toks, long n, double *tps) {
    glint_status st = glint_session_rewind(s, 0);
    if (st == GLINT_OK) st = glint_session_decode(s, toks, 1);
    if (st != GLINT_OK) return st;
    const double t0 = now_s();
    for (long i = 1; i <= n; i++)
        if ((st = glint_session_decode(s, toks + i, 1)) != GLINT_OK) return st;
    *tps = (double)n / (now_s() - t0);
    return GLINT_OK;
}

/* Measures one configuration. Returns 0, 1 on failure, or -1 when the backend is not
 * available here (the row is skipped). */
static int bench_one(glint_runtime *rt, const char *path, const bench_opts *o,
                     const bench_config *cfg, bench_result *r) {
    glint_model_params mp = glint_model_default_params();
    mp.backend = cfg->backend;
    mp.gpu_layers = cfg->gpu_layers;
    /* the auto row may profile the model at load (seconds): show it */
    cli_progress bar;
    cli_progress_init(&bar);
    if (cfg->kind == BENCH_AUTO) {
        mp.progress = cli_progress_fn;
        mp.progress_user = &bar;
    }
    glint_model *m = NULL;
    glint_session *s = NULL;
    int32_t *toks = NULL;
    double *pp = NULL, *tg = NULL;
    const char *want = cfg->name;
    const glint_status lst = glint_model_load(rt, path, &mp, &m);
    cli_progress_end(&bar);
    if (lst != GLINT_OK) {
        fprintf(stderr, "glint bench: %s: cannot load %s: %s\n", want, path,
                glint_runtime_last_error(rt));
        return cfg->backend == GLINT_BACKEND_CPU || cfg->kind == BENCH_AUTO ? 1 : -1;
    }
    glint_model_info info;
    glint_model_get_info(m, &info);
    int rc = 1;
    const bool on_cpu = strcmp(info.backend, "cpu") == 0;
    if (cfg->kind == BENCH_BACKEND && strcmp(info.backend, want) != 0) {
        /* A backend without a device falls back to the CPU: that is not a row of its own. */
        fprintf(stderr, "glint bench: %s is not available here (the model ran on %s); skipped\n",
                want, info.backend);
        rc = -1;
        goto done;
    }
    if (cfg->kind == BENCH_AUTO && on_cpu && m->n_backend < 2) {
        fprintf(stderr, "glint bench: auto: no GPU backend here, so auto is the cpu row; "
                        "skipped\n");
        rc = -1;
        goto done;
    }
    if (cfg->kind == BENCH_GPU_LAYERS && on_cpu && cfg->gpu_layers > 0) {
        fprintf(stderr,
                "glint bench: %s: no GPU backend here (the model ran on the cpu); "
                "skipped\n",
                want);
        rc = -1;
        goto done;
    }
    if (cfg->kind != BENCH_BACKEND) {
        fprintf(stderr, "glint bench: %s: %s\n", want, info.plan ? info.plan : info.backend);
        if (cfg->kind == BENCH_AUTO && on_cpu)
            fprintf(stderr, "glint bench: auto: the plan puts every stage on the cpu (the GPU "
                            "was slower here): this row measures the cpu row's placement\n");
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const size_t blen = strlen(base) < sizeof r->model ? strlen(base) : sizeof r->model - 1;
    memcpy(r->model, base, blen);
    r->model[blen] = 0;
    char *dot = strstr(r->model, ".gguf");
    if (dot && dot[5] == 0) *dot = 0;
    snprintf(r->config, sizeof r->config, "%s", cfg->name);
    snprintf(r->plain, sizeof r->plain, "%s", info.backend);
    if (cfg->kind == BENCH_BACKEND)
        snprintf(r->backend, sizeof r->backend, "%s", info.backend);
    else
        snprintf(r->backend, sizeof r->backend, "%.20s (%.30s)", cfg->name, info.backend);
    r->size = info.weight_bytes;
    r->params = info.n_params;
    r->n_threads = (int)o->n_threads;

    glint_session_params sp = glint_session_default_params();
    const long need = o->n_prompt > o->n_gen + 1 ? o->n_prompt : o->n_gen + 1;
    sp.n_ctx = (int32_t)need;
    sp.n_batch = (int32_t)(o->n_prompt > 0 ? o->n_prompt : 1);
    if (glint_session_create(m, &sp, &s) != GLINT_OK) {
        fprintf(stderr, "glint bench: %s: %s\n", want, glint_model_last_error(m));
        goto done;
    }
    /* Fixed pseudo-random tokens (BOS first), the same for every row. */
    toks = malloc((size_t)need * sizeof *toks);
    pp = calloc((size_t)o->reps, sizeof *pp);
    tg = calloc((size_t)o->reps, sizeof *tg);
    if (!toks || !pp || !tg) {
        fprintf(stderr, "glint bench: out of memory\n");
        goto done;
    }
    uint32_t x = 2463534242u;
    for (long i = 0; i < need; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        toks[i] = (int32_t)(x % (uint32_t)info.n_vocab);
    }
    if (glint_model_token_bos(m) >= 0) toks[0] = glint_model_token_bos(m);

    glint_status st = GLINT_OK;
    double warm;
    for (long rep = -1; rep < o->reps && st == GLINT_OK; rep++) {
        fprintf(stderr, "glint bench: %s: %s %ld/%ld\n", want, rep < 0 ? "warm-up" : "run",
                rep < 0 ? 0 : rep + 1, o->reps);
        if (o->n_prompt > 0) st = run_pp(s, toks, o->n_prompt, rep < 0 ? &warm : &pp[rep]);
        if (o->n_gen > 0 && st == GLINT_OK)
            st = run_tg(s, toks, o->n_gen, rep < 0 ? &warm : &tg[rep]);
    }
    if (st != GLINT_OK) {
        fprintf(stderr, "glint bench: %s: %s\n", want, glint_session_last_error(s));
        goto done;
    }
    r->pp_mean = r->pp_sd = r->tg_mean = r->tg_sd = NAN;
    if (o->n_prompt > 0) mean_sd(pp, o->reps, &r->pp_mean, &r->pp_sd);
    if (o->n_gen > 0) mean_sd(tg, o->reps, &r->tg_mean, &r->tg_sd);
    rc = 0;
done:
    free(tg);
    free(pp);
    free(toks);
    glint_session_free(s);
    glint_model_free(m);
    return rc;
}

static void fmt_size(uint64_t b, char *buf, size_t cap) {
    if (b >= (1ull << 30))
        snprintf(buf, cap, "%.2f GiB", (double)b / (double)(1ull << 30));
    else
        snprintf(buf, cap, "%.2f MiB", (double)b / (double)(1ull << 20));
}

static void fmt_params(uint64_t n, char *buf, size_t cap) {
    if (n >= 1000000000ull)
        snprintf(buf, cap, "%.2f B", (double)n / 1e9);
    else
        snprintf(buf, cap, "%.2f M", (double)n / 1e6);
}

static void fmt_tps(double mean, double sd, char *buf, size_t cap) {
    if (isnan(mean))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.2f ± %.2f", mean, sd);
}

static void print_md(const bench_opts *o, const bench_result *r, int n) {
    char pp_h[32], tg_h[32];
    snprintf(pp_h, sizeof pp_h, "pp %ld t/s", o->n_prompt);
    snprintf(tg_h, sizeof tg_h, "tg %ld t/s", o->n_gen);
    int bw = 8; /* the backend column fits its longest label */
    for (int i = 0; i < n; i++)
        if ((int)strlen(r[i].backend) > bw) bw = (int)strlen(r[i].backend);
    printf("| %-32s | %-*s | %10s | %9s | %7s | %20s | %20s |\n", "model", bw, "backend", "size",
           "params", "threads", pp_h, tg_h);
    printf("| %.32s | %.*s | %.9s: | %.8s: | %.6s: | %.19s: | %.19s: |\n",
           "------------------------------------", bw,
           "----------------------------------------------------------------", "-----------",
           "----------", "--------", "----------------------", "----------------------");
    for (int i = 0; i < n; i++) {
        char sz[32], pa[32], pp[64], tg[64], th[16];
        fmt_size(r[i].size, sz, sizeof sz);
        fmt_params(r[i].params, pa, sizeof pa);
        fmt_tps(r[i].pp_mean, r[i].pp_sd, pp, sizeof pp);
        fmt_tps(r[i].tg_mean, r[i].tg_sd, tg, sizeof tg);
        if (r[i].n_threads > 0)
            snprintf(th, sizeof th, "%d", r[i].n_threads);
        else
            snprintf(th, sizeof th, "auto");
        /* "±" is two bytes but one column: pad by hand */
        printf("| %-32s | %-*s | %10s | %9s | %7s | %21s | %21s |\n", r[i].model, bw, r[i].backend,
               sz, pa, th, pp, tg);
    }
}

/* A number for csv/json: NaN (test skipped) becomes an empty field / null. */
static void num(double v, bool json) {
    if (isnan(v))
        printf("%s", json ? "null" : "");
    else
        printf("%.4f", v);
}

static void print_csv(const bench_opts *o, const bench_result *r, int n) {
    printf("model,config,backend,size_bytes,params,n_threads,n_prompt,n_gen,reps,"
           "pp_tps_mean,pp_tps_sd,tg_tps_mean,tg_tps_sd\n");
    for (int i = 0; i < n; i++) {
        printf("%s,%s,%s,%llu,%llu,%d,%ld,%ld,%ld,", r[i].model, r[i].config, r[i].plain,
               (unsigned long long)r[i].size, (unsigned long long)r[i].params, r[i].n_threads,
               o->n_prompt, o->n_gen, o->reps);
        num(r[i].pp_mean, false), printf(","), num(r[i].pp_sd, false), printf(",");
        num(r[i].tg_mean, false), printf(","), num(r[i].tg_sd, false), printf("\n");
    }
}

static void print_json(const bench_opts *o, const bench_result *r, int n) {
    printf("[");
    for (int i = 0; i < n; i++) {
        /* model names come from file names: escape what JSON needs */
        printf("%s\n  {\"model\": \"", i ? "," : "");
        for (const char *c = r[i].model; *c; c++) {
            if (*c == '"' || *c == '\\')
                printf("\\%c", *c);
            else if ((unsigned char)*c < 0x20)
                printf("\\u%04x", *c);
            else
                putchar(*c);
        }
        printf("\", \"config\": \"%s\", \"backend\": \"%s\", \"size_bytes\": %llu, "
               "\"params\": %llu, \"n_threads\": %d, \"n_prompt\": %ld, \"n_gen\": %ld, "
               "\"reps\": %ld, ",
               r[i].config, r[i].plain, (unsigned long long)r[i].size,
               (unsigned long long)r[i].params, r[i].n_threads, o->n_prompt, o->n_gen, o->reps);
        printf("\"pp_tps_mean\": "), num(r[i].pp_mean, true);
        printf(", \"pp_tps_sd\": "), num(r[i].pp_sd, true);
        printf(", \"tg_tps_mean\": "), num(r[i].tg_mean, true);
        printf(", \"tg_tps_sd\": "), num(r[i].tg_sd, true);
        printf("}");
    }
    printf("%s]\n", n ? "\n" : "");
}

int cmd_bench(int argc, char **argv) {
    bench_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    bench_config cfg[BENCH_MAX_CONFIGS];
    const int n_cfg = make_configs(&o, cfg, BENCH_MAX_CONFIGS);
    if (n_cfg < 0) return 2;
    char synth_path[1024];
    const char *path = o.model;
    if (o.synthetic) {
        if ((rc = cli_synthetic_model(o.synthetic, synth_path, sizeof synth_path))) return rc;
        path = synth_path;
    }
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = (int)o.n_threads;
    if (o.verbose) rp.log_level = GLINT_LOG_LEVEL_INFO;
    glint_runtime *rt;
    glint_status st = glint_runtime_create(&rp, &rt);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint bench: cannot start: %s\n", glint_status_string(st));
        return 1;
    }
    /* The thread count the runtime chose, for the table ("cpu: N threads, ..."). */
    if (o.n_threads == 0) {
        /* only the first line is read: a cut-off rest (BUFFER_TOO_SMALL) does not matter */
        char desc[1024];
        size_t n;
        int nt = 0;
        const glint_status ds = glint_runtime_describe(rt, desc, sizeof desc, &n);
        if ((ds == GLINT_OK || ds == GLINT_ERROR_BUFFER_TOO_SMALL) &&
            sscanf(desc, "cpu: %d threads", &nt) == 1 && nt > 0)
            o.n_threads = nt;
    }
    bench_result res[BENCH_MAX_CONFIGS];
    int n_res = 0;
    rc = 0;
    for (int i = 0; i < n_cfg && rc == 0; i++) {
        memset(&res[n_res], 0, sizeof res[n_res]);
        const int r = bench_one(rt, path, &o, &cfg[i], &res[n_res]);
        if (r == 0) n_res++;
        if (r > 0) rc = 1;
    }
    if (rc == 0 && n_res == 0) {
        fprintf(stderr, "glint bench: no configuration could run\n");
        rc = 1;
    }
    /* every format asked for, in order, from the same results */
    for (const char *f = o.output; rc == 0 && *f;) {
        const size_t len = strcspn(f, ",");
        if (strncmp(f, "csv", len) == 0)
            print_csv(&o, res, n_res);
        else if (strncmp(f, "json", len) == 0)
            print_json(&o, res, n_res);
        else
            print_md(&o, res, n_res);
        f += len + (f[len] == ',');
    }
    glint_runtime_free(rt);
    return rc;
}
