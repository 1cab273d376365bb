/* glint quantize IN.gguf OUT.gguf TYPE: an F32/F16/BF16 model to a quantized one. */
#include "cli.h"

#include <string.h>
#include <time.h>

static void quantize_usage(FILE *f) {
    fprintf(f, "usage: glint quantize IN.gguf OUT.gguf TYPE\n"
               "  IN must be an f32, f16 or bf16 model; TYPE is f32, f16, bf16, q8_0, q4_0, q4_1,\n"
               "  q5_0, q5_1, q4_k, q5_k or q6_k. 2-D weight matrices whose rows are whole\n"
               "  blocks become TYPE, 1-D tensors (norms, biases) f32; all metadata is kept.\n");
}

int cmd_quantize(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            quantize_usage(stdout);
            return 0;
        }
    }
    if (argc != 3) {
        quantize_usage(stderr);
        return 2;
    }
    glint_type type;
    if (glint_type_from_name(argv[2], &type) != GLINT_OK) {
        fprintf(stderr, "glint quantize: unknown type '%s'\n", argv[2]);
        quantize_usage(stderr);
        return 2;
    }
    char err[512];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    glint_status st = glint_model_quantize(argv[0], argv[1], type, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint: %s (%s)\n", err, glint_status_string(st));
        return 1;
    }
    fprintf(stderr, "glint quantize: wrote %s (%s) in %.2f s\n", argv[1], glint_type_name(type),
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
