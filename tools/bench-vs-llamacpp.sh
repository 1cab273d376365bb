#!/usr/bin/env bash
# Glint vs llama.cpp on the CPU, same GGUF files, alternating runs.
# Usage: tools/bench-vs-llamacpp.sh LLAMA_BENCH GLINT [SHAPE] [TYPES] [REPS] [THREADS]
#   LLAMA_BENCH  path to llama.cpp's llama-bench (built outside this checkout)
#   GLINT        path to the glint CLI
#   SHAPE        synthetic shape (default 1b: dim 2048, 22 layers, 32/4 heads, ffn 5632)
#   TYPES        space-separated weight types (default "q4_0 q8_0")
# Prefill: 128 tokens in one batch; decode: 32 tokens after BOS (llama-bench pp128 / tg32).
set -euo pipefail
lb=$1; glint=$2; shape=${3:-1b}; types=${4:-"q4_0 q8_0"}; reps=${5:-3}; threads=${6:-2}

# 128 prompt ids inside the synthetic vocab, BOS first
ids=1; for i in $(seq 1 127); do ids="$ids,$(( (i * 37) % 500 + 3 ))"; done

printf '| model | engine | prefill 128 (tok/s) | decode 32 (tok/s) |\n|---|---|---|---|\n'
for type in $types; do
  "$glint" run --synthetic "$shape:$type" -n 1 --temp 0 >/dev/null 2>&1 # writes the model once
  model=$(ls "${GLINT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/glint}/synthetic-$shape-$type.gguf")
  gp=(); gg=(); lp=(); lg=()
  for r in $(seq 1 "$reps"); do
    p=$("$glint" run -m "$model" --tokens "$ids" -n 1 --temp 0 -t "$threads" -b 128 2>&1 >/dev/null |
        sed -n 's/^prompt: .* \([0-9.]*\) tokens\/s/\1/p')
    g=$("$glint" run -m "$model" -n 33 --temp 0 --ignore-eos -t "$threads" 2>&1 >/dev/null |
        sed -n 's/^generation: .* \([0-9.]*\) tokens\/s/\1/p')
    out=$("$lb" -m "$model" -p 128 -n 32 -t "$threads" -r 1 -o csv 2>/dev/null)
    # avg_ts is the second-to-last column of llama-bench's csv
    l_p=$(echo "$out" | grep '"128","0"' | awk -F'","' '{print $(NF-1)}')
    l_g=$(echo "$out" | grep '"0","32"' | awk -F'","' '{print $(NF-1)}')
    gp+=("$p"); gg+=("$g"); lp+=("$l_p"); lg+=("$l_g")
    echo "rep $r $type: glint pp $p tg $g | llama.cpp pp $l_p tg $l_g" >&2
  done
  mean() { printf '%s\n' "$@" | awk '{s+=$1; n++} END {printf "%.2f", s/n}'; }
  sd() { printf '%s\n' "$@" | awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; v=q/n-m*m; if (v<0) v=0; printf "%.2f", sqrt(v)}'; }
  gpm=$(mean "${gp[@]}"); ggm=$(mean "${gg[@]}"); lpm=$(mean "${lp[@]}"); lgm=$(mean "${lg[@]}")
  printf '| %s %s | glint | %s ± %s | %s ± %s |\n' "$shape" "$type" "$gpm" "$(sd "${gp[@]}")" "$ggm" "$(sd "${gg[@]}")"
  printf '| %s %s | llama.cpp | %s ± %s | %s ± %s |\n' "$shape" "$type" "$lpm" "$(sd "${lp[@]}")" "$lgm" "$(sd "${lg[@]}")"
  printf '| %s %s | **glint / llama.cpp** | **%.2f×** | **%.2f×** |\n' "$shape" "$type" \
    "$(echo "$gpm / $lpm" | bc -l)" "$(echo "$ggm / $lgm" | bc -l)"
done
