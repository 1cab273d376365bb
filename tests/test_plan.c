/* Planner and plan cache: the DP plan against brute force over every backend sequence on
 * random cost tables, the static and --gpu-layers plans, and the JSON cache (round trip, key
 * mismatches, corrupt files). */
#include "plan.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- brute force ------------------------------------------------------------------------- */

/* Stage s: 0 embedding, 1..L layer s-1, L+1 head; the same objective as plan.h states,
 * written again here from the table so the test does not trust the library's evaluator. */
static double ref_stage(const gl_plan_costs *c, int s, int b) {
    return s == 0 ? c->embed[b] : s <= c->n_layer ? c->layer[b][s - 1] : c->head[b];
}

typedef struct brute {
    const gl_plan_costs *c;
    int seq[GL_PLAN_MAX_LAYERS + 2];
    int best_seq[GL_PLAN_MAX_LAYERS + 2];
    double best, second; /* second: the cheapest other sequence */
    long visited;
} brute;

static void brute_rec(brute *br, int s, double sum) {
    const gl_plan_costs *c = br->c;
    const int ns = c->n_layer + 2;
    if (s == ns) {
        br->visited++;
        if (sum < br->best) {
            br->second = br->best;
            br->best = sum;
            memcpy(br->best_seq, br->seq, sizeof br->seq);
        } else if (sum < br->second) {
            br->second = sum;
        }
        return;
    }
    for (int b = 0; b < c->n_backend; b++) {
        double v = sum;
        if (s > 0 && br->seq[s - 1] != b) v += c->move[s - 1][br->seq[s - 1]][b];
        v += ref_stage(c, s, b);
        br->seq[s] = b;
        brute_rec(br, s + 1, v);
    }
}

static int plan_at(const gl_plan *p, int s) {
    return s == 0 ? p->embed : s <= p->n_layer ? p->backend[s - 1] : p->head;
}

/* The sum of the table entries a plan uses, in stage order. */
static double ref_cost(const gl_plan_costs *c, const gl_plan *p) {
    double sum = 0;
    for (int s = 0; s < c->n_layer + 2; s++) {
        const int b = plan_at(p, s);
        if (s > 0 && plan_at(p, s - 1) != b) sum += c->move[s - 1][plan_at(p, s - 1)][b];
        sum += ref_stage(c, s, b);
    }
    return sum;
}

static double rnd01(uint64_t *rng) {
    return (double)(gl_test_rand(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Random table: costs in [0, 10), about 1 in 7 entries INFINITY, moves either one matrix for
 * every boundary or varying per boundary, some zero (shared memory). The diagonal of move is
 * set huge: the objective must never read it. */
static void random_costs(gl_plan_costs *c, int nb, int nl, uint64_t *rng) {
    gl_plan_costs_init(c, nb, nl, NULL);
    const double p_inf = (gl_test_rand(rng) % 3) * 0.08; /* 0, 0.08 or 0.16 */
    for (int b = 0; b < nb; b++) {
        c->embed[b] = rnd01(rng) < p_inf ? INFINITY : rnd01(rng);
        c->head[b] = rnd01(rng) < p_inf ? INFINITY : 10 * rnd01(rng);
        for (int l = 0; l < nl; l++)
            c->layer[b][l] = rnd01(rng) < p_inf ? INFINITY : 10 * rnd01(rng);
    }
    const bool per_boundary = gl_test_rand(rng) & 1;
    for (int a = 0; a < nb; a++) {
        for (int b = 0; b < nb; b++) {
            if (a == b) {
                gl_plan_costs_set_move(c, a, b, 1e9);
                continue;
            }
            const int kind = (int)(gl_test_rand(rng) % 4);
            const double v = kind == 0 ? 0.0 : kind == 3 && p_inf > 0 ? INFINITY : 5 * rnd01(rng);
            gl_plan_costs_set_move(c, a, b, v);
            if (per_boundary)
                for (int i = 0; i <= nl; i++)
                    c->move[i][a][b] = rnd01(rng) < p_inf ? INFINITY : 5 * rnd01(rng);
        }
    }
}

static void test_against_brute_force(void) {
    uint64_t rng = 0x9a1e5eedull;
    gl_plan_costs *c = malloc(sizeof *c);
    int n_tables = 0, n_infeasible = 0, n_unique = 0, n_split = 0;
    for (int nb = 1; nb <= 4; nb++) {
        for (int nl = 1; nl <= 12; nl++) {
            double space = pow(nb, nl + 2);
            if (space > 6e6) continue; /* B = 4 stops at L = 9 */
            int trials = (int)GL_MIN(150.0, GL_MAX(3.0, 3e6 / space));
            if (nb == 1) trials = 5;
            for (int t = 0; t < trials; t++) {
                random_costs(c, nb, nl, &rng);
                brute br = {.c = c, .best = INFINITY, .second = INFINITY};
                brute_rec(&br, 0, 0.0);
                gl_plan p;
                gl_err err = {{0}};
                glint_status st = gl_plan_solve(c, &p, &err);
                n_tables++;
                if (isinf(br.best)) {
                    n_infeasible++;
                    CHECK_MSG(st == GLINT_ERROR_BACKEND_UNAVAILABLE,
                              "B=%d L=%d trial %d: no finite plan, solve returned %s", nb, nl, t,
                              glint_status_string(st));
                    continue;
                }
                CHECK_MSG(st == GLINT_OK, "B=%d L=%d trial %d: %s", nb, nl, t, err.msg);
                if (st != GLINT_OK) continue;
                CHECK_EQ_INT(p.n_layer, nl);
                CHECK_EQ_INT(p.n_backend, nb);
                const double tol = 1e-9 * (1 + br.best);
                CHECK_MSG(fabs(p.cost - br.best) <= tol,
                          "B=%d L=%d trial %d: DP cost %.17g, brute force %.17g", nb, nl, t, p.cost,
                          br.best);
                const double rc = ref_cost(c, &p);
                CHECK_MSG(rc == p.cost, "B=%d L=%d trial %d: reported %.17g, table sum %.17g", nb,
                          nl, t, p.cost, rc);
                double ev = -1;
                CHECK_STATUS(gl_plan_eval(c, &p, &ev, NULL), GLINT_OK);
                CHECK_MSG(ev == p.cost, "eval %.17g, reported %.17g", ev, p.cost);
                /* Where the optimum is unique the plan must be that very sequence. */
                if (br.second - br.best > tol) {
                    n_unique++;
                    for (int s = 0; s < nl + 2; s++)
                        CHECK_MSG(plan_at(&p, s) == br.best_seq[s],
                                  "B=%d L=%d trial %d stage %d: DP backend %d, brute force %d", nb,
                                  nl, t, s, plan_at(&p, s), br.best_seq[s]);
                }
                for (int l = 1; l < nl; l++)
                    if (p.backend[l] != p.backend[l - 1]) {
                        n_split++;
                        break;
                    }
            }
        }
    }
    printf("brute force: %d tables, %d infeasible, %d with a unique optimum, %d split plans\n",
           n_tables, n_infeasible, n_unique, n_split);
    /* The random tables must actually exercise the interesting cases. */
    CHECK(n_infeasible > 0);
    CHECK(n_unique > n_tables / 2);
    CHECK(n_split > n_tables / 10);
    free(c);
}

/* Hand-made tables with a known answer. */
static void test_known_plans(void) {
    gl_plan_costs *c = malloc(sizeof *c);
    gl_plan p;
    char text[256];

    /* CPU (0) / GPU (1) / CPU: the GPU is fast on layers 2..5 only, moves cost 1. */
    CHECK_STATUS(gl_plan_costs_init(c, 2, 8, NULL), GLINT_OK);
    for (int l = 0; l < 8; l++) {
        c->layer[0][l] = 5;
        c->layer[1][l] = l >= 2 && l <= 5 ? 1 : 9;
    }
    c->embed[0] = c->embed[1] = 0.5;
    c->head[0] = 2;
    c->head[1] = 3;
    gl_plan_costs_set_move(c, 0, 1, 1);
    gl_plan_costs_set_move(c, 1, 0, 1);
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_OK);
    gl_plan_describe(&p, NULL, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:0 0-1:0 2-5:1 6-7:0 head:0") == 0, "plan %s", text);
    /* 0.5 + 2*5 + 1 + 4*1 + 1 + 2*5 + 2 */
    CHECK_NEAR(p.cost, 28.5, 1e-12);
    static const char *const names[] = {"cpu", "vulkan"};
    gl_plan_describe(&p, names, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:cpu 0-1:cpu 2-5:vulkan 6-7:cpu head:cpu") == 0, "named: %s",
              text);

    /* Moves too dear: everything stays on the CPU. */
    gl_plan_costs_set_move(c, 0, 1, 20);
    gl_plan_costs_set_move(c, 1, 0, 20);
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_OK);
    gl_plan_describe(&p, NULL, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:0 0-7:0 head:0") == 0, "plan %s", text);
    CHECK_NEAR(p.cost, 0.5 + 40 + 2, 1e-12);

    /* The embedding only on the CPU, the head only on the GPU: a boundary cost at each end. */
    CHECK_STATUS(gl_plan_costs_init(c, 2, 3, NULL), GLINT_OK);
    c->embed[1] = INFINITY;
    c->head[0] = INFINITY;
    for (int l = 0; l < 3; l++) c->layer[0][l] = c->layer[1][l] = 1;
    gl_plan_costs_set_move(c, 0, 1, 0.25);
    gl_plan_costs_set_move(c, 1, 0, 0.5);
    c->move[2][0][1] = 0.125; /* cheaper to cross before layer 2 */
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_OK);
    gl_plan_describe(&p, NULL, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:0 0-1:0 2:1 head:1") == 0, "plan %s", text);
    CHECK_NEAR(p.cost, 3.125, 1e-12);

    /* Equal costs: ties go to the lower index. */
    CHECK_STATUS(gl_plan_costs_init(c, 3, 4, NULL), GLINT_OK);
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_OK);
    gl_plan_describe(&p, NULL, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:0 0-3:0 head:0") == 0, "plan %s", text);
    CHECK_NEAR(p.cost, 0, 0);

    /* Bad tables are refused, not planned. */
    gl_err err = {{0}};
    c->layer[1][2] = NAN;
    CHECK_STATUS(gl_plan_solve(c, &p, &err), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err.msg, "stage 3") != NULL, "message: %s", err.msg);
    c->layer[1][2] = -1;
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    c->layer[1][2] = 0;
    c->move[4][2][1] = NAN;
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    c->move[4][2][1] = 0;
    c->move[4][1][1] = NAN; /* the diagonal is never read */
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_OK);
    CHECK_STATUS(gl_plan_costs_init(c, 0, 4, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_plan_costs_init(c, 5, 4, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_plan_costs_init(c, 2, 0, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_plan_costs_init(c, 2, GL_PLAN_MAX_LAYERS + 1, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_plan_solve(NULL, &p, NULL), GLINT_ERROR_INVALID_ARGUMENT);

    /* A plan for another table shape is not evaluated. */
    CHECK_STATUS(gl_plan_costs_init(c, 2, 4, NULL), GLINT_OK);
    CHECK_STATUS(gl_plan_uniform(5, 2, 0, &p, NULL), GLINT_OK);
    double v;
    CHECK_STATUS(gl_plan_eval(c, &p, &v, NULL), GLINT_ERROR_INVALID_ARGUMENT);

    /* The largest table plans in time linear in the layers. */
    uint64_t rng = 77;
    random_costs(c, 4, GL_PLAN_MAX_LAYERS, &rng);
    for (int b = 0; b < 4; b++) c->embed[b] = c->head[b] = 1;
    for (int l = 0; l < GL_PLAN_MAX_LAYERS; l++) c->layer[0][l] = 10;
    CHECK_STATUS(gl_plan_solve(c, &p, NULL), GLINT_OK);
    CHECK(p.cost == ref_cost(c, &p));
    free(c);
}

static void test_static_plans(void) {
    gl_plan p;
    char text[256];
    static const struct {
        int n_layer, n_gpu, gpu, cpu;
        const char *want;
    } cases[] = {
        {5, 0, 1, 0, "embed:0 0-4:0 head:0"},     {5, 2, 1, 0, "embed:1 0-1:1 2-4:0 head:0"},
        {5, 4, 1, 0, "embed:1 0-3:1 4:0 head:0"}, {5, 5, 1, 0, "embed:1 0-4:1 head:1"},
        {5, 99, 1, 0, "embed:1 0-4:1 head:1"},    {5, -3, 1, 0, "embed:0 0-4:0 head:0"},
        {1, 1, 0, 2, "embed:0 0:0 head:0"},       {3, 1, 2, 0, "embed:2 0:2 1-2:0 head:0"},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        CHECK_STATUS(gl_plan_from_gpu_layers(cases[i].n_layer, 3, cases[i].n_gpu, cases[i].gpu,
                                             cases[i].cpu, &p, NULL),
                     GLINT_OK);
        gl_plan_describe(&p, NULL, text, sizeof text);
        CHECK_MSG(strcmp(text, cases[i].want) == 0, "gpu_layers(L=%d, N=%d): %s, want %s",
                  cases[i].n_layer, cases[i].n_gpu, text, cases[i].want);
        int on_gpu = 0;
        for (int l = 0; l < p.n_layer; l++) on_gpu += p.backend[l] == cases[i].gpu;
        CHECK_EQ_INT(on_gpu, GL_MAX(0, GL_MIN(cases[i].n_gpu, cases[i].n_layer)));
    }
    CHECK_STATUS(gl_plan_from_gpu_layers(5, 2, 2, 2, 0, &p, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_plan_from_gpu_layers(5, 2, 2, 1, -1, &p, NULL), GLINT_ERROR_INVALID_ARGUMENT);

    CHECK_STATUS(gl_plan_static(6, 2, 1, 0, &p, NULL), GLINT_OK);
    gl_plan_describe(&p, NULL, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:1 0-5:1 head:1") == 0, "static with a GPU: %s", text);
    CHECK_STATUS(gl_plan_static(6, 1, -1, 0, &p, NULL), GLINT_OK);
    gl_plan_describe(&p, NULL, text, sizeof text);
    CHECK_MSG(strcmp(text, "embed:0 0-5:0 head:0") == 0, "static without a GPU: %s", text);
    CHECK_STATUS(gl_plan_static(6, 1, -1, 1, &p, NULL), GLINT_ERROR_INVALID_ARGUMENT);

    /* A short buffer still gets a terminated prefix. */
    CHECK_STATUS(gl_plan_from_gpu_layers(5, 2, 2, 1, 0, &p, NULL), GLINT_OK);
    char small[12];
    gl_plan_describe(&p, NULL, small, sizeof small);
    CHECK_MSG(strlen(small) < sizeof small && strncmp(small, "embed:1", 7) == 0, "short: %s",
              small);
}

/* ---- cache ------------------------------------------------------------------------------- */

static int g_warn, g_info;
static void count_log(glint_log_level level, const char *msg, void *user) {
    (void)user;
    (void)msg;
    if (level == GLINT_LOG_LEVEL_WARN) g_warn++;
    if (level == GLINT_LOG_LEVEL_INFO) g_info++;
}

static void make_record(gl_plan_record *r, int nb, int nl, uint64_t *rng) {
    memset(r, 0, sizeof *r);
    r->key.model_size = 123456789012ull;
    r->key.model_hash = 0xfedcba9876543210ull;
    r->key.n_backend = nb;
    snprintf(r->key.device[0], GL_PLAN_DEVICE_MAX, "cpu:avx512:2t");
    if (nb > 1)
        snprintf(r->key.device[1], GL_PLAN_DEVICE_MAX,
                 "vulkan:10005:0:1:0123456789abcdef0123456789abcdef \"quoted\"\\\t");
    if (nb > 2) snprintf(r->key.device[2], GL_PLAN_DEVICE_MAX, "opencl:x");
    r->has_costs = true;
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        for (;;) {
            random_costs(&r->costs[ph], nb, nl, rng);
            for (int a = 0; a < nb; a++) gl_plan_costs_set_move(&r->costs[ph], a, a, 0);
            if (gl_plan_solve(&r->costs[ph], &r->plan[ph], NULL) == GLINT_OK) break;
        }
    }
}

static bool same_record(const gl_plan_record *a, const gl_plan_record *b) {
    bool ok = a->key.model_size == b->key.model_size && a->key.model_hash == b->key.model_hash &&
              a->key.n_backend == b->key.n_backend && a->has_costs == b->has_costs;
    if (!ok) return false;
    const int nb = a->key.n_backend;
    for (int i = 0; i < nb; i++) ok = ok && strcmp(a->key.device[i], b->key.device[i]) == 0;
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT && ok; ph++) {
        const gl_plan *p = &a->plan[ph], *q = &b->plan[ph];
        ok = p->n_layer == q->n_layer && p->n_backend == q->n_backend && p->embed == q->embed &&
             p->head == q->head && p->cost == q->cost &&
             memcmp(p->backend, q->backend, (size_t)p->n_layer) == 0;
        if (!a->has_costs || !ok) continue;
        const gl_plan_costs *c = &a->costs[ph], *d = &b->costs[ph];
        ok = c->n_layer == d->n_layer && c->n_backend == d->n_backend;
        for (int x = 0; x < nb && ok; x++) {
            ok = c->embed[x] == d->embed[x] && c->head[x] == d->head[x];
            for (int l = 0; l < c->n_layer; l++) ok = ok && c->layer[x][l] == d->layer[x][l];
            for (int i = 0; i <= c->n_layer; i++)
                for (int y = 0; y < nb; y++) ok = ok && c->move[i][x][y] == d->move[i][x][y];
        }
    }
    return ok;
}

static void write_bytes(const char *path, const char *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        gl_test_failures++;
        return;
    }
    fwrite(data, 1, n, f);
    fclose(f);
}

#define CACHE_DIR GLINT_TEST_TMP "/plan_cache_test/sub"

/* Loads `key` from CACHE_DIR expecting a miss with exactly one message. */
static void expect_miss(const gl_plan_key *key, gl_plan_record *out, const char *what) {
    const int w0 = g_warn, i0 = g_info;
    bool hit = true;
    glint_status st = gl_plan_cache_load(CACHE_DIR, key, out, &hit, NULL);
    CHECK_MSG(st == GLINT_OK && !hit, "%s: status %s, hit %d", what, glint_status_string(st), hit);
    CHECK_MSG(g_warn + g_info - w0 - i0 == 1, "%s: %d messages", what, g_warn + g_info - w0 - i0);
}

static void test_cache(void) {
    uint64_t rng = 4242;
    gl_plan_record *r = malloc(sizeof *r), *got = malloc(sizeof *got);
    gl_plan_record *other = malloc(sizeof *other);
    char path[1200];
    gl_err err = {{0}};
    bool hit = false;
    gl_log_set(GLINT_LOG_LEVEL_INFO, count_log, NULL);

    /* Round trip through the cache directory (created on save), with and without costs. */
    for (int nb = 1; nb <= 3; nb++) {
        for (int nl = 1; nl <= 12; nl += 5) {
            make_record(r, nb, nl, &rng);
            for (int with_costs = 0; with_costs < 2; with_costs++) {
                r->has_costs = with_costs;
                CHECK_STATUS(gl_plan_cache_save(CACHE_DIR, r, &err), GLINT_OK);
                CHECK_STATUS(gl_plan_cache_load(CACHE_DIR, &r->key, got, &hit, &err), GLINT_OK);
                CHECK_MSG(hit && same_record(r, got), "round trip B=%d L=%d costs=%d: hit %d", nb,
                          nl, with_costs, hit);
            }
        }
    }
    /* INFINITY entries survive as null. */
    make_record(r, 2, 4, &rng);
    r->costs[0].layer[1][2] = INFINITY;
    r->costs[1].move[3][0][1] = INFINITY;
    CHECK_STATUS(gl_plan_cache_save(CACHE_DIR, r, NULL), GLINT_OK);
    CHECK_STATUS(gl_plan_cache_load(CACHE_DIR, &r->key, got, &hit, NULL), GLINT_OK);
    CHECK(hit && isinf(got->costs[0].layer[1][2]) && isinf(got->costs[1].move[3][0][1]));
    CHECK(hit && same_record(r, got));

    /* $GLINT_CACHE_DIR is the default directory. */
    setenv("GLINT_CACHE_DIR", CACHE_DIR, 1);
    char dir[1024];
    gl_cache_dir(dir, sizeof dir);
    CHECK_MSG(strcmp(dir, CACHE_DIR) == 0, "cache dir %s", dir);
    CHECK_STATUS(gl_plan_cache_load(NULL, &r->key, got, &hit, NULL), GLINT_OK);
    CHECK(hit && same_record(r, got));
    unsetenv("GLINT_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/x/y", 1);
    gl_cache_dir(dir, sizeof dir);
    CHECK_MSG(strcmp(dir, "/x/y/glint") == 0, "cache dir %s", dir);

    /* Another model or driver: a miss, whether the file is absent or a stale one sits at the
     * key's path. */
    make_record(r, 2, 6, &rng);
    CHECK_STATUS(gl_plan_cache_save(CACHE_DIR, r, NULL), GLINT_OK);
    CHECK_STATUS(gl_plan_cache_path(CACHE_DIR, &r->key, path, sizeof path, NULL), GLINT_OK);
    size_t len = 0;
    char *valid = gl_test_read_file(path, &len);
    CHECK(valid != NULL && len > 100);
    if (!valid) return;
    for (int change = 0; change < 5; change++) {
        gl_plan_key k = r->key;
        const char *what = "";
        switch (change) {
        case 0:
            k.model_size++, what = "model size";
            break;
        case 1:
            k.model_hash ^= 1ull << 40, what = "model hash";
            break;
        case 2:
            k.device[1][strlen(k.device[1]) - 3] ^= 1, what = "driver string";
            break;
        case 3:
            snprintf(k.device[0], GL_PLAN_DEVICE_MAX, "cpu:avx2:2t"), what = "cpu string";
            break;
        default:
            k.n_backend = 1, what = "backend count";
            break;
        }
        char other_path[1200];
        CHECK_STATUS(gl_plan_cache_path(CACHE_DIR, &k, other_path, sizeof other_path, NULL),
                     GLINT_OK);
        CHECK_MSG(strcmp(other_path, path) != 0, "%s: same file name", what);
        unlink(other_path);
        hit = true;
        CHECK_STATUS(gl_plan_cache_load(CACHE_DIR, &k, got, &hit, NULL), GLINT_OK);
        CHECK_MSG(!hit, "%s changed (no file): hit", what);
        write_bytes(other_path, valid, len); /* the old plan under the new key's name */
        const int i0 = g_info;
        expect_miss(&k, got, what);
        CHECK_MSG(g_info == i0 + 1, "%s: stale plan not reported at INFO", what);
        unlink(other_path);
    }
    CHECK_STATUS(gl_plan_cache_load(CACHE_DIR, &r->key, got, &hit, NULL), GLINT_OK);
    CHECK(hit && same_record(r, got));

    /* Truncated at every byte: a miss with a message, never a crash. Only dropping the final
     * newline leaves a valid file. The parser also sees exact-size copies (no terminator). */
    size_t trimmed = len;
    while (trimmed > 0 && (valid[trimmed - 1] == '\n' || valid[trimmed - 1] == ' ')) trimmed--;
    int bad_parse = 0;
    for (size_t n = 0; n < len; n++) {
        write_bytes(path, valid, n);
        if (n >= trimmed) {
            CHECK_STATUS(gl_plan_cache_load(CACHE_DIR, &r->key, got, &hit, NULL), GLINT_OK);
            CHECK_MSG(hit, "truncated to %zu of %zu (whitespace only): miss", n, len);
        } else {
            char what[64];
            snprintf(what, sizeof what, "truncated to %zu of %zu", n, len);
            expect_miss(&r->key, got, what);
        }
        char *copy = malloc(n ? n : 1);
        memcpy(copy, valid, n);
        if (gl_plan_record_from_json(copy, n, other, &err) != GLINT_OK) bad_parse++;
        free(copy);
    }
    CHECK_EQ_INT(bad_parse, (long long)trimmed);

    /* Random garbage, and valid files with one byte changed. */
    for (int t = 0; t < 300; t++) {
        const size_t n = (size_t)(gl_test_rand(&rng) % 3000);
        char *g = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            g[i] = t % 2 ? (char)gl_test_rand(&rng)
                         : "{}[]\",:0123456789.eE-+ nul"[gl_test_rand(&rng) % 26];
        write_bytes(path, g, n);
        expect_miss(&r->key, got, "garbage");
        free(g);
    }
    char *mut = malloc(len);
    int mut_ok = 0;
    for (int t = 0; t < 2000; t++) {
        memcpy(mut, valid, len);
        const size_t at = (size_t)(gl_test_rand(&rng) % len);
        mut[at] = (char)gl_test_rand(&rng);
        if (gl_plan_record_from_json(mut, len, other, NULL) == GLINT_OK) {
            mut_ok++; /* e.g. a digit of a cost changed: still a valid record */
            char *text = NULL;
            CHECK_STATUS(gl_plan_record_to_json(other, &text, NULL, NULL), GLINT_OK);
            free(text);
        }
    }
    CHECK(mut_ok < 2000);
    free(mut);

    /* Hand-made corruptions of a small valid file. */
    static const char head[] = "{\"format\": \"glint-plan\", \"version\": 1, \"model_size\": 5, "
                               "\"model_hash\": \"00000000000000ff\", \"backends\": [\"cpu\", "
                               "\"gpu\"], \"n_layer\": 2, ";
    static const struct {
        const char *tail;
        bool ok;
    } cases[] = {
        {"\"prefill\": {\"cost\": 1.5, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         true},
        {"\"prefill\": {\"cost\": 1.5, \"embed\": 0, \"head\": 1, \"layers\": [0, 2]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         false}, /* backend 2 of 2 */
        {"\"prefill\": {\"cost\": 1.5, \"embed\": 0, \"head\": 1, \"layers\": [0, 1, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         false}, /* three layers of two */
        {"\"prefill\": {\"cost\": -1.5, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         false}, /* negative cost */
        {"\"prefill\": {\"cost\": 1e999, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         false}, /* overflowing number */
        {"\"prefill\": {\"cost\": 01, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         false}, /* leading zero */
        {"\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, "
         "\"prefill\": {\"cost\": 1.5, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, \"costs\": "
         "null}",
         false}, /* keys out of order */
        {"\"prefill\": {\"cost\": 1.5, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null} x",
         false}, /* trailing bytes */
        {"\"prefill\": {\"cost\": inf, \"embed\": 0, \"head\": 1, \"layers\": [0, 1]}, "
         "\"decode\": {\"cost\": 0, \"embed\": 1, \"head\": 1, \"layers\": [1, 1]}, \"costs\": "
         "null}",
         false}, /* strtod would take it, JSON does not */
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", head, cases[i].tail);
        glint_status st = gl_plan_record_from_json(text, strlen(text), got, &err);
        CHECK_MSG((st == GLINT_OK) == cases[i].ok, "case %zu: %s (%s)", i, glint_status_string(st),
                  err.msg);
    }
    /* Another format version is a miss reported at INFO, not a corrupt file. */
    {
        char *v2 = malloc(len + 1);
        memcpy(v2, valid, len);
        char *at = strstr(v2, "\"version\": 1");
        CHECK(at != NULL);
        if (at) at[11] = '2';
        write_bytes(path, v2, len);
        const int w0 = g_warn;
        expect_miss(&r->key, got, "version 2");
        CHECK_EQ_INT(g_warn, w0);
        CHECK_STATUS(gl_plan_record_from_json(v2, len, got, NULL), GLINT_ERROR_UNSUPPORTED);
        free(v2);
    }
    /* Empty file, a directory in the file's place, five backends. */
    write_bytes(path, "", 0);
    expect_miss(&r->key, got, "empty file");
    unlink(path);
    mkdir(path, 0755);
    expect_miss(&r->key, got, "directory");
    rmdir(path);
    {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"format\": \"glint-plan\", \"version\": 1, \"model_size\": 5, "
                 "\"model_hash\": \"00000000000000ff\", \"backends\": [\"a\", \"b\", \"c\", "
                 "\"d\", \"e\"], \"n_layer\": 1, ");
        CHECK_STATUS(gl_plan_record_from_json(text, strlen(text), got, NULL),
                     GLINT_ERROR_INVALID_FILE);
    }
    /* The valid file loads again after all that. */
    write_bytes(path, valid, len);
    CHECK_STATUS(gl_plan_cache_load(CACHE_DIR, &r->key, got, &hit, NULL), GLINT_OK);
    CHECK(hit && same_record(r, got));

    /* Records the writer refuses. */
    *other = *r;
    other->plan[1].backend[0] = 7;
    CHECK_STATUS(gl_plan_cache_save(CACHE_DIR, other, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    *other = *r;
    other->costs[0].layer[0][0] = NAN;
    CHECK_STATUS(gl_plan_cache_save(CACHE_DIR, other, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    *other = *r;
    memset(other->key.device[0], 'x', GL_PLAN_DEVICE_MAX);
    CHECK_STATUS(gl_plan_cache_save(CACHE_DIR, other, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_plan_cache_save("/proc/no/such/dir", r, NULL), GLINT_ERROR_IO);
    CHECK_STATUS(gl_plan_file_read(CACHE_DIR "/absent.json", got, NULL), GLINT_ERROR_NOT_FOUND);

    gl_log_set(GLINT_LOG_LEVEL_WARN, NULL, NULL);
    free(valid);
    free(r);
    free(got);
    free(other);
}

int main(void) {
    test_against_brute_force();
    test_known_plans();
    test_static_plans();
    test_cache();
    return gl_test_finish("test_plan");
}
