/* Tokenizers: pre-tokenizer splits and merges on small hand-built vocabs, then llama.cpp's
 * tokenizer test set (vocab GGUFs with .inp strings and the Hugging Face ids in .out), the
 * stories260K prompt, and detokenization round trips. */
#include "test_util.h"

#include "common.h"
#include "gguf.h"
#include "tokenizer/pretok.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static void print_ids(const char *label, const int32_t *ids, size_t n) {
    fprintf(stderr, "    %s (%zu):", label, n);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
    fputc('\n', stderr);
}

static void print_escaped(const char *label, const char *s, size_t n) {
    fprintf(stderr, "    %s: \"", label);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fputs("\\n", stderr);
        else if (c == '\t')
            fputs("\\t", stderr);
        else if (c == '"')
            fputs("\\\"", stderr);
        else if (c < 0x20)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    fputs("\"\n", stderr);
}

/* Tokenizes into a malloc'ed array (caller frees); NULL on failure. */
static int32_t *tokenize(const gl_vocab *v, const char *s, size_t len, bool add_special,
                         bool parse_special, size_t *n) {
    size_t need = 0;
    glint_status st = gl_vocab_tokenize(v, s, len, add_special, parse_special, NULL, 0, &need);
    if (st != GLINT_OK && st != GLINT_ERROR_BUFFER_TOO_SMALL) return NULL;
    int32_t *ids = malloc((need ? need : 1) * sizeof(int32_t));
    st = gl_vocab_tokenize(v, s, len, add_special, parse_special, ids, need, n);
    if (st != GLINT_OK || *n != need) {
        free(ids);
        return NULL;
    }
    return ids;
}

/* Concatenated pieces into a malloc'ed string. */
static char *detokenize(const gl_vocab *v, const int32_t *ids, size_t n, bool special,
                        size_t *len) {
    size_t cap = 64, used = 0;
    char *out = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        size_t need = 0;
        glint_status st =
            gl_vocab_token_to_piece(v, ids[i], special, out + used, cap - used, &need);
        if (st == GLINT_ERROR_BUFFER_TOO_SMALL) {
            while (cap - used < need) cap *= 2;
            out = realloc(out, cap);
            st = gl_vocab_token_to_piece(v, ids[i], special, out + used, cap - used, &need);
        }
        if (st != GLINT_OK) {
            free(out);
            return NULL;
        }
        used += need;
    }
    *len = used;
    return out;
}

/* Checks that tokenizing s gives want[0..n_want). */
static void check_tokens(const char *what, const gl_vocab *v, const char *s, bool add_special,
                         bool parse_special, const int32_t *want, size_t n_want) {
    size_t n = 0;
    int32_t *got = tokenize(v, s, strlen(s), add_special, parse_special, &n);
    bool ok = got && n == n_want && (n == 0 || memcmp(got, want, n * sizeof(int32_t)) == 0);
    CHECK_MSG(ok, "%s: tokens differ", what);
    if (!ok) {
        print_escaped("text", s, strlen(s));
        print_ids("want", want, n_want);
        if (got) print_ids("got ", got, n);
    }
    free(got);
}

/* ---- pre-tokenizers --------------------------------------------------------------------- */

/* Splits UTF-8 text with the scheme and joins the pieces with '|'. */
static void split_joined(const char *pre, const char *text, char *out, size_t cap) {
    gl_pretok p;
    out[0] = 0;
    if (!gl_pretok_lookup(pre, strlen(pre), &p)) {
        snprintf(out, cap, "<unknown scheme>");
        return;
    }
    size_t len = strlen(text), n = 0;
    uint32_t *cps = malloc((len + 1) * sizeof(uint32_t));
    uint16_t *fl = malloc((len + 1) * sizeof(uint16_t));
    size_t *boff = malloc((len + 1) * sizeof(size_t));
    size_t *ends = malloc((len + 1) * sizeof(size_t));
    size_t *tmp = malloc((len + 1) * sizeof(size_t));
    for (size_t off = 0; off < len; n++) {
        boff[n] = off;
        off += gl_utf8_decode((const unsigned char *)text + off, len - off, &cps[n]);
        fl[n] = (uint16_t)gl_ucd_flags(cps[n]);
    }
    boff[n] = len;
    size_t np = 0, start = 0, o = 0;
    gl_pretok_split(&p, cps, fl, n, ends, tmp, &np);
    for (size_t i = 0; i < np; i++) {
        size_t a = boff[start], b = boff[ends[i]];
        if (i) o += (size_t)snprintf(out + o, cap - o, "|");
        o += (size_t)snprintf(out + o, cap - o, "%.*s", (int)(b - a), text + a);
        start = ends[i];
    }
    free(cps);
    free(fl);
    free(boff);
    free(ends);
    free(tmp);
}

static void test_pretok(void) {
    static const struct {
        const char *pre, *text, *want;
    } cases[] = {
        /* GPT-2: contractions, optional leading space, whitespace before a word stays apart */
        {"gpt-2", "Hello world", "Hello| world"},
        {"gpt-2", "I've  been 'told", "I|'ve| | been| '|told"},
        {"gpt-2", "a\tb", "a|\t|b"},
        {"gpt-2", "x   \n", "x|   \n"},
        {"gpt-2", "3.14 km", "3|.|14| km"},
        {"gpt-2", "don'T", "don|'|T"},
        /* llama3: case-insensitive contractions, one non-letter glued to a word, digits by 3,
         * whitespace through the last newline */
        {"llama-bpe", "don'T", "don|'T"},
        {"llama-bpe", "12345 (x)", "123|45| (|x|)"},
        {"llama-bpe", "Hello, world!  \n\n x", "Hello|,| world|!|  \n\n| x"},
        {"llama-bpe", "\tfoo", "\tfoo"},
        {"llama-bpe", "a  ", "a|  "},
        {"llama-bpe", "!!\n\nx", "!!\n\n|x"},
        /* splits behind the llama3 ids in llama.cpp's test-tokenizer-0 */
        {"llama-bpe", "Hello, y'all! How", "Hello|,| y|'all|!| How"},
        {"llama-bpe", "   Hello\n =", "  | Hello|\n| ="},
        {"llama-bpe", "3333333", "333|333|3"},
        {"llama-bpe", ") \xf0\x9f\x98\xb6\xe2\x80\x8d\xf0\x9f\x8c\xab\xef\xb8\x8f (m",
         ")| \xf0\x9f\x98\xb6\xe2\x80\x8d\xf0\x9f\x8c\xab\xef\xb8\x8f| (|m"},
        /* qwen2: single digits */
        {"qwen2", "2024", "2|0|2|4"},
        /* refact/starcoder: digits split first, so no space is glued to them */
        {"refact", "w048 7tuijk", "w|0|4|8| |7|tuijk"},
        /* deepseek-llm: newlines alone, letters with one leading space, CJK runs */
        {"deepseek-llm", "Hi you\n\n", "Hi| you|\n|\n"},
        {"deepseek-llm", "ab 12 \xe6\x88\x91\xe6\x83\xb3", "ab| |12| |\xe6\x88\x91\xe6\x83\xb3"},
        /* seed-coder: no newlines glued to symbols */
        {"seed-coder", "!!\n\nx", "!!|\n\n|x"},
        /* gpt-4o / tekken: words split at case changes, contractions stay on the word */
        {"gpt-4o", "HelloWorld HTTPServer ABC def", "Hello|World| HTTPServer| ABC| def"},
        {"gpt-4o", "don't I'M 12345", "don't| I'M| |123|45"},
        {"gpt-4o", "x //\n", "x| //\n"},
        {"tekken", "HelloWorld 2024", "Hello|World| |2|0|2|4"},
        /* the default scheme splits punctuation runs before the GPT-2 pattern */
        {"default", "a+=b", "a|+=|b"},
    };
    char got[512];
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        split_joined(cases[i].pre, cases[i].text, got, sizeof(got));
        CHECK_MSG(strcmp(got, cases[i].want) == 0, "pre '%s' on \"%s\": got \"%s\", want \"%s\"",
                  cases[i].pre, cases[i].text, got, cases[i].want);
    }
    gl_pretok p;
    CHECK(!gl_pretok_lookup("no-such-pre", 11, &p));
    CHECK(gl_pretok_lookup("", 0, &p) && strcmp(p.name, "default") == 0);
}

static void test_unicode(void) {
    CHECK_EQ_INT(gl_ucd_flags('A') & (GL_UCD_L | GL_UCD_UPPER), GL_UCD_L | GL_UCD_UPPER);
    CHECK_EQ_INT(gl_ucd_flags('7'), GL_UCD_N);
    CHECK_EQ_INT(gl_ucd_flags(' '), GL_UCD_Z | GL_UCD_WS);
    CHECK_EQ_INT(gl_ucd_flags('\n'), GL_UCD_C | GL_UCD_WS);
    CHECK_EQ_INT(gl_ucd_flags('$'), GL_UCD_S);
    CHECK_EQ_INT(gl_ucd_flags('!'), GL_UCD_P);
    CHECK_EQ_INT(gl_ucd_flags(0x0301), GL_UCD_M); /* combining acute */
    CHECK_EQ_INT(gl_ucd_flags(0x00BD), GL_UCD_N); /* ½ is No */
    CHECK_EQ_INT(gl_ucd_flags(0x3000), GL_UCD_Z | GL_UCD_WS);
    CHECK_EQ_INT(gl_ucd_flags(0x0085), GL_UCD_C | GL_UCD_WS);
    CHECK_EQ_INT(gl_ucd_flags(0x4E00), GL_UCD_L);
    CHECK_EQ_INT(gl_ucd_flags(0x1F999), GL_UCD_S); /* 🦙 */
    CHECK_EQ_INT(gl_ucd_flags(0x0378), 0);         /* unassigned */
    /* GPT-2 byte mapping: a bijection onto printable code points */
    CHECK_EQ_INT(gl_byte_to_cp(' '), 0x120);
    CHECK_EQ_INT(gl_byte_to_cp('\n'), 0x10A);
    CHECK_EQ_INT(gl_byte_to_cp('a'), 'a');
    CHECK_EQ_INT(gl_byte_to_cp(0xAD), 0x143);
    int bad = 0;
    for (int b = 0; b < 256; b++) bad += gl_cp_to_byte(gl_byte_to_cp((uint8_t)b)) != b;
    CHECK_EQ_INT(bad, 0);
    /* UTF-8 decoding: invalid bytes become U+FFFD one byte at a time */
    uint32_t cp;
    CHECK_EQ_INT(gl_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
    CHECK_EQ_INT(cp, 0xE9);
    CHECK_EQ_INT(gl_utf8_decode((const unsigned char *)"\xc3", 1, &cp), 1);
    CHECK_EQ_INT(cp, 0xFFFD);
    CHECK_EQ_INT(gl_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 1); /* surrogate */
    CHECK_EQ_INT(gl_utf8_decode((const unsigned char *)"\xc0\xaf", 2, &cp), 1);     /* overlong */
}

/* ---- hand-built vocabs ------------------------------------------------------------------ */

static gl_str S(const char *s) {
    gl_str r = {s, strlen(s)};
    return r;
}

static void test_spm_small(void) {
    /* <unk> <s> </s>, byte tokens for 0xC3 and 0xA9 only, then pieces with scores */
    const char *texts[] = {"<unk>",
                           "<s>",
                           "</s>",
                           "<0xC3>",
                           "<0xA9>",
                           "\xe2\x96\x81",
                           "a",
                           "b",
                           "c",
                           "ab",
                           "bc",
                           "\xe2\x96\x81"
                           "a",
                           "abc",
                           "<|eot|>",
                           "<user>"};
    float scores[] = {0, 0, 0, 0, 0, -5, -1, -1, -1, -3, -2, -4, -6, 0, 0};
    int32_t types[] = {2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, 1, 1, 3, 4};
    gl_str toks[GL_ARRAY_LEN(texts)];
    for (size_t i = 0; i < GL_ARRAY_LEN(texts); i++) toks[i] = S(texts[i]);
    gl_vocab_desc d = gl_vocab_desc_default();
    d.model = "llama";
    d.n_tokens = GL_ARRAY_LEN(texts);
    d.tokens = toks;
    d.scores = scores;
    d.types = types;
    d.eot = 13;
    gl_vocab *v = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(gl_vocab_create(&d, &v, &err), GLINT_OK);
    if (!v) {
        fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    CHECK_EQ_INT(gl_vocab_bos(v), 1); /* SPM defaults */
    CHECK_EQ_INT(gl_vocab_eos(v), 2);
    CHECK(gl_vocab_add_bos(v));
    CHECK(strcmp(gl_vocab_model_name(v), "llama") == 0);
    CHECK(gl_vocab_is_eog(v, 2) && gl_vocab_is_eog(v, 13) && !gl_vocab_is_eog(v, 6));

    /* "abc" -> "▁abc": bc (-2) merges before ab (-3); then "▁a"? no: ▁+a (-4) beats nothing
     * else, giving ▁a|bc -> no "▁abc" token, so [▁a, bc]. */
    check_tokens("spm score order", v, "abc", false, false, (int32_t[]){11, 10}, 2);
    /* BOS added; é is not a piece: byte fallback */
    check_tokens("spm byte fallback", v, "a\xc3\xa9", true, false, (int32_t[]){1, 11, 3, 4}, 4);
    /* a byte with no <0xNN> token becomes <unk> */
    check_tokens("spm unk", v, "b\x01", false, false, (int32_t[]){5, 7, 0}, 3);
    /* spaces: "a b" -> ▁a ▁ b */
    check_tokens("spm spaces", v, "a b", false, false, (int32_t[]){11, 5, 7}, 3);
    /* control text is split only with parse_special; the text after it gets a space prefix;
     * user-defined tokens are split always */
    check_tokens("spm control off", v, "<|eot|>", false, false, (int32_t[]){5, 0, 0, 0, 0, 0, 0, 0},
                 8);
    check_tokens("spm control on", v, "a<|eot|>a", false, true, (int32_t[]){11, 13, 11}, 3);
    check_tokens("spm user-defined", v, "a<user>", false, false, (int32_t[]){11, 14}, 2);
    check_tokens("spm empty", v, "", false, false, NULL, 0);
    check_tokens("spm empty + bos", v, "", true, false, (int32_t[]){1}, 1);

    /* buffer too small reports the count needed and fills what fits */
    int32_t buf[2] = {-7, -7};
    size_t n = 0;
    CHECK_STATUS(gl_vocab_tokenize(v, "a b", 3, false, false, buf, 1, &n),
                 GLINT_ERROR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(buf[0], 11);
    CHECK_EQ_INT(buf[1], -7);

    /* pieces */
    char p[16];
    CHECK_STATUS(gl_vocab_token_to_piece(v, 11, false, p, sizeof(p), &n), GLINT_OK);
    CHECK(n == 2 && memcmp(p, " a", 2) == 0);
    CHECK_STATUS(gl_vocab_token_to_piece(v, 3, false, p, sizeof(p), &n), GLINT_OK);
    CHECK(n == 1 && (unsigned char)p[0] == 0xC3);
    CHECK_STATUS(gl_vocab_token_to_piece(v, 13, false, p, sizeof(p), &n), GLINT_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_STATUS(gl_vocab_token_to_piece(v, 13, true, p, sizeof(p), &n), GLINT_OK);
    CHECK(n == 7 && memcmp(p, "<|eot|>", 7) == 0);
    CHECK_STATUS(gl_vocab_token_to_piece(v, 13, true, p, 3, &n), GLINT_ERROR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(n, 7);
    CHECK_STATUS(gl_vocab_token_to_piece(v, 99, true, p, sizeof(p), &n),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_vocab_token_to_piece(v, -1, true, p, sizeof(p), &n),
                 GLINT_ERROR_INVALID_ARGUMENT);
    gl_vocab_free(v);
}

static void test_bpe_small(void) {
    /* ids 0..255 are the byte tokens in byte order, then merged tokens */
    char store[256][4];
    gl_str toks[256 + 9];
    for (int b = 0; b < 256; b++) {
        size_t l = gl_utf8_encode(gl_byte_to_cp((uint8_t)b), store[b]);
        toks[b] = (gl_str){store[b], l};
    }
    const char *extra[] = {"lo",
                           "low",
                           "\xc4\xa0"
                           "l",
                           "\xc4\xa0"
                           "low",
                           "er",
                           "lower",
                           "<|endoftext|>",
                           "<|im_end|>",
                           "ll"};
    for (int i = 0; i < 9; i++) toks[256 + i] = S(extra[i]);
    int32_t types[265];
    for (int i = 0; i < 265; i++) types[i] = (i == 262 || i == 263) ? 3 : 1;
    /* rank = position */
    gl_str merges[] = {S("l o"),          S("lo w"),         S("e r"),
                       S("\xc4\xa0 l"),   S("\xc4\xa0l ow"), S("\xc4\xa0 lo"),
                       S("\xc4\xa0lo w"), S("low er"),       S("l l")};
    gl_vocab_desc d = gl_vocab_desc_default();
    d.model = "gpt2";
    d.pre = "gpt-2";
    d.n_tokens = 265;
    d.tokens = toks;
    d.types = types;
    d.merges = merges;
    d.n_merges = GL_ARRAY_LEN(merges);
    d.eos = 262;
    gl_vocab *v = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(gl_vocab_create(&d, &v, &err), GLINT_OK);
    if (!v) {
        fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    CHECK(!gl_vocab_add_bos(v));
    CHECK_EQ_INT(gl_vocab_bos(v), -1);
    CHECK(gl_vocab_is_eog(v, 262) && gl_vocab_is_eog(v, 263)); /* eos, and <|im_end|> by name */
    CHECK(!gl_vocab_is_eog(v, 261) && !gl_vocab_is_eog(v, -1) && !gl_vocab_is_eog(v, 9999));
    CHECK(strcmp(gl_vocab_pre_name(v), "gpt2") == 0);
    CHECK(strcmp(gl_vocab_model_name(v), "gpt2") == 0);
    /* l+o (0), lo+w (1), e+r (2), low+er (7) */
    check_tokens("bpe lower", v, "lower", false, false, (int32_t[]){261}, 1);
    /* Ġ+l (3) loses to l+o (0); then Ġ+lo (5) makes "Ġlo", which is no token: its
     * characters come out one by one */
    check_tokens("bpe fallback", v, "low lo", false, false, (int32_t[]){257, 32, 108, 111}, 4);
    /* after lo+w (1) the pair Ġ+low has no rank */
    check_tokens("bpe rank order", v, " low", false, false, (int32_t[]){32, 257}, 2);
    /* equal ranks: the leftmost pair first */
    check_tokens("bpe leftmost", v, "lll", false, false, (int32_t[]){264, 108}, 2);
    check_tokens("bpe special on", v, "lo<|endoftext|>", false, true, (int32_t[]){256, 262}, 2);
    size_t n = 0;
    int32_t *ids = tokenize(v, "<|endoftext|>", 13, false, false, &n);
    CHECK(ids && n == 13 && ids[0] == '<' && ids[1] == '|'); /* plain text without parse_special */
    free(ids);
    /* any bytes round-trip, invalid UTF-8 included */
    const char *txt = "h\xc3\xa9llo w\xc3\xb6rld\n\t\xff\xfe x";
    ids = tokenize(v, txt, strlen(txt), false, false, &n);
    size_t dl = 0;
    char *back = ids ? detokenize(v, ids, n, false, &dl) : NULL;
    CHECK(back && dl == strlen(txt) && memcmp(back, txt, dl) == 0);
    free(back);
    free(ids);
    gl_vocab_free(v);

    /* llama3-style pre-tokenizers take a piece that is a token as is, merges or not */
    d.pre = "llama-bpe";
    toks[264] = S("\xc4\xa0lo"); /* replaces "ll": now " lo" is one token */
    CHECK_STATUS(gl_vocab_create(&d, &v, &err), GLINT_OK);
    if (v) {
        CHECK(gl_vocab_add_bos(v) == false); /* no bos id */
        check_tokens("bpe ignore_merges", v, " lo", false, false, (int32_t[]){264}, 1);
        gl_vocab_free(v);
    }

    /* unknown models and pre-tokenizers are refused with their name */
    d.pre = "no-such-pre";
    CHECK_STATUS(gl_vocab_create(&d, &v, &err), GLINT_ERROR_UNSUPPORTED);
    CHECK(v == NULL && strstr(err.msg, "no-such-pre") != NULL);
    d.pre = "gpt-2";
    d.model = "bert";
    CHECK_STATUS(gl_vocab_create(&d, &v, &err), GLINT_ERROR_UNSUPPORTED);
    CHECK(v == NULL && strstr(err.msg, "bert") != NULL);
    d.model = "gpt2";
    d.n_tokens = 0;
    CHECK_STATUS(gl_vocab_create(&d, &v, &err), GLINT_ERROR_INVALID_FILE);
}

/* ---- loading from GGUF: metadata errors --------------------------------------------------- */

typedef enum gguf_variant {
    GV_OK,
    GV_NO_MODEL,
    GV_MODEL_T5,
    GV_PRE_UNKNOWN,
    GV_NO_TOKENS,
    GV_SCORES_SHORT,
    GV_TYPES_FLOAT,
    GV_NO_MERGES,
} gguf_variant;

/* Writes a small byte-level BPE vocab GGUF (ids 0..255 = bytes, 256 = "ab", 257 = "<|eot_id|>")
 * with one defect and loads it. */
static glint_status load_variant(gguf_variant var, gl_vocab **v, gl_err *err) {
    char path[512];
    snprintf(path, sizeof(path), "%s/tok_variant_%d.%ld.gguf", GLINT_TEST_TMP, (int)var,
             (long)getpid());
    char store[256][4];
    gl_str toks[258];
    for (int b = 0; b < 256; b++) {
        size_t l = gl_utf8_encode(gl_byte_to_cp((uint8_t)b), store[b]);
        toks[b] = (gl_str){store[b], l};
    }
    toks[256] = S("ab");
    toks[257] = S("<|eot_id|>");
    int32_t types[258];
    float scores[258];
    for (int i = 0; i < 258; i++) {
        types[i] = i == 257 ? 3 : 1;
        scores[i] = 0;
    }
    gl_str merges[] = {S("a b")};
    gl_gguf_writer *w = NULL;
    if (gl_gguf_writer_create(&w) != GLINT_OK) return GLINT_ERROR_OUT_OF_MEMORY;
    if (var != GV_NO_MODEL)
        gl_gguf_writer_set_str(w, "tokenizer.ggml.model", var == GV_MODEL_T5 ? "t5" : "gpt2");
    gl_gguf_writer_set_str(w, "tokenizer.ggml.pre", var == GV_PRE_UNKNOWN ? "foo-bar" : "qwen2");
    if (var != GV_NO_TOKENS) gl_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, 258);
    gl_gguf_writer_set_arr(w, "tokenizer.ggml.scores", GL_GGUF_FLOAT32, scores,
                           var == GV_SCORES_SHORT ? 257 : 258);
    if (var == GV_TYPES_FLOAT)
        gl_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GL_GGUF_FLOAT32, scores, 258);
    else
        gl_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GL_GGUF_INT32, types, 258);
    if (var != GV_NO_MERGES) gl_gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", merges, 1);
    gl_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 99999); /* outside: ignored */
    gl_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 257);
    gl_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", true);
    glint_status st = gl_gguf_writer_write(w, path, err);
    gl_gguf_writer_free(w);
    if (st != GLINT_OK) return st;
    gl_gguf *g = NULL;
    st = gl_gguf_open(path, &g, err);
    if (st == GLINT_OK) st = gl_vocab_load(g, v, err);
    gl_gguf_close(g);
    remove(path);
    return st;
}

static void test_gguf_errors(void) {
    static const struct {
        gguf_variant var;
        glint_status want;
        const char *msg; /* a word the error must name */
    } cases[] = {
        {GV_NO_MODEL, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.model"},
        {GV_MODEL_T5, GLINT_ERROR_UNSUPPORTED, "t5"},
        {GV_PRE_UNKNOWN, GLINT_ERROR_UNSUPPORTED, "foo-bar"},
        {GV_NO_TOKENS, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.tokens"},
        {GV_SCORES_SHORT, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.scores"},
        {GV_TYPES_FLOAT, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.token_type"},
        {GV_NO_MERGES, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.merges"},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        gl_vocab *v = NULL;
        gl_err err = {{0}};
        glint_status st = load_variant(cases[i].var, &v, &err);
        CHECK_MSG(st == cases[i].want && v == NULL && strstr(err.msg, cases[i].msg),
                  "variant %d: got %s (\"%s\"), want %s naming '%s'", (int)cases[i].var,
                  glint_status_string(st), err.msg, glint_status_string(cases[i].want),
                  cases[i].msg);
        gl_vocab_free(v);
    }
    gl_vocab *v = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(load_variant(GV_OK, &v, &err), GLINT_OK);
    if (!v) {
        fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    CHECK_EQ_INT(gl_vocab_n_tokens(v), 258);
    CHECK_EQ_INT(gl_vocab_bos(v), -1); /* 99999 is outside the vocab */
    CHECK_EQ_INT(gl_vocab_eos(v), 257);
    CHECK(!gl_vocab_add_bos(v)); /* asked for, but there is no BOS token */
    CHECK(gl_vocab_is_eog(v, 257));
    CHECK(strcmp(gl_vocab_pre_name(v), "qwen2") == 0);
    check_tokens("gguf vocab", v, "ab1<|eot_id|>", true, true, (int32_t[]){256, '1', 257}, 3);
    gl_vocab_free(v);
}

/* ---- llama.cpp's vocab test set --------------------------------------------------------- */

typedef struct vocab_case {
    const char *file;
    bool supported;
} vocab_case;

static void test_vocab_file(const char *name, bool expect_supported) {
    char path[1024], pin[1100], pout[1100];
    if (!gl_test_model_path(name, path, sizeof(path))) return;
    snprintf(pin, sizeof(pin), "%s.inp", path);
    snprintf(pout, sizeof(pout), "%s.out", path);
    gl_gguf *g = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(gl_gguf_open(path, &g, &err), GLINT_OK);
    if (!g) return;
    gl_vocab *v = NULL;
    glint_status st = gl_vocab_load(g, &v, &err);
    if (!expect_supported) {
        CHECK_MSG(st == GLINT_ERROR_UNSUPPORTED && !v, "%s: load gave %s, want unsupported", name,
                  glint_status_string(st));
        printf("%-32s refused: %s\n", name, err.msg);
        gl_vocab_free(v);
        gl_gguf_close(g);
        return;
    }
    CHECK_MSG(st == GLINT_OK, "%s: load failed: %s", name, err.msg);
    gl_gguf_close(g); /* the vocab must not depend on the file */
    if (!v) return;

    size_t in_len = 0, out_len = 0;
    char *inp = gl_test_read_file(pin, &in_len);
    char *outp = gl_test_read_file(pout, &out_len);
    CHECK_MSG(inp && outp, "%s: cannot read .inp/.out", name);
    if (!inp || !outp) {
        free(inp);
        free(outp);
        gl_vocab_free(v);
        return;
    }
    /* .inp: strings separated by "\n__ggml_vocab_test__\n" (the last one ends with it too);
     * .out: one line of ids per string. */
    static const char sep[] = "\n__ggml_vocab_test__\n";
    const size_t sep_len = sizeof(sep) - 1;
    int n_tests = 0, n_pass = 0, n_roundtrip = 0;
    size_t pos = 0;
    char *line = outp;
    bool spm = strcmp(gl_vocab_model_name(v), "llama") == 0;
    while (pos < in_len) {
        const char *next = strstr(inp + pos, sep);
        size_t slen = next ? (size_t)(next - (inp + pos)) : in_len - pos;
        const char *s = inp + pos;
        pos = next ? (size_t)(next - inp) + sep_len : in_len;

        /* expected ids */
        char *eol = line ? strchr(line, '\n') : NULL;
        if (!line || !*line) {
            CHECK_MSG(false, "%s: .out has fewer lines than .inp has strings", name);
            break;
        }
        if (eol) *eol = 0;
        int32_t want[512];
        size_t n_want = 0;
        for (char *p = line, *e; n_want < 512; p = e) {
            long x = strtol(p, &e, 10);
            if (e == p) break;
            want[n_want++] = (int32_t)x;
        }
        line = eol ? eol + 1 : NULL;

        n_tests++;
        size_t n = 0;
        int32_t *got = tokenize(v, s, slen, false, false, &n);
        bool ok = got && n == n_want && (n == 0 || memcmp(got, want, n * sizeof(int32_t)) == 0);
        n_pass += ok;
        CHECK_MSG(ok, "%s: test %d differs", name, n_tests);
        if (!ok) {
            print_escaped("text", s, slen);
            print_ids("want", want, n_want);
            if (got) print_ids("got ", got, n);
        }
        /* detokenizing gives the text back (SPM: after the space prefix it added) */
        if (got) {
            size_t dl = 0;
            char *back = detokenize(v, got, n, false, &dl);
            const char *b = back;
            if (back && spm && slen > 0 && dl > 0 && back[0] == ' ') {
                b++;
                dl--;
            }
            bool rt = back && dl == slen && memcmp(b, s, slen) == 0;
            n_roundtrip += rt;
            CHECK_MSG(rt, "%s: test %d does not round-trip", name, n_tests);
            if (!rt && back) print_escaped("back", b, dl);
            free(back);
        }
        free(got);
    }
    /* the whole .inp repeated to 100 KB in one call (timing printed, not asserted) */
    size_t big_len = 100 * 1024;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = inp[i % in_len];
    size_t n_big = 0;
    int64_t t0 = gl_time_us();
    int32_t *big_ids = tokenize(v, big, big_len, false, false, &n_big);
    int64_t t1 = gl_time_us();
    CHECK_MSG(big_ids && n_big > 1000, "%s: 100 KB text gave %zu tokens", name, n_big);
    free(big_ids);
    free(big);
    printf("%-45s %2d/%2d match, %2d/%2d round-trip, 100 KB in %6.1f ms (pre '%s')\n", name, n_pass,
           n_tests, n_roundtrip, n_tests, (t1 - t0) / 1000.0, gl_vocab_pre_name(v));
    CHECK_MSG(n_tests > 0, "%s: no tests read", name);
    free(inp);
    free(outp);
    gl_vocab_free(v);
}

/* Chat-template text with parse_special: control tokens are matched, and Phi-3's swallow the
 * whitespace after them (the vocab is named "Phi3"), while llama-spm's do not. */
static void test_special_parsing(void) {
    char path[1024];
    if (!gl_test_model_path("llama.cpp-vocab/ggml-vocab-phi-3.gguf", path, sizeof(path))) return;
    gl_gguf *g = NULL;
    gl_vocab *v = NULL;
    gl_err err = {{0}};
    if (gl_gguf_open(path, &g, &err) != GLINT_OK || gl_vocab_load(g, &v, &err) != GLINT_OK) {
        CHECK_MSG(false, "phi-3: %s", err.msg);
        gl_gguf_close(g);
        return;
    }
    gl_gguf_close(g);
    int32_t user = gl_vocab_find(v, "<|user|>", 8), end = gl_vocab_find(v, "<|end|>", 7);
    int32_t asst = gl_vocab_find(v, "<|assistant|>", 13);
    int32_t hello = gl_vocab_find(v, "\xe2\x96\x81Hello", 8);
    CHECK(user == 32010 && end == 32007 && asst == 32001 && hello > 0);
    CHECK(gl_vocab_is_eog(v, end));   /* by name */
    CHECK(gl_vocab_is_eog(v, 32000)); /* eos <|endoftext|> */
    CHECK(!gl_vocab_is_eog(v, asst));
    const char *chat = "<|user|>\nHello<|end|>\n<|assistant|>\n";
    int32_t want[] = {1, user, hello, end, asst};
    check_tokens("phi-3 chat", v, chat, true, true, want, GL_ARRAY_LEN(want));
    /* without parse_special the same text is plain text */
    size_t n = 0;
    int32_t *ids = tokenize(v, chat, strlen(chat), false, false, &n);
    bool any_special = false;
    for (size_t i = 0; ids && i < n; i++) any_special |= ids[i] == user || ids[i] == end;
    CHECK(ids && n > 10 && !any_special);
    free(ids);
    /* control pieces render only when asked */
    char p[32];
    CHECK_STATUS(gl_vocab_token_to_piece(v, end, true, p, sizeof(p), &n), GLINT_OK);
    CHECK(n == 7 && memcmp(p, "<|end|>", 7) == 0);
    CHECK_STATUS(gl_vocab_token_to_piece(v, end, false, p, sizeof(p), &n), GLINT_OK);
    CHECK_EQ_INT(n, 0);
    gl_vocab_free(v);
}

static void test_stories(void) {
    char path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof(path))) return;
    gl_gguf *g = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(gl_gguf_open(path, &g, &err), GLINT_OK);
    if (!g) return;
    gl_vocab *v = NULL;
    CHECK_STATUS(gl_vocab_load(g, &v, &err), GLINT_OK);
    gl_gguf_close(g);
    if (!v) {
        fprintf(stderr, "    %s\n", err.msg);
        return;
    }
    CHECK_EQ_INT(gl_vocab_n_tokens(v), 512);
    CHECK_EQ_INT(gl_vocab_bos(v), 1);
    CHECK_EQ_INT(gl_vocab_eos(v), 2);
    CHECK(gl_vocab_add_bos(v));
    CHECK(gl_vocab_is_eog(v, 2));
    CHECK(!gl_vocab_is_eog(v, 1));
    const char *prompt = "Once upon a time, there was a little";
    static const int32_t want[] = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
    check_tokens("stories260K prompt", v, prompt, true, false, want, GL_ARRAY_LEN(want));
    size_t n = 0, dl = 0;
    int32_t *ids = tokenize(v, prompt, strlen(prompt), true, false, &n);
    char *back = ids ? detokenize(v, ids, n, false, &dl) : NULL;
    /* BOS renders as nothing; the first piece carries the added space */
    CHECK(back && dl == strlen(prompt) + 1 && back[0] == ' ' &&
          memcmp(back + 1, prompt, strlen(prompt)) == 0);
    free(back);
    free(ids);

    /* a 100 KB text tokenizes in one pass (timing printed, not asserted) */
    size_t big_len = 100 * 1024;
    char *big = malloc(big_len + 1);
    for (size_t i = 0; i < big_len; i++) big[i] = prompt[i % strlen(prompt)];
    big[big_len] = 0;
    int64_t t0 = gl_time_us();
    ids = tokenize(v, big, big_len, true, false, &n);
    int64_t t1 = gl_time_us();
    CHECK(ids && n > 10000);
    printf("stories260K: 100 KB -> %zu tokens in %.1f ms\n", n, (t1 - t0) / 1000.0);
    free(ids);
    free(big);
    gl_vocab_free(v);
}

int main(void) {
    test_unicode();
    test_pretok();
    test_spm_small();
    test_bpe_small();
    test_gguf_errors();

    static const vocab_case files[] = {
        {"llama.cpp-vocab/ggml-vocab-llama-spm.gguf", true},
        {"llama.cpp-vocab/ggml-vocab-phi-3.gguf", true},
        {"llama.cpp-vocab/ggml-vocab-gpt-2.gguf", true},
        {"llama.cpp-vocab/ggml-vocab-mpt.gguf", true},
        {"llama.cpp-vocab/ggml-vocab-refact.gguf", true},
        {"llama.cpp-vocab/ggml-vocab-deepseek-llm.gguf", true},
        {"llama.cpp-vocab/ggml-vocab-bert-bge.gguf", false},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(files); i++)
        test_vocab_file(files[i].file, files[i].supported);
    test_special_parsing();
    test_stories();
    return gl_test_finish("test_tokenizer");
}
