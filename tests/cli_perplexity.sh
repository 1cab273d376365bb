#!/usr/bin/env bash
# glint perplexity on stories260K over a short children's story (tests/data/story.txt): progress
# per chunk and a finite final PPL in a sane range; CPU and Vulkan (lavapipe) within 0.1% of each
# other (skipped without a device); bad input refused. Usage: cli_perplexity.sh GLINT MODELS_DIR
set -u
glint=$1
models=${GLINT_TEST_MODELS:-$2}
model=$models/stories260K/stories260K.gguf
text=$(dirname "$0")/data/story.txt
[ -f "$model" ] || { echo "skip: $model not found"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
# the number after "PPL = " on the last line
ppl_of() { sed -n 's/^Final estimate: PPL = \([0-9.]*\) +\/- \([0-9.]*\)$/\1/p' "$1"; }

"$glint" perplexity -m "$model" -f "$text" -c 128 --chunks 5 -t 2 >"$tmp/cpu.txt" 2>"$tmp/cpu.err"
rc=$?
cpu=$(ppl_of "$tmp/cpu.txt")
cat "$tmp/cpu.txt"
awk -v p="${cpu:-nan}" 'BEGIN { exit !(p > 2 && p < 12) }'
check "cpu: PPL $cpu finite and in (2, 12) (rc $rc)" $(( $? + rc ))
grep -q '^\[1\][0-9.]*,\[2\][0-9.]*,\[3\][0-9.]*,\[4\][0-9.]*,\[5\][0-9.]*$' "$tmp/cpu.txt"
check "cpu: one running PPL per chunk" $?

# the whole text: llama.cpp's llama-perplexity -c 128 -t 2 (the build in /work/llamacpp, f16 KV) prints
# "Final estimate: PPL = 4.6485 +/- 0.34381" for this file
"$glint" perplexity -m "$model" -f "$text" -c 128 -t 2 >"$tmp/all.txt" 2>/dev/null
all=$(ppl_of "$tmp/all.txt")
awk -v p="${all:-nan}" 'BEGIN { d = p - 4.6485; if (d < 0) d = -d; exit !(d <= 2e-3 * 4.6485) }'
check "cpu: all 10 chunks PPL $all within 0.2% of llama-perplexity's 4.6485" $?

# batches smaller than a chunk give the same numbers
"$glint" perplexity -m "$model" -f "$text" -c 128 -b 48 --chunks 5 -t 2 >"$tmp/b48.txt" 2>/dev/null
b48=$(ppl_of "$tmp/b48.txt")
awk -v a="${cpu:-nan}" -v b="${b48:-nan}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-3 * a) }'
check "cpu: -b 48 gives the same PPL ($b48 vs $cpu)" $?

if GLINT_VK_ALLOW_CPU=1 "$glint" devices 2>/dev/null | grep -q "^vulkan: no device"; then
  echo "note: no Vulkan device here; the Vulkan half is skipped"
else
  GLINT_VK_ALLOW_CPU=1 GLINT_VK_VALIDATE=1 GLINT_CACHE_DIR=${GLINT_TEST_CACHE:-$tmp/cache} \
    "$glint" perplexity -m "$model" -f "$text" -c 128 --chunks 5 -t 2 --backend vulkan \
    >"$tmp/vk.txt" 2>"$tmp/vk.err"
  rc=$?
  vk=$(ppl_of "$tmp/vk.txt")
  grep -q "backend vulkan" "$tmp/vk.err"; on_vk=$?
  ! grep -qi "validation" "$tmp/vk.err"; quiet=$?
  awk -v a="${cpu:-nan}" -v b="${vk:-nan}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-3 * a) }'
  check "vulkan: PPL $vk within 0.1% of cpu $cpu, on vulkan, validation silent (rc $rc)" \
    $(( $? + rc + on_vk + quiet ))
fi

"$glint" perplexity -m "$model" -f "$tmp/none.txt" >/dev/null 2>"$tmp/e1"; rc=$?
[ $rc -ne 0 ] && grep -q "cannot read" "$tmp/e1"
check "missing text file: exit $rc, $(head -c 80 "$tmp/e1")" $?
"$glint" perplexity -m "$model" -f "$text" -c 4096 >/dev/null 2>"$tmp/e2"; rc=$?
[ $rc -ne 0 ] && grep -q "fewer than one chunk" "$tmp/e2"
check "text shorter than one chunk: exit $rc, $(head -c 80 "$tmp/e2")" $?
exit $fail
