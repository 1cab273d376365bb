/* Session internals shared with the sampler and the CLI tools. */
#ifndef GLINT_SESSION_H
#define GLINT_SESSION_H

#include "glint.h"

int32_t gl_session_n_vocab(const glint_session *s);

#endif
