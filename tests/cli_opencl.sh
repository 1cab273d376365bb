#!/usr/bin/env bash
# The CLI without OpenCL (OCL_ICD_VENDORS at an empty directory: the ICD loader finds no
# platform): `run --backend opencl` says so once and runs on the CPU; `devices` lists no
# OpenCL device and exits 0. With PoCL: the same text on OpenCL, and `glint bench` has an
# opencl row.
set -u
glint=$1
models=${GLINT_TEST_MODELS:-$2}
model=$models/stories260K/stories260K.gguf
expected=$models/reference/stories260K.llama2c-runc-t0-n200.expected.txt
[ -f "$model" ] || { echo "skip: $model not found"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
mkdir -p "$tmp/empty"
export GLINT_CACHE_DIR=$tmp/cache

OCL_ICD_VENDORS=$tmp/empty "$glint" run -m "$model" --backend opencl --temp 0 -n 200 \
  >"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
head -c -1 "$tmp/out.txt" | cmp -s - "$expected"; same=$?
n=$(grep -c "opencl unavailable" "$tmp/err.txt")
[ $rc -eq 0 ] && [ $same -eq 0 ] && [ "$n" -eq 1 ]
check "no OpenCL: run --backend opencl warns once ($n) and the CPU prints the text (rc $rc)" $?
cat "$tmp/err.txt"

OCL_ICD_VENDORS=$tmp/empty "$glint" devices >"$tmp/dev.txt" 2>&1
rc=$?
grep -q "^opencl: no device" "$tmp/dev.txt" && grep -q "^cpu:" "$tmp/dev.txt"
check "no OpenCL: devices lists no OpenCL device, exit $rc" $(( $? + rc ))

if GLINT_CL_ALLOW_CPU=1 "$glint" devices 2>/dev/null | grep -q "^opencl: no device"; then
  echo "note: no OpenCL device here; the PoCL runs are skipped"
else
  GLINT_CL_ALLOW_CPU=1 "$glint" devices >"$tmp/dev2.txt" 2>&1
  cat "$tmp/dev2.txt"
  GLINT_CL_ALLOW_CPU=1 "$glint" run -m "$model" --backend opencl --temp 0 -n 200 \
    >"$tmp/cl.txt" 2>"$tmp/clerr.txt"
  rc=$?
  head -c -1 "$tmp/cl.txt" | cmp -s - "$expected"; same=$?
  [ $same -ne 0 ] && { echo "--- got:"; cat "$tmp/cl.txt"; cat "$tmp/clerr.txt"; }
  check "PoCL: run --backend opencl prints llama2.c's text (rc $rc)" $(( rc + same ))

  GLINT_CL_ALLOW_CPU=1 "$glint" bench -m "$model" --backends cpu,opencl -p 16 -n 4 -r 1 -o csv \
    >"$tmp/bench.csv" 2>"$tmp/bench.err"
  rc=$?
  cat "$tmp/bench.csv"
  grep -q ",opencl," "$tmp/bench.csv" && grep -q ",cpu," "$tmp/bench.csv"
  check "PoCL: bench has a cpu and an opencl row (rc $rc)" $(( $? + rc ))
fi
exit $fail
