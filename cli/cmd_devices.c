#include "cli.h"

#include <stdlib.h>

int cmd_devices(int argc, char **argv) {
    glint_runtime *rt;
    glint_status st = glint_runtime_create(NULL, &rt);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint: cannot start: %s\n", glint_status_string(st));
        return 1;
    }
    char buf[4096];
    size_t n;
    glint_runtime_describe(rt, buf, sizeof buf, &n);
    fputs(buf, stdout);
    glint_runtime_free(rt);
    return 0;
}
