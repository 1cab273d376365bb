#!/usr/bin/env bash
# The CLI without a Vulkan driver: `run --backend vulkan` says so once and runs on the CPU;
# `devices` lists no Vulkan device and exits 0. With lavapipe: the same text on Vulkan.
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

VK_DRIVER_FILES=/nonexistent VK_ICD_FILENAMES=/nonexistent \
  "$glint" run -m "$model" --backend vulkan --temp 0 -n 200 >"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
head -c -1 "$tmp/out.txt" | cmp -s - "$expected"; same=$?
n=$(grep -c "vulkan unavailable" "$tmp/err.txt")
[ $rc -eq 0 ] && [ $same -eq 0 ] && [ "$n" -eq 1 ]
check "no driver: run --backend vulkan warns once ($n) and the CPU prints the text (rc $rc)" $?

VK_DRIVER_FILES=/nonexistent VK_ICD_FILENAMES=/nonexistent "$glint" devices >"$tmp/dev.txt" 2>&1
rc=$?
grep -q "^vulkan: no device" "$tmp/dev.txt" && grep -q "^cpu:" "$tmp/dev.txt"
check "no driver: devices lists no Vulkan device, exit $rc" $(( $? + rc ))

if GLINT_VK_ALLOW_CPU=1 "$glint" devices 2>/dev/null | grep -q "^vulkan: no device"; then
  echo "note: no Vulkan device here; the lavapipe run is skipped"
else
  GLINT_VK_ALLOW_CPU=1 GLINT_VK_VALIDATE=1 GLINT_CACHE_DIR=${GLINT_TEST_CACHE:-$tmp/cache} \
    "$glint" run -m "$model" --backend vulkan --temp 0 -n 200 >"$tmp/vk.txt" 2>"$tmp/vkerr.txt"
  rc=$?
  head -c -1 "$tmp/vk.txt" | cmp -s - "$expected"; same=$?
  [ $same -ne 0 ] && { echo "--- got:"; cat "$tmp/vk.txt"; cat "$tmp/vkerr.txt"; }
  ! grep -qi "validation" "$tmp/vkerr.txt"; quiet=$?
  check "lavapipe: run --backend vulkan prints llama2.c's text, validation silent (rc $rc)" \
    $(( rc + same + quiet ))
fi
exit $fail
