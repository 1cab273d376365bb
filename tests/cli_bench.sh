#!/usr/bin/env bash
# glint bench on the tiny synthetic model: one row per available backend (cpu; vulkan when a
# device exists, lavapipe included through GLINT_VK_ALLOW_CPU=1), then the auto plan and
# --gpu-layers 1 where there is a GPU (skipped with a note where not), in md, csv and json;
# json parses, has every field, finite positive speeds and one object per md row, and with
# -o md,json carries the md table's numbers; progress on stderr only; bad options refused. Usage: cli_bench.sh GLINT MODELS_DIR
set -u
glint=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
export GLINT_VK_ALLOW_CPU=1 GLINT_VK_VALIDATE=1
export GLINT_CACHE_DIR=${GLINT_TEST_CACHE:-$tmp/cache}
bench() { "$glint" bench --synthetic tiny:q4_0 -r 2 -p 16 -n 8 -t 2 "$@"; }

# configs: the json/csv "config" of each expected row; want: the backend column of the plain
# rows ("cpu", "vulkan"); the auto and gpu-layers rows are checked by pattern (the auto plan
# may pick any placement; --gpu-layers 1 puts layer 0 on the GPU, the rest on the CPU).
if "$glint" devices 2>/dev/null | grep -q "^vulkan: no device"; then
  want="cpu"; configs="cpu"
  echo "note: no Vulkan device here; only the cpu row is expected (auto and gpu-layers skipped)"
else
  want="cpu vulkan"; configs="cpu vulkan auto gpu-layers1"
fi
n_want=$(echo $configs | wc -w)
where='[a-z]+(\+[a-z]+)*' # "cpu", "vulkan+cpu", ...

bench --gpu-layers 1 >"$tmp/md.txt" 2>"$tmp/md.err"; rc=$?
cat "$tmp/md.txt"
rows=$(grep '^| synthetic-tiny-q4_0 ' "$tmp/md.txt" | awk -F'|' '{gsub(/ /, "", $3); printf "%s ", $3}')
plain=$(echo $rows | tr ' ' '\n' | grep -v '(' | tr '\n' ' ')
[ $rc -eq 0 ] && [ "$plain" = "$want " ] && [ "$(echo $rows | wc -w)" -eq $n_want ]
check "md: one row per backend and plan ($rows, want $configs) (rc $rc)" $?
if [ $n_want -gt 2 ]; then
  echo "$rows" | grep -qE "^cpu vulkan auto\($where\) gpu-layers1\((vulkan\+cpu|vulkan)\) $"
  check "md: auto and gpu-layers rows say where the layers ran ($rows)" $?
  grep -q "^glint bench: auto: prefill: .*; decode: " "$tmp/md.err"
  check "the auto plan is logged on stderr" $?
fi
grep -q "^| model .* pp 16 t/s .* tg 8 t/s |$" "$tmp/md.txt"; check "md: header names pp 16 and tg 8" $?
# every row: size in MiB, params in M, two 'mean ± sd' speeds above zero
bad=$(grep '^| synthetic' "$tmp/md.txt" | grep -cvE 'MiB \| +[0-9.]+ M \| .*\| +[0-9]*[1-9][0-9]*\.[0-9]+ ± [0-9.]+ \| +[0-9]*[1-9][0-9]*\.[0-9]+ ± [0-9.]+ \|$')
check "md: every row has size, params and two positive mean ± sd speeds ($bad bad)" $bad
grep -q "warm-up" "$tmp/md.err" && ! grep -q "warm-up\|run 1/2" "$tmp/md.txt"
check "progress on stderr, not stdout" $?
if [ $n_want -gt 1 ]; then ! grep -qi "validation" "$tmp/md.err"; check "validation silent" $?; fi

bench --gpu-layers 1 -o json >"$tmp/out.json" 2>/dev/null; rc=$?
if command -v python3 >/dev/null; then
  python3 - "$tmp/out.json" "$configs" <<'PY'
import json, math, re, sys
rows = json.load(open(sys.argv[1]))
want = [c.replace("layers", "layers ") for c in sys.argv[2].split()]
assert isinstance(rows, list), "not an array"
assert [r["config"] for r in rows] == want, ("configs", [r["config"] for r in rows], want)
for r in rows:
    if r["config"] in ("cpu", "vulkan"):
        assert r["backend"] == r["config"], r
    elif r["config"] == "auto":
        assert re.fullmatch(r"[a-z]+(\+[a-z]+)*", r["backend"]), r
    else:
        assert r["backend"] in ("vulkan+cpu", "vulkan"), r
    for k in ("model", "config", "backend", "size_bytes", "params", "n_threads", "n_prompt",
              "n_gen", "reps", "pp_tps_mean", "pp_tps_sd", "tg_tps_mean", "tg_tps_sd"):
        assert k in r, ("missing", k, r)
    assert r["model"] == "synthetic-tiny-q4_0" and r["n_prompt"] == 16 and r["n_gen"] == 8, r
    assert r["reps"] == 2 and r["n_threads"] == 2 and r["size_bytes"] > 0 and r["params"] > 0, r
    for k in ("pp_tps_mean", "tg_tps_mean"):
        assert math.isfinite(r[k]) and r[k] > 0, (k, r[k])
    for k in ("pp_tps_sd", "tg_tps_sd"):
        assert math.isfinite(r[k]) and r[k] >= 0, (k, r[k])
PY
  ok=$?
else
  n=$(grep -c '"pp_tps_mean": [0-9]*[1-9][0-9]*\.[0-9]*, "pp_tps_sd": [0-9.]*, "tg_tps_mean": [0-9]*[1-9][0-9]*\.[0-9]*, "tg_tps_sd": [0-9.]*}' "$tmp/out.json")
  head -c1 "$tmp/out.json" | grep -q '\[' && [ "$n" -eq "$n_want" ]; ok=$?
fi
[ $ok -ne 0 ] && cat "$tmp/out.json"
check "json: parses, one object per row, config and backend, every field, finite positive speeds (rc $rc)" $(( ok + rc ))

# md and json of the same runs: every md row's speeds are its json object's, rounded
bench --gpu-layers 1 -o md,json >"$tmp/both.txt" 2>/dev/null; rc=$?
grep '^|' "$tmp/both.txt" >"$tmp/both.md"
grep -v '^|' "$tmp/both.txt" >"$tmp/both.json"
if command -v python3 >/dev/null; then
  python3 - "$tmp/both.md" "$tmp/both.json" <<'PY'
import json, re, sys
md = [l for l in open(sys.argv[1]) if l.startswith("| synthetic")]
rows = json.load(open(sys.argv[2]))
assert len(md) == len(rows) and rows, (len(md), len(rows))
for line, r in zip(md, rows):
    pairs = re.findall(r"([0-9]+\.[0-9]+) ± ([0-9]+\.[0-9]+)", line)
    got = [float(x) for pair in pairs for x in pair]
    want = [round(r[k], 2) for k in ("pp_tps_mean", "pp_tps_sd", "tg_tps_mean", "tg_tps_sd")]
    assert len(got) == 4 and all(abs(g - w) <= 0.0051 for g, w in zip(got, want)), (line, r)
PY
  ok=$?
else
  ok=0
fi
[ $ok -ne 0 ] && cat "$tmp/both.txt"
check "-o md,json: one set of runs, json parses with the table's numbers (rc $rc)" $(( ok + rc ))

bench --gpu-layers 1 -o csv >"$tmp/out.csv" 2>/dev/null; rc=$?
head -1 "$tmp/out.csv" | grep -q '^model,config,backend,size_bytes,params,n_threads,n_prompt,n_gen,reps,pp_tps_mean,pp_tps_sd,tg_tps_mean,tg_tps_sd$'
hdr=$?
rows=$(tail -n +2 "$tmp/out.csv" | awk -F, '$10 > 0 && $12 > 0 && $11 >= 0 && $13 >= 0 { gsub(/ /, "", $2); printf "%s ", $2 }')
[ $rc -eq 0 ] && [ $hdr -eq 0 ] && [ "$rows" = "$configs " ]
check "csv: header and one row per config with positive speeds ($rows)" $?

# Without a Vulkan driver the auto and gpu-layers rows are skipped, each with a note, not
# shown as copies of the cpu row.
VK_DRIVER_FILES=/nonexistent VK_ICD_FILENAMES=/nonexistent GLINT_VK_VALIDATE=0 \
  bench --backends cpu,auto --gpu-layers 2 -o csv >"$tmp/nogpu.csv" 2>"$tmp/nogpu.err"; rc=$?
rows=$(tail -n +2 "$tmp/nogpu.csv" | cut -d, -f2 | tr '\n' ' ')
[ $rc -eq 0 ] && [ "$rows" = "cpu " ] && grep -q "auto: no GPU backend here" "$tmp/nogpu.err" &&
  grep -q "gpu-layers 2: no GPU backend here" "$tmp/nogpu.err"
check "no GPU: auto and --gpu-layers rows skipped with a note each ($rows) (rc $rc)" $?

bench --backends cpu -p 0 -o csv >"$tmp/cpu.csv" 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/cpu.csv")" -eq 2 ] && tail -1 "$tmp/cpu.csv" | grep -q ',cpu,.*,,,[0-9.]*,[0-9.]*$'
check "--backends cpu -p 0: one cpu row, the pp columns empty (rc $rc)" $?
"$glint" bench --synthetic tiny:q4_0 -r 1 -p 0 -n 4 -o csv >"$tmp/t.csv" 2>/dev/null; rc=$?
threads=$(tail -n +2 "$tmp/t.csv" | cut -d, -f6 | sort -u | tr '\n' ' ')
[ $rc -eq 0 ] && echo "$threads" | grep -qE '^[1-9][0-9]* $'
check "without -t every row reports the runtime's thread count ($threads)" $?

for bad in "-o xml" "-o md,xml" "--backends cpu,gpu" "-r 0" "-p 0 -n 0" "--gpu-layers x" "--gpu-layers 1," \
  "--gpu-layers -1"; do
  bench $bad >"$tmp/bad.out" 2>"$tmp/bad.err"; rc=$?
  [ $rc -eq 2 ] && [ ! -s "$tmp/bad.out" ] && [ -s "$tmp/bad.err" ]
  check "bad option '$bad': exit $rc with a message: $(head -1 "$tmp/bad.err")" $?
done
"$glint" bench -m "$tmp/none.gguf" >/dev/null 2>"$tmp/bad.err"; rc=$?
[ $rc -ne 0 ] && grep -q "none.gguf" "$tmp/bad.err"
check "missing model: exit $rc with a message" $?
exit $fail
