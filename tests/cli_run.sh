#!/usr/bin/env bash
# End to end through the CLI: stories260K greedy from BOS prints exactly llama2.c's text;
# tokenize, devices and bad input behave. Usage: cli_run.sh GLINT MODELS_DIR
set -u
glint=$1
models=${GLINT_TEST_MODELS:-$2}
model=$models/stories260K/stories260K.gguf
expected=$models/reference/stories260K.llama2c-runc-t0-n200.expected.txt
if [ ! -f "$model" ] || [ ! -f "$expected" ]; then
  echo "skip: $model or $expected not found (set GLINT_TEST_MODELS)"
  exit 77
fi
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # name, command status
  if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi
}

for kv in f32 f16; do
  for t in 1 2; do
    "$glint" run -m "$model" --temp 0 -n 200 -t $t --kv-type $kv >"$tmp/out.txt" 2>"$tmp/err.txt"
    rc=$?
    # the CLI ends its output with a newline that llama2.c's test strips
    head -c -1 "$tmp/out.txt" >"$tmp/out1.txt"
    cmp -s "$tmp/out1.txt" "$expected"
    same=$?
    [ $same -ne 0 ] && { echo "--- got:"; cat "$tmp/out.txt"; echo "--- stderr:"; cat "$tmp/err.txt"; }
    check "run greedy n=200 matches llama2.c (kv $kv, $t threads)" $((rc + same))
  done
done
grep -q "generation: .* tokens/s" "$tmp/err.txt"; check "run reports tokens/s on stderr" $?

out=$("$glint" tokenize -m "$model" -p "Once upon a time, there was a little" --bos)
[ "$out" = "1,403,407,261,378,432,383,286,261,376" ]; check "tokenize with BOS (got $out)" $?

"$glint" run -m "$model" --tokens 1,403,407 -n 3 --temp 0 --dump-logits "$tmp/d.jsonl" >/dev/null 2>&1
[ "$(wc -l <"$tmp/d.jsonl")" -eq 5 ] && grep -q '^{"pos":0,"token":1,"top":\[\[' "$tmp/d.jsonl"
check "dump-logits writes one line per evaluated position" $?

"$glint" devices >"$tmp/dev.txt" 2>&1; rc=$?
grep -q "^cpu:" "$tmp/dev.txt"; check "devices lists the cpu (exit $rc)" $((rc + $?))

"$glint" run -m "$tmp/missing.gguf" -n 1 >/dev/null 2>"$tmp/e.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "cannot load" "$tmp/e.txt"; check "missing model: clear error, exit 1" $?
head -c 1000 "$model" >"$tmp/trunc.gguf"
"$glint" run -m "$tmp/trunc.gguf" -n 1 >/dev/null 2>"$tmp/e.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "cannot load" "$tmp/e.txt"; check "truncated model: clear error, exit 1 ($(cat "$tmp/e.txt"))" $?

exit $fail
