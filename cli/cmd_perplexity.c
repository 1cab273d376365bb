/* glint perplexity: the perplexity of a model over a text file, chunked as llama.cpp's
 * perplexity tool does so the numbers compare: the tokens are cut into chunks of n_ctx, the
 * first token of each chunk is replaced by BOS, each chunk starts from an empty context and
 * only the predictions of its second half are scored (the first half is context). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct ppl_opts {
    const char *model, *file;
    long n_ctx, n_batch, n_threads, n_chunks;
    glint_backend_kind backend;
    bool verbose;
} ppl_opts;

static void ppl_usage(FILE *f) {
    fprintf(f, "usage: glint perplexity -m MODEL -f TEXT [options]\n"
               "  -f, --file TEXT   the text to score\n"
               "  -c, --ctx N       tokens per chunk (default 512); the second half is scored\n"
               "  -b, --batch N     tokens per forward pass (default: N_CTX)\n"
               "  -t, --threads N   CPU threads (default: all cores)\n"
               "  --chunks N        score at most N chunks (default: all)\n"
               "  --backend B       auto | cpu | vulkan | opencl (default auto)\n"
               "  -v, --verbose     log loading and device details\n"
               "Prints [chunk]running-PPL per chunk, then 'Final estimate: PPL = X +/- E'.\n");
}

static int parse(int argc, char **argv, ppl_opts *o) {
    *o = (ppl_opts){.n_ctx = 512, .backend = GLINT_BACKEND_AUTO};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
#define OPT(s1, s2) (strcmp(a, s1) == 0 || (s2 && strcmp(a, s2 ? s2 : "") == 0))
#define VAL()                                                                                      \
    if (!(v = cli_value(argc, argv, &i))) return 2
        /* clang-format off */
        if (OPT("-m", "--model")) { VAL(); o->model = v; }
        else if (OPT("-f", "--file")) { VAL(); o->file = v; }
        else if (OPT("-c", "--ctx")) { VAL(); if (!cli_int(v, 4, 1 << 20, &o->n_ctx)) return 2; }
        else if (OPT("-b", "--batch")) { VAL(); if (!cli_int(v, 1, 1 << 16, &o->n_batch)) return 2; }
        else if (OPT("-t", "--threads")) { VAL(); if (!cli_int(v, 1, 1024, &o->n_threads)) return 2; }
        else if (OPT("--chunks", NULL)) { VAL(); if (!cli_int(v, 1, 1L << 30, &o->n_chunks)) return 2; }
        else if (OPT("--backend", NULL)) { VAL(); if (!cli_backend(v, &o->backend)) return 2; }
        else if (OPT("-v", "--verbose")) o->verbose = true;
        else if (OPT("-h", "--help")) { ppl_usage(stdout); return -1; }
        else { fprintf(stderr, "glint perplexity: unknown option '%s'\n", a); ppl_usage(stderr); return 2; }
        /* clang-format on */
#undef OPT
#undef VAL
    }
    if (!o->file) {
        fprintf(stderr, "glint perplexity: no text given (-f TEXT)\n");
        return 2;
    }
    if (o->n_batch == 0 || o->n_batch > o->n_ctx) o->n_batch = o->n_ctx;
    return 0;
}

/* The whole file, NUL-terminated; caller frees. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        const size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    const bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* -log p(token) under softmax(logits), in double. */
static double nll_of(const float *logits, int32_t n_vocab, int32_t token) {
    float mx = logits[0];
    for (int32_t i = 1; i < n_vocab; i++) mx = logits[i] > mx ? logits[i] : mx;
    double sum = 0;
    for (int32_t i = 0; i < n_vocab; i++) sum += exp((double)logits[i] - (double)mx);
    return log(sum) - ((double)logits[token] - (double)mx);
}

int cmd_perplexity(int argc, char **argv) {
    ppl_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    size_t text_len = 0;
    char *text = read_file(o.file, &text_len);
    if (!text) {
        fprintf(stderr, "glint perplexity: cannot read %s\n", o.file);
        return 1;
    }
    glint_runtime *rt;
    glint_model *m;
    glint_model_params mp = glint_model_default_params();
    mp.backend = o.backend;
    if ((rc = cli_load(&rt, &m, o.model, (int)o.n_threads, &mp, o.verbose))) {
        free(text);
        return rc;
    }
    glint_session *s = NULL;
    int32_t *toks = NULL, *chunk = NULL;
    rc = 1;

    size_t n_tok = 0;
    glint_model_tokenize(m, text, text_len, true, false, NULL, 0, &n_tok);
    toks = malloc((n_tok ? n_tok : 1) * sizeof *toks);
    chunk = malloc((size_t)o.n_ctx * sizeof *chunk);
    if (!toks || !chunk ||
        glint_model_tokenize(m, text, text_len, true, false, toks, n_tok, &n_tok) != GLINT_OK) {
        fprintf(stderr, "glint perplexity: cannot tokenize %s\n", o.file);
        goto done;
    }
    const size_t n_ctx = (size_t)o.n_ctx;
    size_t n_chunks = n_tok / n_ctx;
    if (o.n_chunks > 0 && (size_t)o.n_chunks < n_chunks) n_chunks = (size_t)o.n_chunks;
    if (n_chunks == 0) {
        fprintf(stderr,
                "glint perplexity: %s has %zu tokens, fewer than one chunk of %zu (lower -c)\n",
                o.file, n_tok, n_ctx);
        goto done;
    }

    glint_session_params sp = glint_session_default_params();
    sp.n_ctx = (int32_t)n_ctx;
    sp.n_batch = (int32_t)o.n_batch;
    sp.logits_all = true;
    if (glint_session_create(m, &sp, &s) != GLINT_OK) {
        fprintf(stderr, "glint perplexity: %s\n", glint_model_last_error(m));
        goto done;
    }
    glint_model_info info;
    glint_model_get_info(m, &info);
    const int32_t bos = glint_model_token_bos(m);
    fprintf(stderr, "perplexity: %zu tokens, %zu chunks of %zu, batch %ld, backend %s\n", n_tok,
            n_chunks, n_ctx, o.n_batch, info.backend);

    /* Predictions at positions [first, n_ctx - 1) are scored: the logits at j against token
     * j + 1. */
    const size_t first = n_ctx / 2;
    double nll = 0, nll2 = 0;
    size_t count = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t c = 0; c < n_chunks; c++) {
        memcpy(chunk, toks + c * n_ctx, n_ctx * sizeof *chunk);
        if (bos >= 0) chunk[0] = bos;
        if (glint_session_rewind(s, 0) != GLINT_OK) goto session_error;
        for (size_t b = 0; b < n_ctx; b += (size_t)o.n_batch) {
            const size_t nb = n_ctx - b < (size_t)o.n_batch ? n_ctx - b : (size_t)o.n_batch;
            if (glint_session_decode(s, chunk + b, nb) != GLINT_OK) goto session_error;
            for (size_t j = b; j < b + nb; j++) {
                if (j < first || j + 1 >= n_ctx) continue;
                const float *lg;
                if (glint_session_get_logits(s, (int32_t)(j - b), &lg) != GLINT_OK)
                    goto session_error;
                const double v = nll_of(lg, info.n_vocab, chunk[j + 1]);
                nll += v;
                nll2 += v * v;
                count++;
            }
        }
        printf("[%zu]%.4f%s", c + 1, exp(nll / (double)count), c + 1 < n_chunks ? "," : "\n");
        fflush(stdout);
        if (c == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            const double sec =
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            fprintf(stderr, "perplexity: %.2f s per chunk, about %.1f s in all\n", sec,
                    sec * (double)n_chunks);
        }
    }
    /* Standard error of the mean NLL, carried to PPL to first order. */
    const double mean = nll / (double)count;
    const double ppl = exp(mean);
    const double var = nll2 / (double)count - mean * mean;
    const double err = count > 1 && var > 0 ? sqrt(var / (double)(count - 1)) * ppl : 0.0;
    printf("Final estimate: PPL = %.4f +/- %.5f\n", ppl, err);
    rc = 0;
    goto done;

session_error:
    fprintf(stderr, "glint perplexity: %s\n", glint_session_last_error(s));
done:
    glint_session_free(s);
    free(chunk);
    free(toks);
    free(text);
    glint_model_free(m);
    glint_runtime_free(rt);
    return rc;
}
