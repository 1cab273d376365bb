#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL;
    bool bos = false, special = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) {
            if (!(model = cli_value(argc, argv, &i))) return 2;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0) {
            if (!(prompt = cli_value(argc, argv, &i))) return 2;
        } else if (strcmp(a, "--bos") == 0) {
            bos = true;
        } else if (strcmp(a, "--special") == 0) {
            special = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: glint tokenize -m MODEL -p TEXT [--bos] [--special]\n"
                   "  prints the token ids of TEXT, comma-separated; --bos adds the BOS/EOS the\n"
                   "  vocab asks for, --special parses control-token text like <|im_start|>\n");
            return 0;
        } else {
            fprintf(stderr, "glint tokenize: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (!prompt) {
        fprintf(stderr, "glint tokenize: no text given (-p TEXT)\n");
        return 2;
    }
    glint_runtime *rt;
    glint_model *m;
    glint_model_params mp = glint_model_default_params();
    mp.backend = GLINT_BACKEND_CPU;
    int rc = cli_load(&rt, &m, model, 1, &mp, false);
    if (rc) return rc;
    size_t n = 0, len = strlen(prompt);
    glint_status st = glint_model_tokenize(m, prompt, len, bos, special, NULL, 0, &n);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (ids && (st == GLINT_OK || st == GLINT_ERROR_BUFFER_TOO_SMALL))
        st = glint_model_tokenize(m, prompt, len, bos, special, ids, n, &n);
    if (st == GLINT_OK) {
        for (size_t i = 0; i < n; i++) printf("%s%d", i ? "," : "", ids[i]);
        printf("\n");
    } else {
        fprintf(stderr, "glint tokenize: %s\n", glint_status_string(st));
        rc = 1;
    }
    free(ids);
    glint_model_free(m);
    glint_runtime_free(rt);
    return rc;
}
