/* `glint profile --svg`: the profiler's per-stage costs drawn as a self-contained SVG chart. */
#ifndef GLINT_CLI_SVG_H
#define GLINT_CLI_SVG_H

#include "profile.h"

#include <stdio.h>

/* Writes one SVG document: a panel for prefill and one for decode at each measured context
 * length, each with per-stage bars grouped by backend (a y axis in ms) and, under them, a strip
 * coloured by the backend the chosen plan puts each stage on. Stages a backend cannot run
 * (INFINITY, or NaN) get no bar, only a hatched marker. `model_name` may be NULL. Returns 0, or
 * -1 when writing failed. */
int cli_profile_svg(const gl_profile *p, const char *model_name, FILE *out);

#endif
