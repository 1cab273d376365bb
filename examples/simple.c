/* The smallest program that embeds libglint: load a model, generate greedily from a prompt.
 * Usage: glint-simple MODEL.gguf "prompt" [n_tokens] */
#include "glint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [N]\n", argv[0]);
        return 2;
    }
    const int n_predict = argc > 3 ? atoi(argv[3]) : 32;
    glint_runtime *rt = NULL;
    glint_model *model = NULL;
    glint_session *sess = NULL;
    glint_sampler *smp = NULL;
    int rc = 1;

    if (glint_runtime_create(NULL, &rt) != GLINT_OK) return 1;
    if (glint_model_load(rt, argv[1], NULL, &model) != GLINT_OK) {
        fprintf(stderr, "load: %s\n", glint_runtime_last_error(rt));
        goto out;
    }
    if (glint_session_create(model, NULL, &sess) != GLINT_OK) goto out;
    glint_sampler_params sp = glint_sampler_default_params();
    sp.temperature = 0; /* greedy */
    if (glint_sampler_create(&sp, &smp) != GLINT_OK) goto out;

    int32_t toks[512];
    size_t n;
    if (glint_model_tokenize(model, argv[2], strlen(argv[2]), true, false, toks, 512, &n) ||
        glint_session_decode(sess, toks, n)) {
        fprintf(stderr, "prompt: %s\n", glint_session_last_error(sess));
        goto out;
    }
    printf("%s", argv[2]);
    for (int i = 0; i < n_predict; i++) {
        int32_t tok;
        char piece[128];
        size_t len;
        if (glint_sampler_sample(smp, sess, &tok) || glint_model_token_is_eog(model, tok)) break;
        if (glint_model_token_to_piece(model, tok, false, piece, sizeof piece, &len) == GLINT_OK)
            fwrite(piece, 1, len, stdout);
        if (glint_session_decode(sess, &tok, 1) != GLINT_OK) break;
    }
    printf("\n");
    rc = 0;
out:
    glint_sampler_free(smp);
    glint_session_free(sess);
    glint_model_free(model);
    glint_runtime_free(rt);
    return rc;
}
