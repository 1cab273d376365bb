#include "pretok.h"

#include "unicode.h"

#include <string.h>

/* Pattern ids; the comment is the regex (as in llama.cpp / the model's tokenizer.json) that the
 * matcher implements. */
enum {
    PAT_GPT2,         /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
    PAT_LLAMA3,       /* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
                         ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    PAT_QWEN2,        /* the same with \p{N} instead of \p{N}{1,3} */
    PAT_DS3,          /* [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?
                         [\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    PAT_N1,           /* \p{N} */
    PAT_NPLUS,        /* \p{N}+ */
    PAT_N3,           /* \p{N}{1,3} */
    PAT_ASCII_D3,     /* [0-9][0-9][0-9] */
    PAT_PUNCT,        /* [\p{P}\$\+<=>\^~\|]+ */
    PAT_PUNCT_FALCON, /* [\p{P}\$\+<=>\^~\|`]+ */
    PAT_CRLF,         /* [\r\n] */
    PAT_DS_LETTERS,   /* \s?[A-Za-zµÀ-ÖØ-ö...]+ (cased letters, see ds_letters) */
    PAT_DS_PUNCT,     /* \s?[!-/:-~！-／：-～‘-‟　-。]+ */
    PAT_WS_END,       /* \s+$ */
    PAT_CJK,          /* [一-龥ࠀ-一가-퟿]+ */
    PAT_CJK_KANA,     /* [一-龥぀-ゟ゠-ヿ]+ */
    PAT_SP_L,         /* \s?\p{L}+ */
    PAT_SP_P,         /* \s?\p{P}+ */
    PAT_BLOOM,        /*  ?[^(\s|.,!?…。，、।۔،)]+ */
    PAT_SEED_CODER,   /* qwen2's with ?[^\s\p{L}\p{N}\r\n]+ (no newlines after symbols) */
    PAT_TEKKEN, /* [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|
                   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}|
                    ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    PAT_GPT4O,  /* tekken's with (?i:'s|'t|'re|'ve|'m|'ll|'d)? after each letter run and
                   \p{N}{1,3} */
};

typedef struct cp_range {
    uint32_t first, last;
} cp_range;

/* The letter class of deepseek-llm's pre-tokenizer (its tokenizer.json). */
static const cp_range ds_letters[] = {
    {0x0041, 0x005A},   {0x0061, 0x007A},   {0x00B5, 0x00B5},   {0x00C0, 0x00D6},
    {0x00D8, 0x00F6},   {0x00F8, 0x01BA},   {0x01BC, 0x01BF},   {0x01C4, 0x0293},
    {0x0295, 0x02AF},   {0x0370, 0x0373},   {0x0376, 0x0377},   {0x037B, 0x037D},
    {0x037F, 0x037F},   {0x0386, 0x0386},   {0x0388, 0x038A},   {0x038C, 0x038C},
    {0x038E, 0x03A1},   {0x03A3, 0x03F5},   {0x03F7, 0x0481},   {0x048A, 0x052F},
    {0x0531, 0x0556},   {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

static const cp_range ds_punct[] = {
    {0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};

static const cp_range cjk[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};
static const cp_range cjk_kana[] = {{0x4E00, 0x9FA5}, {0x3040, 0x309F}, {0x30A0, 0x30FF}};

static bool in_ranges(uint32_t c, const cp_range *r, size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi) { /* r sorted by first */
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid].first)
            hi = mid;
        else if (c > r[mid].last)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static bool in_list(uint32_t c, const cp_range *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (c >= r[i].first && c <= r[i].last) return true;
    }
    return false;
}

/* One piece of text being matched: code points c[s..e), flags f[]. */
typedef struct seg {
    const uint32_t *c;
    const uint16_t *f;
    size_t s, e;
    size_t ws_tail; /* start of the whitespace run that ends the piece (e if none) */
} seg;

#define F_WS GL_UCD_WS
#define F_L  GL_UCD_L
#define F_N  GL_UCD_N
#define F_P  GL_UCD_P
#define F_S  GL_UCD_S
#define F_M  GL_UCD_M

static bool has(const seg *g, size_t i, uint32_t fl) {
    return i < g->e && (g->f[i] & fl) != 0;
}
static bool is_crlf(uint32_t c) {
    return c == '\r' || c == '\n';
}
/* [^\s\p{L}\p{N}] */
static bool is_other(const seg *g, size_t i) {
    return i < g->e && (g->f[i] & (F_WS | F_L | F_N)) == 0;
}
static size_t run(const seg *g, size_t i, uint32_t fl) {
    size_t j = i;
    while (j < g->e && (g->f[j] & fl)) j++;
    return j - i;
}
static uint32_t ascii_lower(uint32_t c) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive */
static size_t m_contraction(const seg *g, size_t i, bool ci) {
    if (g->c[i] != '\'' || i + 1 >= g->e) return 0;
    uint32_t a = ci ? ascii_lower(g->c[i + 1]) : g->c[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= g->e) return 0;
    uint32_t b = ci ? ascii_lower(g->c[i + 2]) : g->c[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* \s+(?!\S): the whole run at the end of the piece, else the run but its last space (which
 * then begins the next piece), else nothing. */
static size_t m_ws_not_before_nonws(const seg *g, size_t i) {
    size_t r = run(g, i, F_WS);
    if (r == 0) return 0;
    if (i + r == g->e) return r;
    return r > 1 ? r - 1 : 0;
}

/* \s*[\r\n]+ : through the last CR/LF of the whitespace run. */
static size_t m_ws_newlines(const seg *g, size_t i) {
    size_t r = run(g, i, F_WS);
    for (size_t k = i + r; k > i; k--) {
        if (is_crlf(g->c[k - 1])) return k - i;
    }
    return 0;
}

/* ...|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t m_ws_tail3(const seg *g, size_t i) {
    size_t m = m_ws_newlines(g, i);
    if (m) return m;
    m = m_ws_not_before_nonws(g, i);
    if (m) return m;
    return run(g, i, F_WS);
}

/* " ?X+" where X is a class test */
#define SPACE_OPT_RUN(g, i, test)                                                                  \
    do {                                                                                           \
        size_t j_ = (i);                                                                           \
        if ((g)->c[j_] == ' ' && (j_ + 1 < (g)->e) && test((g), j_ + 1)) j_++;                     \
        if (test((g), j_)) {                                                                       \
            while (j_ < (g)->e && test((g), j_)) j_++;                                             \
            return j_ - (i);                                                                       \
        }                                                                                          \
    } while (0)

static bool t_letter(const seg *g, size_t i) {
    return has(g, i, F_L);
}
static bool t_number(const seg *g, size_t i) {
    return has(g, i, F_N);
}

static size_t m_gpt2(const seg *g, size_t i) {
    size_t m = m_contraction(g, i, false);
    if (m) return m;
    SPACE_OPT_RUN(g, i, t_letter);
    SPACE_OPT_RUN(g, i, t_number);
    SPACE_OPT_RUN(g, i, is_other);
    return m_ws_not_before_nonws(g, i);
}

/* Letter classes of the case-splitting patterns: U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}],
 * W = [\p{Ll}\p{Lm}\p{Lo}\p{M}]. */
static bool is_u(const seg *g, size_t i) {
    return i < g->e && (((g->f[i] & F_L) && !(g->f[i] & GL_UCD_LOWER)) || (g->f[i] & F_M));
}
static bool is_w(const seg *g, size_t i) {
    return i < g->e && (((g->f[i] & F_L) && !(g->f[i] & GL_UCD_UPPER)) || (g->f[i] & F_M));
}
static size_t run_u(const seg *g, size_t i) {
    size_t j = i;
    while (is_u(g, j)) j++;
    return j - i;
}
static size_t run_w(const seg *g, size_t i) {
    size_t j = i;
    while (is_w(g, j)) j++;
    return j - i;
}

/* U*W+ from j, backtracking U* (U and W overlap): the end offset, or 0. */
static size_t m_u_star_w_plus(const seg *g, size_t j) {
    size_t a = run_u(g, j);
    for (size_t k = a + 1; k-- > 0;) {
        if (is_w(g, j + k)) return j + k + run_w(g, j + k);
    }
    return 0;
}
/* U+W* from j: the end offset, or 0. */
static size_t m_u_plus_w_star(const seg *g, size_t j) {
    size_t a = run_u(g, j);
    return a ? j + a + run_w(g, j + a) : 0;
}

static size_t m_case_split(const seg *g, size_t i, size_t max_digits, bool contractions) {
    /* [^\r\n\p{L}\p{N}]? before either letter alternative: with it first, then without */
    bool pre = !is_crlf(g->c[i]) && !has(g, i, F_L | F_N);
    for (int alt = 0; alt < 2; alt++) {
        for (int with = pre ? 1 : 0; with >= 0; with--) {
            size_t j = i + (size_t)with;
            size_t end = alt == 0 ? m_u_star_w_plus(g, j) : m_u_plus_w_star(g, j);
            if (end)
                return end - i + (contractions && end < g->e ? m_contraction(g, end, true) : 0);
        }
    }
    if (has(g, i, F_N)) return GL_MIN(run(g, i, F_N), max_digits);
    /*  ?[^\s\p{L}\p{N}]+[\r\n/]* */
    {
        size_t j = i;
        if (g->c[j] == ' ' && is_other(g, j + 1)) j++;
        if (is_other(g, j)) {
            while (is_other(g, j)) j++;
            while (j < g->e && (is_crlf(g->c[j]) || g->c[j] == '/')) j++;
            return j - i;
        }
    }
    return m_ws_tail3(g, i);
}

static size_t m_llama3(const seg *g, size_t i, size_t max_digits, bool newlines_after_symbols) {
    size_t m = m_contraction(g, i, true);
    if (m) return m;
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    {
        size_t j = i;
        if (!is_crlf(g->c[j]) && !has(g, j, F_L | F_N) && has(g, j + 1, F_L)) j++;
        if (has(g, j, F_L)) return j - i + run(g, j, F_L);
    }
    /* \p{N}{1,max} */
    if (has(g, i, F_N)) return GL_MIN(run(g, i, F_N), max_digits);
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
    {
        size_t j = i;
        if (g->c[j] == ' ' && is_other(g, j + 1)) j++;
        if (is_other(g, j)) {
            while (is_other(g, j) && (newlines_after_symbols || !is_crlf(g->c[j]))) j++;
            while (newlines_after_symbols && j < g->e && is_crlf(g->c[j])) j++;
            return j - i;
        }
    }
    return m_ws_tail3(g, i);
}

static bool is_ascii_punct(uint32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}
static bool is_ascii_letter(uint32_t c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static size_t m_ds3(const seg *g, size_t i) {
    /* [ASCII punctuation][A-Za-z]+ */
    if (is_ascii_punct(g->c[i]) && i + 1 < g->e && is_ascii_letter(g->c[i + 1])) {
        size_t j = i + 1;
        while (j < g->e && is_ascii_letter(g->c[j])) j++;
        return j - i;
    }
    /* [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ */
    {
        size_t j = i;
        if (!is_crlf(g->c[j]) && !has(g, j, F_L | F_P | F_S) && has(g, j + 1, F_L | F_M)) j++;
        if (has(g, j, F_L | F_M)) return j - i + run(g, j, F_L | F_M);
    }
    /*  ?[\p{P}\p{S}]+[\r\n]* */
    {
        size_t j = i;
        if (g->c[j] == ' ' && has(g, j + 1, F_P | F_S)) j++;
        if (has(g, j, F_P | F_S)) {
            j += run(g, j, F_P | F_S);
            while (j < g->e && is_crlf(g->c[j])) j++;
            return j - i;
        }
    }
    return m_ws_tail3(g, i);
}

static bool is_punct_default(const seg *g, size_t i, bool backtick) {
    uint32_t c = g->c[i];
    return (g->f[i] & F_P) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
           c == '^' || c == '~' || c == '|' || (backtick && c == '`');
}

static bool is_bloom_excluded(const seg *g, size_t i) {
    static const uint32_t ex[] = {'(',    '|',    '.',    ',',    '!',    '?',    0x2026,
                                  0x3002, 0xFF0C, 0x3001, 0x0964, 0x06D4, 0x060C, ')'};
    if (g->f[i] & F_WS) return true;
    for (size_t k = 0; k < GL_ARRAY_LEN(ex); k++) {
        if (g->c[i] == ex[k]) return true;
    }
    return false;
}

/* \s?[class]+ for a code point list */
static size_t m_ws_opt_list(const seg *g, size_t i, const cp_range *r, size_t n, bool sorted) {
    size_t j = i;
#define IN_(k) (sorted ? in_ranges(g->c[k], r, n) : in_list(g->c[k], r, n))
    if ((g->f[j] & F_WS) && j + 1 < g->e && IN_(j + 1)) j++;
    if (!IN_(j)) return 0;
    while (j < g->e && IN_(j)) j++;
#undef IN_
    return j - i;
}

static size_t m_ws_opt_class(const seg *g, size_t i, uint32_t fl) {
    size_t j = i;
    if ((g->f[j] & F_WS) && has(g, j + 1, fl)) j++;
    if (!has(g, j, fl)) return 0;
    return j - i + run(g, j, fl);
}

static size_t match_at(int pat, const seg *g, size_t i) {
    switch (pat) {
    case PAT_GPT2:
        return m_gpt2(g, i);
    case PAT_LLAMA3:
        return m_llama3(g, i, 3, true);
    case PAT_QWEN2:
        return m_llama3(g, i, 1, true);
    case PAT_SEED_CODER:
        return m_llama3(g, i, 1, false);
    case PAT_TEKKEN:
        return m_case_split(g, i, 1, false);
    case PAT_GPT4O:
        return m_case_split(g, i, 3, true);
    case PAT_DS3:
        return m_ds3(g, i);
    case PAT_N1:
        return has(g, i, F_N) ? 1 : 0;
    case PAT_NPLUS:
        return run(g, i, F_N);
    case PAT_N3:
        return GL_MIN(run(g, i, F_N), (size_t)3);
    case PAT_ASCII_D3: {
        size_t k = 0;
        while (k < 3 && i + k < g->e && g->c[i + k] >= '0' && g->c[i + k] <= '9') k++;
        return k == 3 ? 3 : 0;
    }
    case PAT_PUNCT:
    case PAT_PUNCT_FALCON: {
        size_t j = i;
        while (j < g->e && is_punct_default(g, j, pat == PAT_PUNCT_FALCON)) j++;
        return j - i;
    }
    case PAT_CRLF:
        return is_crlf(g->c[i]) ? 1 : 0;
    case PAT_DS_LETTERS:
        return m_ws_opt_list(g, i, ds_letters, GL_ARRAY_LEN(ds_letters), true);
    case PAT_DS_PUNCT:
        return m_ws_opt_list(g, i, ds_punct, GL_ARRAY_LEN(ds_punct), false);
    case PAT_WS_END:
        return i >= g->ws_tail ? g->e - i : 0;
    case PAT_CJK:
    case PAT_CJK_KANA: {
        const cp_range *r = pat == PAT_CJK ? cjk : cjk_kana;
        size_t j = i;
        while (j < g->e && in_list(g->c[j], r, 3)) j++;
        return j - i;
    }
    case PAT_SP_L:
        return m_ws_opt_class(g, i, F_L);
    case PAT_SP_P:
        return m_ws_opt_class(g, i, F_P);
    case PAT_BLOOM: {
        size_t j = i;
        if (g->c[j] == ' ' && j + 1 < g->e && !is_bloom_excluded(g, j + 1)) j++;
        while (j < g->e && !is_bloom_excluded(g, j)) j++;
        return j - i;
    }
    default:
        return 0;
    }
}

typedef struct scheme {
    const char *names; /* '|'-separated tokenizer.ggml.pre values */
    gl_pretok p;
} scheme;

#define PATS(...) .n_patterns = sizeof((uint8_t[]){__VA_ARGS__}), .patterns = {__VA_ARGS__}

static const scheme schemes[] = {
    {"default|", {.name = "default", PATS(PAT_PUNCT, PAT_GPT2, PAT_NPLUS, PAT_ASCII_D3)}},
    {"llama3|llama-v3|llama-bpe|falcon3|falcon-h1|pixtral|midm-2.0|lfm2",
     {.name = "llama3", PATS(PAT_LLAMA3), .ignore_merges = true, .add_bos = true}},
    {"dbrx|smaug-bpe|chatglm-bpe|glm4", {.name = "llama3", PATS(PAT_LLAMA3)}},
    {"deepseek-llm",
     {.name = "deepseek-llm",
      PATS(PAT_CRLF, PAT_DS_LETTERS, PAT_DS_PUNCT, PAT_WS_END, PAT_CJK, PAT_NPLUS)}},
    {"deepseek-coder",
     {.name = "deepseek-coder", PATS(PAT_CRLF, PAT_SP_L, PAT_SP_P, PAT_CJK, PAT_N1)}},
    {"deepseek-v3|hunyuan-dense", {.name = "deepseek-v3", PATS(PAT_N3, PAT_CJK_KANA, PAT_DS3)}},
    {"falcon", {.name = "falcon", PATS(PAT_PUNCT_FALCON, PAT_GPT2, PAT_ASCII_D3)}},
    {"gpt-2|mpt|phi-2|olmo|jais|jina-es|jina-de|jina-v1-en|jina-v2-es|jina-v2-de|jina-v2-code|"
     "roberta-bpe|gigachat|a.x-4.0|mellum|trillion|granite-docling|exaone4",
     {.name = "gpt2", PATS(PAT_GPT2)}},
    {"starcoder|refact|command-r|smollm|codeshell|exaone|minerva-7b",
     {.name = "starcoder", PATS(PAT_N1, PAT_GPT2)}},
    {"qwen2|deepseek-r1-qwen|kormo|megrez|stablelm2|hunyuan|grok-2|bailingmoe|bailingmoe2|"
     "llada-moe",
     {.name = "qwen2", PATS(PAT_QWEN2)}},
    {"seed-coder", {.name = "seed-coder", PATS(PAT_SEED_CODER)}},
    {"tekken", {.name = "tekken", PATS(PAT_TEKKEN), .ignore_merges = true, .add_bos = true}},
    {"gpt-4o|llama4|minimax-m2", {.name = "gpt-4o", PATS(PAT_GPT4O)}},
    {"poro-chat|bloom|gpt3-finnish", {.name = "bloom", PATS(PAT_BLOOM)}},
    {"viking", {.name = "viking", PATS(PAT_BLOOM, PAT_N1)}},
};

bool gl_pretok_lookup(const char *pre, size_t len, gl_pretok *out) {
    if (len == 0) {
        *out = schemes[0].p;
        return true;
    }
    for (size_t s = 0; s < GL_ARRAY_LEN(schemes); s++) {
        const char *n = schemes[s].names;
        while (*n) {
            const char *bar = strchr(n, '|');
            size_t nl = bar ? (size_t)(bar - n) : strlen(n);
            if (nl == len && memcmp(n, pre, len) == 0) {
                *out = schemes[s].p;
                return true;
            }
            n += nl + (bar ? 1 : 0);
        }
    }
    return false;
}

void gl_pretok_split(const gl_pretok *p, const uint32_t *cps, const uint16_t *flags, size_t n,
                     size_t *ends, size_t *tmp, size_t *n_pieces) {
    if (n == 0) {
        *n_pieces = 0;
        return;
    }
    /* Ping-pong between the two arrays; the result must end up in `ends`. */
    size_t *cur = (p->n_patterns % 2 == 0) ? ends : tmp;
    size_t *nxt = (cur == ends) ? tmp : ends;
    size_t n_cur = 1;
    cur[0] = n;
    for (int k = 0; k < p->n_patterns; k++) {
        size_t n_nxt = 0, start = 0;
        for (size_t s = 0; s < n_cur; s++) {
            seg g = {.c = cps, .f = flags, .s = start, .e = cur[s]};
            g.ws_tail = g.e;
            while (g.ws_tail > g.s && (flags[g.ws_tail - 1] & F_WS)) g.ws_tail--;
            size_t i = g.s, gap = g.s;
            while (i < g.e) {
                size_t m = match_at(p->patterns[k], &g, i);
                if (m == 0) {
                    i++;
                    continue;
                }
                if (i > gap) nxt[n_nxt++] = i;
                i += m;
                nxt[n_nxt++] = i;
                gap = i;
            }
            if (g.e > gap) nxt[n_nxt++] = g.e;
            start = g.e;
        }
        size_t *t = cur;
        cur = nxt;
        nxt = t;
        n_cur = n_nxt;
    }
    *n_pieces = n_cur;
}
