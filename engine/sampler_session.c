/* glint_sampler_sample: the one sampler entry point that needs a session. Kept apart from
 * sampler.c so that code using only glint_sampler_sample_logits links without session.c. */
#include "common.h"
#include "session.h"

glint_status glint_sampler_sample(glint_sampler *smp, const glint_session *s, int32_t *out) {
    if (out) *out = -1;
    if (!smp || !s || !out) return GLINT_ERROR_INVALID_ARGUMENT;
    const float *logits = NULL;
    glint_status st = glint_session_get_logits(s, -1, &logits);
    if (st != GLINT_OK) return st;
    return glint_sampler_sample_logits(smp, logits, gl_session_n_vocab(s), out);
}
