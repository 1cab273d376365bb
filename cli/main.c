#include "glint.h"
#include <stdio.h>
int main(void) {
    printf("glint %s\n", glint_version());
    return 0;
}
