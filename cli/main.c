/* glint: the command-line front end. Text goes to stdout; logs and statistics to stderr. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "glint %s — small language models on phone and SBC GPUs and CPUs\n"
            "\n"
            "usage: glint COMMAND [options]\n"
            "\n"
            "commands:\n"
            "  run       (-m MODEL | --synthetic SHAPE:TYPE) [-p PROMPT | --tokens ID,ID,...] [-n N] [--temp T] [--top-k K]\n"
            "            [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [-t THREADS]\n"
            "            [-c N_CTX] [-b N_BATCH] [--kv-type f16|f32] [--backend auto|cpu|vulkan|opencl]\n"
            "            [--dump-logits FILE] [--ignore-eos] [-v]\n"
            "            generate text; prints tokens/s of prompt and generation on stderr\n"
            "  tokenize  -m MODEL -p TEXT [--bos] [--special]   print the token ids\n"
            "  bench     (-m MODEL | --synthetic SHAPE:TYPE) [-p 128] [-n 32] [-r R] [-t T]\n"
            "            [-o md|csv|json] [--backends cpu,vulkan]\n"
            "            prefill and decode tokens/s, one row per backend (llama-bench style)\n"
            "  profile   (-m MODEL | --synthetic SHAPE:TYPE) [-r R] [-p N_PREFILL]\n"
            "            [--ctx 0,512,2048] [-t THREADS] [--svg FILE] [--save-plan FILE] [-v]\n"
            "            time every layer on every backend; print the chosen split and its gain\n"
            "  perplexity -m MODEL -f TEXT [-c N_CTX] [-b N_BATCH] [-t T] [--chunks N] [--backend B]\n"
            "            perplexity over a text, chunked as llama.cpp's perplexity\n"
            "  quantize  IN.gguf OUT.gguf TYPE   an f32/f16/bf16 model to TYPE (q8_0, q4_0, q4_k ...)\n"
            "  devices   list the backends and devices (for the CPU, the SIMD features found)\n"
            "  version   print the version\n"
            "\n"
            "`glint COMMAND --help` shows the options of one command.\n",
            glint_version());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "tokenize") == 0) return cmd_tokenize(argc - 2, argv + 2);
    if (strcmp(cmd, "devices") == 0) return cmd_devices(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "profile") == 0) return cmd_profile(argc - 2, argv + 2);
    if (strcmp(cmd, "perplexity") == 0) return cmd_perplexity(argc - 2, argv + 2);
    if (strcmp(cmd, "quantize") == 0) return cmd_quantize(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("glint %s\n", glint_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "glint: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
