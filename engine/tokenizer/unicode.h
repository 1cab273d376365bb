/* Unicode helpers for the tokenizers: UTF-8 decoding, general-category classes from the
 * generated tables (unicode_tables.c), and GPT-2's byte <-> printable code point mapping. */
#ifndef GLINT_TOKENIZER_UNICODE_H
#define GLINT_TOKENIZER_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Class flags of a code point. L/N/P/S/M/Z/C are the general-category major classes
 * (Cn, unassigned, has none); WS is the White_Space property; UPPER is Lu/Lt, LOWER is Ll. */
enum {
    GL_UCD_L = 1 << 0,
    GL_UCD_N = 1 << 1,
    GL_UCD_P = 1 << 2,
    GL_UCD_S = 1 << 3,
    GL_UCD_M = 1 << 4,
    GL_UCD_Z = 1 << 5,
    GL_UCD_C = 1 << 6,
    GL_UCD_WS = 1 << 7,
    GL_UCD_UPPER = 1 << 8,
    GL_UCD_LOWER = 1 << 9,
};

typedef struct gl_ucd_range {
    uint32_t first, last;
    uint32_t flags;
} gl_ucd_range;

/* Generated tables: ranges sorted, disjoint; code points in no range have no flags. */
extern const gl_ucd_range gl_ucd_ranges[];
extern const size_t gl_ucd_n_ranges;
extern const char gl_ucd_version[];

uint32_t gl_ucd_flags(uint32_t cp);

/* Decodes one code point from s[0..n) (n >= 1). Invalid or truncated sequences, overlongs and
 * surrogates decode as U+FFFD consuming one byte. Returns the bytes consumed. */
size_t gl_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encodes cp (<= 0x10FFFF) into out[0..4); returns its length. */
size_t gl_utf8_encode(uint32_t cp, char *out);
/* Length of the UTF-8 sequence that starts with byte b (1 for continuation/invalid bytes). */
size_t gl_utf8_len(unsigned char b);

/* GPT-2 byte-level mapping: every byte to a printable code point and back. */
uint32_t gl_byte_to_cp(uint8_t b);
int gl_cp_to_byte(uint32_t cp); /* -1 if cp is not the image of a byte */

#endif
