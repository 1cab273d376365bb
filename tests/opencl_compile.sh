#!/usr/bin/env bash
# Compiles every OpenCL kernel (shaders/opencl/*.cl) with clang's OpenCL C front end for each
# tier and build option the backend may use, including those CI's PoCL cannot run: subgroups
# (khr and Intel), fp16, the int8 dot products (khr packed, arm_dot, plain), every weight type
# and layout of mul_mat.cl. A syntax or type error in a path no device here executes fails
# here, not on a phone. Checks that each int8 flavour really calls its instruction.
# Usage: opencl_compile.sh SHADER_DIR. Skips (77) without clang 15 or later (14's OpenCL
# header declares the subgroup built-ins for OpenCL C 2.0 only).
set -u
dir=$1
cc=""
for c in clang-19 clang-18 clang-17 clang-16 clang-15; do
    if command -v "$c" >/dev/null && echo 'kernel void k(global float *x) { x[0] = 1.0f; }' |
        "$c" -x cl -cl-std=CL1.2 -Xclang -finclude-default-header -target spir64 -emit-llvm \
            -S -o /dev/null - 2>/dev/null; then
        cc=$c
        break
    fi
done
[ -n "$cc" ] || { echo "skip: no clang >= 15 with OpenCL C (apt-get install clang-15)"; exit 77; }
echo "compiler: $($cc --version | head -1)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

# compile FILE STD "defines and -cl-ext" [pattern that the output must contain]
compile() {
    local file=$1 std=$2 opts=$3 want=${4:-}
    n=$((n + 1))
    # shellcheck disable=SC2086 # opts is a list of flags
    if ! "$cc" -x cl -cl-std="$std" -Xclang -finclude-default-header -target spir64 -emit-llvm -S \
        -Werror=implicit-function-declaration -Wno-ignored-pragmas $opts \
        -o "$tmp/out.ll" "$dir/$file" 2>"$tmp/err"; then
        echo "FAIL: $file [$std $opts]"
        head -20 "$tmp/err"
        fail=1
        return
    fi
    if [ -n "$want" ] && ! grep -q "$want" "$tmp/out.ll"; then
        echo "FAIL: $file [$std $opts]: does not call $want"
        fail=1
    fi
}

tiers=(
    ""
    "-DGL_SUBGROUP=1 -DGL_SUBGROUP_KHR=1 -Xclang -cl-ext=+cl_khr_subgroups"
    "-DGL_SUBGROUP=1 -DGL_SUBGROUP_INTEL=1 -Xclang -cl-ext=+cl_intel_subgroups"
    "-DGL_FP16=1 -Xclang -cl-ext=+cl_khr_fp16"
    "-DGL_IMAGE=1"
)
for f in "$dir"/*.cl; do
    file=$(basename "$f")
    [ "$file" = mul_mat.cl ] && continue
    for t in "${tiers[@]}"; do compile "$file" CL1.2 "$t"; done
done
compile attention.cl CL1.2 "-DKV_F16=1"
compile attention.cl CL1.2 "-DKV_F16=1 -DGL_SUBGROUP=1 -DGL_SUBGROUP_KHR=1 -Xclang -cl-ext=+cl_khr_subgroups"

for ty in F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K; do
    for t in "${tiers[@]}"; do compile mul_mat.cl CL1.2 "-DTYPE_$ty=1 $t"; done
done
int8=(
    "CL1.2|-DGL_INT8DOT=1 -DGL_INT8DOT_EMU=1|"
    "CL1.2|-DGL_INT8DOT=1 -DGL_INT8DOT_ARM=1 -Xclang -cl-ext=+cl_arm_integer_dot_product_int8|arm_dot"
    "CL3.0|-DGL_INT8DOT=1 -DGL_INT8DOT_KHR=1 -Xclang -cl-ext=+__opencl_c_integer_dot_product_input_4x8bit_packed,+__opencl_c_integer_dot_product_input_4x8bit|dot_4x8packed_ss_int"
)
for ty in Q4_0 Q8_0; do
    for layout in "" "-DGL_SOA=1" "-DGL_SOA=1 -DGL_IMAGE=1 -DGL_WIMG=1"; do
        compile mul_mat.cl CL1.2 "-DTYPE_$ty=1 $layout"
        for e in "${int8[@]}"; do
            IFS='|' read -r std opts want <<<"$e"
            compile mul_mat.cl "$std" "-DTYPE_$ty=1 $layout -DGL_Q8ACT=1 $opts" "$want"
        done
    done
done
echo "opencl_compile: $n builds, $([ $fail -eq 0 ] && echo "all compiled" || echo "FAILURES")"
exit $fail
