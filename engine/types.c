/* Placeholder until the reference quantizers land: plain types only. */
#include "types.h"

static const gl_type_traits g_traits[GLINT_TYPE_COUNT] = {
    [GLINT_TYPE_F32] = {.name = "f32", .block_size = 1, .type_size = 4,
                        .vec_dot_type = GLINT_TYPE_F32},
};

const gl_type_traits *gl_type_get(glint_type t) {
    if ((unsigned)t >= GLINT_TYPE_COUNT || !g_traits[t].name) return NULL;
    return &g_traits[t];
}

size_t gl_row_size(glint_type t, int64_t ne0) {
    const gl_type_traits *tr = gl_type_get(t);
    if (!tr || ne0 < 0 || ne0 % tr->block_size) return 0;
    return (size_t)(ne0 / tr->block_size) * tr->type_size;
}
