#!/usr/bin/env bash
# Builds Glint and runs every test suite: the release build with -Werror (all ctest suites),
# the bad-input suites again under ASan+UBSan, and the CPU suites cross-compiled for aarch64
# under qemu (with and without dotprod/i8mm). Models come from ../shared/models
# (GLINT_TEST_MODELS overrides); suites that need them skip where absent.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash tools/setup.sh

echo "== release build, all suites"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGLINT_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== ASan + UBSan: bad input and kernels (CPU only: GPU drivers' own leaks are not ours)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLINT_SANITIZE=ON \
  -DGLINT_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs"
VK_DRIVER_FILES=/nonexistent ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j "$jobs" \
  -R 'gguf|tokenizer|quants|sampler|model_bad|sched|cli_run'

echo "== aarch64 under qemu"
bash tools/test-arm.sh

echo "tools/test.sh: all suites passed"
