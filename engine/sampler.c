/* Token sampling: penalties -> top-k -> top-p -> min-p -> temperature -> softmax -> draw.
 * The order and the penalty conventions follow llama.cpp's default chain so that the same
 * settings behave the same way; as there, the penalties also apply before a greedy pick
 * (temperature <= 0), so greedy decoding with a repeat penalty works (they are off by default).
 * glint_sampler_sample (which needs a session) lives in sampler_session.c so that this file
 * links on its own. */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct gl_cand {
    float logit;
    int32_t id;
} gl_cand;

struct glint_sampler {
    glint_sampler_params p;
    uint64_t rng[4];

    /* Ring buffer of the last penalty_last_n accepted tokens. */
    int32_t *hist;
    int32_t hist_cap, hist_n, hist_pos;

    /* Work buffers, grown to the largest n_vocab seen; nothing is allocated after that. */
    int32_t cap;
    gl_cand *cand;
    float *pen;      /* penalised logits (only when penalties are on) */
    int32_t *counts; /* per-token occurrences in the history; all zero between calls */
};

/* ---- PRNG: xoshiro256** seeded through splitmix64 --------------------------------------- */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl64(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(uint64_t s[4]) {
    const uint64_t r = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return r;
}

static void rng_seed(uint64_t s[4], uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) s[i] = splitmix64(&x);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(uint64_t s[4]) {
    return (double)(xoshiro_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

glint_sampler_params glint_sampler_default_params(void) {
    return (glint_sampler_params){
        .temperature = 0.8f,
        .top_k = 40,
        .top_p = 0.95f,
        .min_p = 0.05f,
        .repeat_penalty = 1.0f,
        .frequency_penalty = 0.0f,
        .presence_penalty = 0.0f,
        .penalty_last_n = 64,
        .seed = 0x676c696e74ull, /* "glint" */
    };
}

/* The history is capped so a nonsense penalty_last_n cannot ask for gigabytes. */
#define GL_SAMPLER_MAX_HISTORY (1 << 20)

glint_status glint_sampler_create(const glint_sampler_params *p, glint_sampler **out) {
    if (out) *out = NULL;
    if (!p || !out) return GLINT_ERROR_INVALID_ARGUMENT;
    if (isnan(p->temperature) || isnan(p->top_p) || isnan(p->min_p) ||
        !isfinite(p->frequency_penalty) || !isfinite(p->presence_penalty))
        return GLINT_ERROR_INVALID_ARGUMENT;
    /* The repeat penalty divides logits: it must be a positive finite number. */
    if (!(p->repeat_penalty > 0.0f) || !isfinite(p->repeat_penalty))
        return GLINT_ERROR_INVALID_ARGUMENT;
    if (p->penalty_last_n < 0 || p->penalty_last_n > GL_SAMPLER_MAX_HISTORY)
        return GLINT_ERROR_INVALID_ARGUMENT;

    glint_sampler *smp = calloc(1, sizeof *smp);
    if (!smp) return GLINT_ERROR_OUT_OF_MEMORY;
    smp->p = *p;
    smp->hist_cap = p->penalty_last_n;
    if (smp->hist_cap > 0) {
        smp->hist = malloc((size_t)smp->hist_cap * sizeof *smp->hist);
        if (!smp->hist) {
            free(smp);
            return GLINT_ERROR_OUT_OF_MEMORY;
        }
    }
    rng_seed(smp->rng, p->seed);
    *out = smp;
    return GLINT_OK;
}

void glint_sampler_free(glint_sampler *smp) {
    if (!smp) return;
    free(smp->hist);
    free(smp->cand);
    free(smp->pen);
    free(smp->counts);
    free(smp);
}

/* Forgets the history and restarts the random sequence from the seed, so a reset sampler
 * repeats its earlier choices on the same logits. */
void glint_sampler_reset(glint_sampler *smp) {
    if (!smp) return;
    smp->hist_n = 0;
    smp->hist_pos = 0;
    rng_seed(smp->rng, smp->p.seed);
}

void glint_sampler_accept(glint_sampler *smp, int32_t token) {
    if (!smp || smp->hist_cap == 0) return;
    smp->hist[smp->hist_pos] = token;
    smp->hist_pos = (smp->hist_pos + 1) % smp->hist_cap;
    if (smp->hist_n < smp->hist_cap) smp->hist_n++;
}

static glint_status reserve(glint_sampler *smp, int32_t n) {
    if (n <= smp->cap) return GLINT_OK;
    gl_cand *c = malloc((size_t)n * sizeof *c);
    float *pen = malloc((size_t)n * sizeof *pen);
    int32_t *counts = calloc((size_t)n, sizeof *counts);
    if (!c || !pen || !counts) {
        free(c);
        free(pen);
        free(counts);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    free(smp->cand);
    free(smp->pen);
    free(smp->counts);
    smp->cand = c;
    smp->pen = pen;
    smp->counts = counts;
    smp->cap = n;
    return GLINT_OK;
}

/* ---- the steps ----------------------------------------------------------------------------- */

static bool penalties_on(const glint_sampler *smp) {
    const glint_sampler_params *p = &smp->p;
    return smp->hist_n > 0 && (p->repeat_penalty != 1.0f || p->frequency_penalty != 0.0f ||
                               p->presence_penalty != 0.0f);
}

/* Copies logits into smp->pen and applies the penalties to every token of the history, once
 * per distinct token (llama.cpp's convention: the repeat penalty divides a positive logit and
 * multiplies a negative one; frequency scales with the count, presence is flat). */
static const float *apply_penalties(glint_sampler *smp, const float *logits, int32_t n) {
    float *pen = smp->pen;
    memcpy(pen, logits, (size_t)n * sizeof *pen);
    const glint_sampler_params *p = &smp->p;
    for (int32_t i = 0; i < smp->hist_n; i++) {
        const int32_t t = smp->hist[i];
        if (t >= 0 && t < n) smp->counts[t]++;
    }
    for (int32_t i = 0; i < smp->hist_n; i++) {
        const int32_t t = smp->hist[i];
        if (t < 0 || t >= n || smp->counts[t] == 0) continue;
        float l = pen[t];
        if (l > 0.0f)
            l /= p->repeat_penalty;
        else
            l *= p->repeat_penalty;
        l -= (float)smp->counts[t] * p->frequency_penalty + p->presence_penalty;
        pen[t] = l;
        smp->counts[t] = 0; /* done with this token; leaves counts all zero again */
    }
    return pen;
}

/* NaN would break every comparison below; it is no better than impossible. */
static inline float clean(float l) {
    return isnan(l) ? -INFINITY : l;
}

/* True when a ranks before b: higher logit, ties to the lower id. A total order. */
static inline bool ranks_before(gl_cand a, gl_cand b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

/* Min-heap by rank (the root is the worst kept candidate). */
static void heap_sift_down(gl_cand *h, int32_t n, int32_t i) {
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ranks_before(h[m], h[l])) m = l;
        if (r < n && ranks_before(h[m], h[r])) m = r;
        if (m == i) return;
        gl_cand t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Moves the k best of c[0..n) to c[0..k), in no particular order. O(n log k). */
static void select_top_k(gl_cand *c, int32_t n, int32_t k) {
    for (int32_t i = k / 2 - 1; i >= 0; i--) heap_sift_down(c, k, i);
    for (int32_t i = k; i < n; i++) {
        if (ranks_before(c[i], c[0])) { /* swap, so c stays a permutation of its input */
            gl_cand t = c[0];
            c[0] = c[i];
            c[i] = t;
            heap_sift_down(c, k, 0);
        }
    }
}

/* Sorts c[0..n) best first. Heapsort: in place, no allocation (qsort may allocate). */
static void sort_by_rank(gl_cand *c, int32_t n) {
    for (int32_t i = n / 2 - 1; i >= 0; i--) heap_sift_down(c, n, i);
    for (int32_t end = n - 1; end > 0; end--) { /* the worst left goes to the back */
        gl_cand t = c[0];
        c[0] = c[end];
        c[end] = t;
        heap_sift_down(c, end, 0);
    }
}

static int32_t argmax(const float *l, int32_t n) {
    int32_t best = 0;
    float bl = clean(l[0]);
    for (int32_t i = 1; i < n; i++) {
        const float v = clean(l[i]);
        if (v > bl) { /* strict: ties keep the lower id */
            bl = v;
            best = i;
        }
    }
    return best;
}

glint_status glint_sampler_sample_logits(glint_sampler *smp, const float *logits, int32_t n_vocab,
                                         int32_t *out) {
    if (out) *out = -1;
    if (!smp || !logits || !out || n_vocab <= 0) return GLINT_ERROR_INVALID_ARGUMENT;
    glint_status st = reserve(smp, n_vocab);
    if (st != GLINT_OK) return st;

    const glint_sampler_params *p = &smp->p;
    const float *l = penalties_on(smp) ? apply_penalties(smp, logits, n_vocab) : logits;

    if (!(p->temperature > 0.0f)) {
        *out = argmax(l, n_vocab);
        return GLINT_OK;
    }

    gl_cand *c = smp->cand;
    int32_t n = n_vocab;
    float max_l = -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        c[i].logit = clean(l[i]);
        c[i].id = i;
        if (c[i].logit > max_l) max_l = c[i].logit;
    }
    if (max_l == -INFINITY) { /* nothing is possible: fall back to the lowest id */
        *out = 0;
        return GLINT_OK;
    }

    /* top-k (the survivors stay unsorted; only what top-p needs gets sorted below) */
    if (p->top_k > 0 && p->top_k < n) {
        select_top_k(c, n, p->top_k);
        n = p->top_k;
    }

    /* Drop impossible tokens, and with min-p everything under min_p * p_max, i.e. logits
     * under max + log(min_p) (min-p only compares to the maximum, so it can be decided before
     * the sort). top-p's mass is still measured over all survivors of top-k. */
    const bool use_top_p = p->top_p < 1.0f;
    double z = 0.0; /* softmax denominator at temperature 1 over the top-k survivors */
    if (use_top_p)
        for (int32_t i = 0; i < n; i++) z += exp((double)c[i].logit - max_l);
    const float min_logit =
        p->min_p > 0.0f ? (p->min_p >= 1.0f ? max_l : max_l + logf(p->min_p)) : -INFINITY;
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (c[i].logit >= min_logit && c[i].logit > -INFINITY) c[m++] = c[i];
    n = m; /* the maximum always survives: n >= 1 */

    /* top-p: the shortest prefix (by rank) whose mass reaches top_p, at least one token */
    if (use_top_p) {
        const double target = (double)p->top_p * z;
        /* Sort only a head of the best candidates big enough to hold the nucleus: select the
         * best k, and grow k until their mass reaches the target (usually k = 256 does). */
        for (int32_t k = GL_MIN(n, 256);; k = GL_MIN(n, k * 4)) {
            if (k < n) select_top_k(c, n, k);
            double head = 0.0;
            for (int32_t i = 0; i < k; i++) head += exp((double)c[i].logit - max_l);
            if (head >= target || k == n) {
                sort_by_rank(c, k);
                n = k;
                break;
            }
        }
        double cum = 0.0;
        for (int32_t i = 0; i < n; i++) {
            cum += exp((double)c[i].logit - max_l);
            if (cum >= target) {
                n = i + 1;
                break;
            }
        }
    }

    /* temperature, softmax, draw */
    const double inv_t = 1.0 / (double)p->temperature;
    double total = 0.0;
    for (int32_t i = 0; i < n; i++) total += exp(((double)c[i].logit - max_l) * inv_t);
    if (!(total > 0.0) || !isfinite(total)) { /* a tiny temperature underflowed: greedy */
        gl_cand best = c[0];
        for (int32_t i = 1; i < n; i++)
            if (ranks_before(c[i], best)) best = c[i];
        *out = best.id;
        return GLINT_OK;
    }
    const double u = rng_uniform(smp->rng) * total;
    double cum = 0.0;
    for (int32_t i = 0; i < n; i++) {
        cum += exp(((double)c[i].logit - max_l) * inv_t);
        if (u < cum) {
            *out = c[i].id;
            return GLINT_OK;
        }
    }
    *out = c[n - 1].id; /* rounding left u at the very top */
    return GLINT_OK;
}
