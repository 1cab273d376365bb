/* Shared helpers of the glint CLI commands. */
#ifndef GLINT_CLI_H
#define GLINT_CLI_H

#include "glint.h"

#include <stdbool.h>
#include <stdio.h>

/* Each command: argc/argv start after the command name; returns the process exit code. */
int cmd_run(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_profile(int argc, char **argv);

/* Argument parsing: `arg_value` returns argv[i+1] and advances i, or prints an error. */
const char *cli_value(int argc, char **argv, int *i);
bool cli_int(const char *s, long lo, long hi, long *out);
bool cli_float(const char *s, float *out);
bool cli_backend(const char *s, glint_backend_kind *out);

/* Resolves --synthetic SHAPE:TYPE to a model file in the cache directory, writing it on first
 * use. Returns an exit code (0 = ok). */
int cli_synthetic_model(const char *spec, char *path, size_t cap);

/* Loads a model, printing the runtime's message on failure. */
int cli_load(glint_runtime **rt, glint_model **m, const char *path, int n_threads,
             const glint_model_params *mp, bool verbose);

/* A progress bar on stderr for glint_progress_fn (user = a cli_progress). On a terminal one
 * line redrawn in place, "[#####.....]  42% profiling vulkan decode ctx 512"; otherwise (a log
 * file, a pipe) one plain line "progress:  42% ..." per new label, so logs stay short and
 * parseable. cli_progress_end finishes the line. */
typedef struct cli_progress {
    bool tty, open;
    int last_pct, last_len;
    char last_what[96];
} cli_progress;

void cli_progress_init(cli_progress *p);
void cli_progress_fn(float frac, const char *what, void *user);
void cli_progress_end(cli_progress *p);

#endif
