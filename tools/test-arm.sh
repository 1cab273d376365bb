#!/usr/bin/env bash
# Cross-builds Glint for arm64 and runs the CPU test suites under qemu-aarch64 twice:
#   QEMU_CPU=max         dotprod + i8mm present: the kernel table must be level i8mm
#   QEMU_CPU=cortex-a53  plain ARMv8.0: dispatch must fall back to neon (and not crash)
# and checks the dispatch alone on cortex-a76 (dotprod without i8mm, the Pi 5 / RK3588 core):
# level dotprod. Exits non-zero on any build error, test failure or wrong dispatch level.
#
# Needs gcc-aarch64-linux-gnu, qemu-user, cmake, ninja.
# Environment:
#   BUILD_DIR    build directory (default: <repo>/build-arm)
#   JOBS         parallel build/test jobs (default 2)
#   TEST_REGEX   ctest -R filter (default: every test)
#   TEST_EXCLUDE ctest -E filter (default: GPU suites, and the CLI scripts unless binfmt_misc
#                runs arm64 programs directly; see below)
#   QEMU_CPUS    the emulated cores to run the suites on (default "max cortex-a53")
#   PROBE_CPUS   further cores to check the dispatch level on (default "cortex-a76")
#   TARGETS      ninja targets to build (default: all), e.g. "test_cpu_kernels test_quants"
#                with TEST_REGEX to match, for a quicker run while working on one suite
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build-arm}
jobs=${JOBS:-2}
sysroot=/usr/aarch64-linux-gnu
# GPU suites need a driver the arm sysroot does not have.
gpu_tests='vulkan|_vk_|opencl|_cl_|gpu'
regex=${TEST_REGEX:-}
cpus=${QEMU_CPUS:-max cortex-a53}
probe_cpus=${PROBE_CPUS-cortex-a76}

say() { printf '\n== %s\n' "$*"; }
die() {
    printf 'test-arm: %s\n' "$*" >&2
    exit 1
}

for tool in aarch64-linux-gnu-gcc qemu-aarch64 cmake ninja ctest; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install gcc-aarch64-linux-gnu qemu-user cmake ninja-build)"
done
[ -d "$sysroot" ] || die "$sysroot missing (the arm64 C library, from libc6-dev-arm64-cross)"

say "configure $build"
mkdir -p "$build"
cmake -S "$repo" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DGLINT_WERROR=ON >"$build/configure.log" 2>&1 ||
    {
        cat "$build/configure.log"
        die "configure failed"
    }

say "build (-j$jobs)"
if [ -n "${TARGETS:-}" ]; then
    # shellcheck disable=SC2086 # a list of target names
    ninja -C "$build" -j "$jobs" glint_static $TARGETS
else
    ninja -C "$build" -j "$jobs"
fi

# A probe linked with the library reports the dispatch decision, so a wrong level (or a crash
# while detecting features) fails here with the level in the message.
say "build dispatch probe"
probe_src=$build/arm_probe.c
cat >"$probe_src" <<'EOF'
#include "kernels.h"
#include "types.h"

#include <stdio.h>
#include <string.h>

/* argv[1]: the level the best table must have ("neon", "i8mm", ...). */
int main(int argc, char **argv) {
    static const char *names[GL_CPU_LEVEL_COUNT] = {"ref", "avx2", "avx512", "neon", "dotprod",
                                                    "i8mm"};
    const gl_cpu_kernels *k = gl_cpu_kernels_get();
    if (!k) {
        printf("no kernel table\n");
        return 1;
    }
    const char *got = (unsigned)k->level < GL_CPU_LEVEL_COUNT ? names[k->level] : "?";
    printf("features: %s\nlevel: %s (table \"%s\")\n", gl_cpu_features_string(), got, k->name);
    int bad = argc > 1 && strcmp(got, argv[1]) != 0;
    if (bad) printf("expected level %s, got %s\n", argv[1], got);
    /* levels above the expected one must be refused, those below available */
    for (int lv = GL_CPU_NEON; lv < GL_CPU_LEVEL_COUNT; lv++) {
        const int want = lv <= (int)k->level;
        if ((gl_cpu_kernels_for((gl_cpu_level)lv) != NULL) != want) {
            printf("gl_cpu_kernels_for(%s) is %s\n", names[lv], want ? "NULL" : "not NULL");
            bad = 1;
        }
    }
    /* what each level replaced of the one below it */
    for (int lv = GL_CPU_NEON; lv <= (int)k->level; lv++) {
        const gl_cpu_kernels *hi = gl_cpu_kernels_for((gl_cpu_level)lv);
        const gl_cpu_kernels *lo = gl_cpu_kernels_for(lv == GL_CPU_NEON ? GL_CPU_REF
                                                                         : (gl_cpu_level)(lv - 1));
        if (!hi || !lo) continue;
        printf("%-8s", names[lv]);
        for (int t = 0; t < GLINT_TYPE_COUNT; t++) {
            const gl_type_traits *tr = gl_type_get((glint_type)t);
            if (!tr) continue;
            if (hi->vec_dot[t] != lo->vec_dot[t]) printf(" dot:%s", tr->name);
            if (hi->from_float[t] != lo->from_float[t]) printf(" quant:%s", tr->name);
            if (hi->gemm[t] != lo->gemm[t]) printf(" gemm:%s", tr->name);
        }
        printf("\n");
    }
    /* i8mm must bring its gemm tiles wherever the q4_0/q8_0 references exist */
    if (k->level == GL_CPU_I8MM && k->vec_dot[GLINT_TYPE_Q4_0] && !k->gemm[GLINT_TYPE_Q4_0]) {
        printf("level i8mm without a q4_0 gemm\n");
        bad = 1;
    }
    return bad;
}
EOF
aarch64-linux-gnu-gcc -std=c11 -O1 -Wall -Wextra -Werror -D_GNU_SOURCE \
    -I"$repo/include" -I"$repo/engine" -I"$repo/backends" -I"$repo/backends/cpu" \
    "$probe_src" "$build/libglint.a" -lpthread -lm -ldl -o "$build/arm_probe"

# The cli_*.sh suites start the glint binary from bash, which works only where binfmt_misc
# hands arm64 programs to qemu; elsewhere they are left to the native run.
export QEMU_LD_PREFIX=$sysroot
if [ -z "${TEST_EXCLUDE+set}" ]; then
    if "$build/arm_probe" >/dev/null 2>&1; then
        exclude=$gpu_tests
    else
        exclude="$gpu_tests|^cli_"
        echo "note: no binfmt_misc entry for arm64 here; skipping the cli_*.sh suites"
    fi
else
    exclude=$TEST_EXCLUDE
fi

# The level each emulated core must get (qemu-aarch64 -cpu help lists them).
expected_level() {
    case $1 in
    max) echo i8mm ;;
    cortex-a76 | neoverse-n1) echo dotprod ;;
    cortex-a35 | cortex-a53 | cortex-a57 | cortex-a72 | a64fx) echo neon ;;
    *) echo "" ;;
    esac
}

failed=()
probe() {
    local want
    want=$(expected_level "$1")
    say "QEMU_CPU=$1: dispatch${want:+ (expect $want)}"
    # shellcheck disable=SC2086 # no argument when no level is known
    if ! env -u GLINT_CPU_LEVEL QEMU_CPU="$1" qemu-aarch64 -L "$sysroot" "$build/arm_probe" $want; then
        failed+=("$1: dispatch")
    fi
}

for cpu in $cpus; do
    probe "$cpu"
    say "QEMU_CPU=$cpu: ctest"
    args=(--test-dir "$build" --output-on-failure -j "$jobs" --timeout 600)
    [ -n "$regex" ] && args+=(-R "$regex")
    [ -n "$exclude" ] && args+=(-E "$exclude")
    if ! QEMU_CPU=$cpu ctest "${args[@]}"; then
        failed+=("$cpu: ctest")
    fi
done
for cpu in $probe_cpus; do probe "$cpu"; done

if [ ${#failed[@]} -ne 0 ]; then
    say "FAILED"
    printf '  %s\n' "${failed[@]}"
    exit 1
fi
say "all arm64 runs passed (suites: $cpus; dispatch: $cpus $probe_cpus)"
