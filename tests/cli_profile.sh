#!/usr/bin/env bash
# glint profile on stories260K: on the CPU and, where a Vulkan device exists (lavapipe through
# GLINT_VK_ALLOW_CPU=1), on Vulkan too. The stage table has a row per stage with a number per
# backend and column and the plans' marks; the plans have predicted and measured times; the
# SVG and plan files are written and well-formed; `glint run --plan` on the saved plan prints
# the same greedy text as `--backend cpu` (llama2.c's); bad options are refused.
# Usage: cli_profile.sh GLINT MODELS_DIR
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
cache=$(mktemp -d) # a fresh plan cache: nothing stored from other runs
trap 'rm -rf "$tmp" "$cache"' EXIT
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
export GLINT_VK_ALLOW_CPU=1 GLINT_CACHE_DIR=$cache
n_layer=5 # stories260K

"$glint" profile -m "$model" -r 1 --ctx 0,64 -p 16 --svg "$tmp/p.svg" --save-plan "$tmp/plan.json" \
  >"$tmp/out.md" 2>"$tmp/err.txt"
rc=$?
cat "$tmp/out.md"
[ $rc -ne 0 ] && cat "$tmp/err.txt"
check "profile exits 0 (rc $rc)" $rc

backends=$(sed -n 's/^[0-9]* layers; backends: \([^;]*\);.*/\1/p' "$tmp/out.md")
case "$backends" in
  "cpu") nb=1; echo "note: the profile ran on the CPU only (no Vulkan device here)" ;;
  "cpu, vulkan" | "vulkan, cpu") nb=2 ;;
  *) nb=0 ;;
esac
[ $nb -gt 0 ] && grep -q "^$n_layer layers; .*prefill of 16 tokens; decode at context 0, 64; 1 run per" \
  "$tmp/out.md"
check "header: $n_layer layers, backends ($backends), prefill 16, contexts 0 and 64, 1 rep" $?

# Stage rows: embed, layer 0..n-1, head: per backend pp16, tg@0, tg@64 in ms, each a number
# or '-' (cannot run there); one '*' per plan column group: 1 prefill + 2 decode contexts.
want_rows="embed $(seq -s ' ' -f 'layer %g' 0 $((n_layer - 1))) head total"
rows=$(grep -E '^\| (embed|layer [0-9]+|head|total) ' "$tmp/out.md" | awk -F'|' '{gsub(/^ +| +$/, "", $2); printf "%s ", $2}')
[ "$rows" = "$want_rows " ]
check "stage table: one row per stage and a total ($rows)" $?
bad=$(grep -E '^\| (embed|layer [0-9]+|head) ' "$tmp/out.md" | awk -F'|' -v nb=$nb '
  { ncell = NF - 3; stars = 0; nums = 0
    for (i = 3; i < NF; i++) { c = $i; gsub(/ /, "", c); if (c ~ /\*$/) stars++
      if (c ~ /^[0-9]+\.[0-9]+\*?$/) nums++; else if (c !~ /^-\*?$/) nums = -100 }
    if (ncell != nb * 3 || stars != 3 || nums < 1) print }' | wc -l)
check "stage rows: $((nb * 3)) cells of ms each, a number on every row, 3 plan marks ($bad bad)" $bad
grep -q "^| stage .* cpu pp16 .* cpu tg@0 .* cpu tg@64 |" "$tmp/out.md"
check "stage table header names the cpu columns" $?

for ph in prefill decode; do
  grep -qE "^\| $ph +\| embed:[a-z]+ .*head:[a-z]+ \| +[0-9]+\.[0-9]+ \| +[0-9]+\.[0-9]+ \| +[-+][0-9.]+% \|$" "$tmp/out.md"
  check "$ph plan: description, predicted and measured ms, error" $?
  grep -qE "^\| $ph +\|( [0-9]+\.[0-9]+ \|){$nb} [a-z]+ \| [0-9]+\.[0-9]+ \| [0-9]+\.[0-9]+x( \(same placement\))? \|$" "$tmp/out.md"
  check "$ph: whole pass per backend, best, plan ms and speedup" $?
done
if [ $nb -gt 1 ]; then
  grep -qE "^\| prefill \| [0-9.]+ \| [0-9.]+ \|$" "$tmp/out.md"; check "move costs listed" $?
fi
! grep -q "progress:\|\[#" "$tmp/out.md"
check "stdout has no progress" $?

[ -s "$tmp/p.svg" ] && head -c 4 "$tmp/p.svg" | grep -q '^<svg' && grep -q '</svg>' "$tmp/p.svg" &&
  grep -q 'class="bar ' "$tmp/p.svg" && ! grep -qiE 'nan|>inf|"inf' "$tmp/p.svg"
check "--svg writes an SVG with bars" $?
if command -v python3 >/dev/null; then
  python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/p.svg"
  check "the SVG parses as XML" $?
  python3 -c 'import sys, json; json.load(open(sys.argv[1]))' "$tmp/plan.json"
  check "the plan file parses as JSON" $?
fi
[ -s "$tmp/plan.json" ]; check "--save-plan writes the plan file" $?

# The saved plan, followed by `glint run`, gives llama2.c's greedy text, as the CPU does.
"$glint" run -m "$model" --backend cpu --temp 0 -n 200 >"$tmp/cpu.txt" 2>"$tmp/cpu.err"
rc=$?
head -c -1 "$tmp/cpu.txt" | cmp -s - "$expected"
check "run --backend cpu: llama2.c's text (rc $rc)" $(( rc + $? ))
if ! "$glint" run --help 2>&1 | grep -q -- "--plan"; then
  echo "FAIL: glint run has no --plan option"
  fail=1
else
  "$glint" run -m "$model" --plan "$tmp/plan.json" --temp 0 -n 200 >"$tmp/plan.txt" 2>"$tmp/plan.err"
  rc=$?
  cmp -s "$tmp/plan.txt" "$tmp/cpu.txt"; same=$?
  [ $(( rc + same )) -ne 0 ] && { echo "--- got:"; cat "$tmp/plan.txt"; cat "$tmp/plan.err"; }
  check "run --plan FILE: the same text as --backend cpu (rc $rc)" $(( rc + same ))
fi

for bad in "--ctx 1,2,3,4,5" "--ctx 0,x" "--ctx 0," "-r 0" "-p 0" "--bogus"; do
  "$glint" profile -m "$model" $bad >"$tmp/bad.out" 2>"$tmp/bad.err"
  rc=$?
  [ $rc -eq 2 ] && [ ! -s "$tmp/bad.out" ] && [ -s "$tmp/bad.err" ]
  check "bad option '$bad': exit $rc with a message: $(head -1 "$tmp/bad.err")" $?
done
"$glint" profile >/dev/null 2>"$tmp/bad.err"; rc=$?
[ $rc -eq 2 ] && grep -q "give one of" "$tmp/bad.err"; check "no model: exit $rc with a message" $?
"$glint" profile -m "$tmp/none.gguf" >/dev/null 2>"$tmp/bad.err"; rc=$?
[ $rc -eq 1 ] && grep -q "none.gguf" "$tmp/bad.err"
check "missing model: exit $rc with a message naming it" $?
exit $fail
