/* glint run: prompt -> streamed text, with prompt and generation speed on stderr. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run_opts {
    const char *model, *synthetic, *prompt, *tokens, *dump;
    long n_predict, n_threads, n_ctx, n_batch;
    glint_type kv_type;
    glint_model_params mp;
    glint_sampler_params sp;
    bool ignore_eos, verbose;
} run_opts;

static void run_usage(FILE *f) {
    fprintf(f,
            "usage: glint run (-m MODEL | --synthetic SHAPE:TYPE) [options]\n"
            "  --synthetic SHAPE:TYPE a random-weight model Glint writes into its cache directory\n"
            "                         (SHAPE tiny | 110m | 1b; TYPE f32, f16, q8_0, q4_0, q4_k ...)\n"
            "  -p, --prompt TEXT      prompt text (default: start from BOS)\n"
            "  --tokens ID,ID,...     prompt as token ids (no BOS added)\n"
            "  -n, --n-predict N      tokens to generate (default 128)\n"
            "  --temp T               temperature; 0 = greedy (default 0.8)\n"
            "  --top-k K, --top-p P, --min-p P, --repeat-penalty R   sampling filters\n"
            "  --seed S               sampling seed (default: time)\n"
            "  -t, --threads N        CPU threads (default: all cores)\n"
            "  -c, --ctx N            context length (default: model's, at most 4096)\n"
            "  -b, --batch N          prompt batch size (default 512)\n"
            "  --kv-type f16|f32      KV-cache type (default f16)\n"
            "  --backend B            auto | cpu | vulkan | opencl (default auto: a plan splits the\n"
            "                         layers between GPU and CPU; cached per model and device,\n"
            "                         made by profiling on first use)\n"
            "  --gpu-layers N         the first N layers on the GPU, the rest on the CPU\n"
            "  --plan FILE            follow a plan file (glint profile --save-plan FILE)\n"
            "  --no-profile           without a cached plan, everything on the GPU (no profiling)\n"
            "  --reprofile            profile again even when a plan is cached\n"
            "  --dump-logits FILE     one JSON line per evaluated position with its top-10 logits\n"
            "  --ignore-eos           keep generating past end-of-generation tokens\n"
            "  -v, --verbose          log loading and device details\n");
}

static int parse(int argc, char **argv, run_opts *o) {
    *o = (run_opts){.n_predict = 128, .kv_type = GLINT_TYPE_F16,
                    .mp = glint_model_default_params(), .sp = glint_sampler_default_params()};
    o->sp.seed = (uint64_t)time(NULL);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        long l;
#define OPT(s1, s2) (strcmp(a, s1) == 0 || (s2 && strcmp(a, s2 ? s2 : "") == 0))
#define VAL() if (!(v = cli_value(argc, argv, &i))) return 2
        if (OPT("-m", "--model")) { VAL(); o->model = v; }
        else if (OPT("--synthetic", NULL)) { VAL(); o->synthetic = v; }
        else if (OPT("-p", "--prompt")) { VAL(); o->prompt = v; }
        else if (OPT("--tokens", NULL)) { VAL(); o->tokens = v; }
        else if (OPT("-n", "--n-predict")) { VAL(); if (!cli_int(v, 0, 1 << 24, &o->n_predict)) return 2; }
        else if (OPT("-t", "--threads")) { VAL(); if (!cli_int(v, 1, 1024, &o->n_threads)) return 2; }
        else if (OPT("-c", "--ctx")) { VAL(); if (!cli_int(v, 1, 1 << 20, &o->n_ctx)) return 2; }
        else if (OPT("-b", "--batch")) { VAL(); if (!cli_int(v, 1, 1 << 16, &o->n_batch)) return 2; }
        else if (OPT("--temp", NULL)) { VAL(); if (!cli_float(v, &o->sp.temperature)) return 2; }
        else if (OPT("--top-k", NULL)) { VAL(); if (!cli_int(v, 0, 1 << 30, &l)) return 2; o->sp.top_k = (int32_t)l; }
        else if (OPT("--top-p", NULL)) { VAL(); if (!cli_float(v, &o->sp.top_p)) return 2; }
        else if (OPT("--min-p", NULL)) { VAL(); if (!cli_float(v, &o->sp.min_p)) return 2; }
        else if (OPT("--repeat-penalty", NULL)) { VAL(); if (!cli_float(v, &o->sp.repeat_penalty)) return 2; }
        else if (OPT("--seed", NULL)) { VAL(); if (!cli_int(v, 0, 0x7fffffffffffffffL, &l)) return 2; o->sp.seed = (uint64_t)l; }
        else if (OPT("--backend", NULL)) { VAL(); if (!cli_backend(v, &o->mp.backend)) return 2; }
        else if (OPT("--gpu-layers", "-ngl")) { VAL(); if (!cli_int(v, 0, 1 << 16, &l)) return 2; o->mp.gpu_layers = (int)l; }
        else if (OPT("--plan", NULL)) { VAL(); o->mp.plan_path = v; }
        else if (OPT("--no-profile", NULL)) o->mp.no_profile = true;
        else if (OPT("--reprofile", NULL)) o->mp.reprofile = true;
        else if (OPT("--dump-logits", NULL)) { VAL(); o->dump = v; }
        else if (OPT("--kv-type", NULL)) {
            VAL();
            if (strcmp(v, "f16") == 0) o->kv_type = GLINT_TYPE_F16;
            else if (strcmp(v, "f32") == 0) o->kv_type = GLINT_TYPE_F32;
            else { fprintf(stderr, "glint run: --kv-type is f16 or f32\n"); return 2; }
        }
        else if (OPT("--ignore-eos", NULL)) o->ignore_eos = true;
        else if (OPT("-v", "--verbose")) o->verbose = true;
        else if (OPT("-h", "--help")) { run_usage(stdout); return -1; }
        else { fprintf(stderr, "glint run: unknown option '%s'\n", a); run_usage(stderr); return 2; }
#undef OPT
#undef VAL
    }
    return 0;
}

/* "1,403,407" -> ids; false on a malformed list. */
static bool parse_ids(const char *s, int32_t **out, size_t *n) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!ids) return false;
    size_t k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 0x7fffffff || (*end && *end != ',')) {
            fprintf(stderr, "glint run: bad token list '%s'\n", s);
            free(ids);
            return false;
        }
        ids[k++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    *out = ids;
    *n = k;
    return true;
}

/* One JSON line: position, the token fed there, the 10 best logits (ties to the lower id). */
static void dump_logits(FILE *f, int32_t pos, int32_t token, const float *logits, int32_t n) {
    int32_t best[10];
    int nb = 0;
    for (int32_t id = 0; id < n; id++) {
        int j = nb < 10 ? nb++ : 10;
        if (j == 10 && !(logits[id] > logits[best[9]])) continue;
        if (j == 10) j = 9;
        while (j > 0 && logits[id] > logits[best[j - 1]]) {
            best[j] = best[j - 1];
            j--;
        }
        best[j] = id;
    }
    fprintf(f, "{\"pos\":%d,\"token\":%d,\"top\":[", pos, token);
    for (int i = 0; i < nb; i++)
        fprintf(f, "%s[%d,%.9g]", i ? "," : "", best[i], (double)logits[best[i]]);
    fprintf(f, "]}\n");
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    char synth_path[1024];
    if (o.synthetic) {
        if ((rc = cli_synthetic_model(o.synthetic, synth_path, sizeof synth_path))) return rc;
        o.model = synth_path;
    }
    glint_runtime *rt;
    glint_model *m;
    if ((rc = cli_load(&rt, &m, o.model, (int)o.n_threads, &o.mp, o.verbose))) return rc;

    glint_session *s = NULL;
    glint_sampler *smp = NULL;
    int32_t *prompt = NULL;
    FILE *dump = NULL;
    size_t n_prompt = 0;
    glint_status st;
    rc = 1;

    /* The prompt: ids as given, text tokenized with BOS, or BOS alone. */
    if (o.tokens) {
        if (!parse_ids(o.tokens, &prompt, &n_prompt)) goto done;
    } else if (o.prompt && *o.prompt) {
        const size_t len = strlen(o.prompt);
        glint_model_tokenize(m, o.prompt, len, true, false, NULL, 0, &n_prompt);
        prompt = malloc((n_prompt ? n_prompt : 1) * sizeof *prompt);
        if (!prompt || glint_model_tokenize(m, o.prompt, len, true, false, prompt, n_prompt,
                                            &n_prompt) != GLINT_OK) {
            fprintf(stderr, "glint run: cannot tokenize the prompt\n");
            goto done;
        }
    }
    if (n_prompt == 0) {
        free(prompt);
        prompt = malloc(sizeof *prompt);
        if (!prompt) goto done;
        prompt[0] = glint_model_token_bos(m) >= 0 ? glint_model_token_bos(m) : 0;
        n_prompt = 1;
    }

    glint_session_params sp = glint_session_default_params();
    sp.n_ctx = (int32_t)o.n_ctx;
    if (o.n_batch) sp.n_batch = (int32_t)o.n_batch;
    sp.kv_type = o.kv_type;
    sp.logits_all = o.dump != NULL;
    if ((st = glint_session_create(m, &sp, &s)) != GLINT_OK) {
        fprintf(stderr, "glint run: %s\n", glint_model_last_error(m));
        goto done;
    }
    if ((st = glint_sampler_create(&o.sp, &smp)) != GLINT_OK) {
        fprintf(stderr, "glint run: bad sampling options (%s)\n", glint_status_string(st));
        goto done;
    }
    if (o.dump && !(dump = fopen(o.dump, "w"))) {
        fprintf(stderr, "glint run: cannot write %s\n", o.dump);
        goto done;
    }

    glint_model_info info;
    glint_model_get_info(m, &info);
    if (o.prompt) fputs(o.prompt, stdout);
    fflush(stdout);

    /* The prompt, a batch at a time so that every position's logits can be dumped. */
    const double t0 = now_ms();
    for (size_t i = 0; i < n_prompt; i += (size_t)sp.n_batch) {
        const size_t nb = n_prompt - i < (size_t)sp.n_batch ? n_prompt - i : (size_t)sp.n_batch;
        if ((st = glint_session_decode(s, prompt + i, nb)) != GLINT_OK) {
            fprintf(stderr, "glint run: %s\n", glint_session_last_error(s));
            goto done;
        }
        for (size_t j = 0; dump && j < nb; j++) {
            const float *lg;
            glint_session_get_logits(s, (int32_t)j, &lg);
            dump_logits(dump, (int32_t)(i + j), prompt[i + j], lg, info.n_vocab);
        }
    }
    const double t_prompt = now_ms() - t0;
    for (size_t i = 0; i < n_prompt; i++) glint_sampler_accept(smp, prompt[i]);

    /* Generation: sample, print, feed back. A piece right after a lone BOS drops its leading
     * space, as SentencePiece detokenizers do at the start of a text. */
    bool at_start = !o.prompt && n_prompt == 1 && prompt[0] == glint_model_token_bos(m);
    int64_t n_gen = 0;
    const double t1 = now_ms();
    char piece[256];
    for (long i = 0; i < o.n_predict; i++) {
        int32_t tok;
        if ((st = glint_sampler_sample(smp, s, &tok)) != GLINT_OK) {
            fprintf(stderr, "glint run: sampling failed: %s\n", glint_status_string(st));
            goto done;
        }
        if (!o.ignore_eos && glint_model_token_is_eog(m, tok)) break;
        glint_sampler_accept(smp, tok);
        size_t len = 0;
        if (glint_model_token_to_piece(m, tok, false, piece, sizeof piece, &len) == GLINT_OK) {
            const char *p = piece;
            if (at_start && len > 0 && p[0] == ' ') {
                p++;
                len--;
            }
            fwrite(p, 1, len, stdout);
            fflush(stdout);
        }
        at_start = false;
        n_gen++;
        if (i + 1 == o.n_predict) break; /* the last token needs no forward pass */
        if (glint_session_n_past(s) >= glint_session_n_ctx(s)) {
            fprintf(stderr, "\nglint run: context full (%d tokens)\n", glint_session_n_ctx(s));
            break;
        }
        if ((st = glint_session_decode(s, &tok, 1)) != GLINT_OK) {
            fprintf(stderr, "\nglint run: %s\n", glint_session_last_error(s));
            goto done;
        }
        if (dump) {
            const float *lg;
            glint_session_get_logits(s, -1, &lg);
            dump_logits(dump, glint_session_n_past(s) - 1, tok, lg, info.n_vocab);
        }
    }
    const double t_gen = now_ms() - t1;
    printf("\n");
    fprintf(stderr, "prompt: %zu tokens in %.1f ms, %.2f tokens/s\n", n_prompt, t_prompt,
            t_prompt > 0 ? (double)n_prompt * 1e3 / t_prompt : 0.0);
    fprintf(stderr, "generation: %lld tokens in %.1f ms, %.2f tokens/s\n", (long long)n_gen, t_gen,
            t_gen > 0 && n_gen > 1 ? (double)(n_gen - 1) * 1e3 / t_gen : 0.0);
    rc = 0;
done:
    if (dump) fclose(dump);
    free(prompt);
    glint_sampler_free(smp);
    glint_session_free(s);
    glint_model_free(m);
    glint_runtime_free(rt);
    return rc;
}
