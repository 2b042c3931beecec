#!/usr/bin/env bash
# Builds and runs every test of claimgate: unit + conformance + end-to-end tests (release build),
# the unit tests again under ASan+UBSan, and each libFuzzer target for a bounded time.
# Installs the Debian packages it needs first. Usage: scripts/test.sh
#   FUZZ_SECONDS=N   seconds per fuzz target (default 60)
#   SKIP_SANITIZE=1 / SKIP_FUZZ=1   skip those stages (local iteration only; CI runs all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-60}

"$root/scripts/install-deps.sh" build test

failed=0
declare -a summary=()
stage() {  # stage NAME COMMAND...: run a stage, remember whether it passed
  local name=$1; shift
  echo "=== $name"
  if "$@"; then summary+=("PASS $name"); else summary+=("FAIL $name"); failed=$((failed + 1)); fi
}

release() {
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/release -j "$jobs"
  ctest --test-dir build/release --output-on-failure -j 1
}
sanitize() {
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCLAIMGATE_SANITIZE=ON \
    -DCLAIMGATE_BENCH=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -L unit -j "$jobs"
}
fuzz() {
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLAIMGATE_FUZZ=ON -DCLAIMGATE_TESTS=OFF -DCLAIMGATE_BENCH=OFF >/dev/null
  local targets
  targets=$(cd test/fuzz && ls -- *_fuzz.cc 2>/dev/null | sed 's/_fuzz\.cc$//')
  [ -n "$targets" ] || { echo "no fuzz targets"; return 0; }
  cmake --build build/fuzz -j "$jobs" --target $(printf 'fuzz_%s ' $targets)
  local t rc=0
  for t in $targets; do
    local work
    work=$(mktemp -d)
    cp -r "test/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
    echo "--- fuzz_$t for ${fuzz_seconds}s"
    if ! build/fuzz/test/fuzz/fuzz_$t -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$root/build/fuzz/" "$work" \
        >"build/fuzz/fuzz_$t.log" 2>&1; then
      tail -n 60 "build/fuzz/fuzz_$t.log"
      echo "fuzz_$t FAILED (artifacts in build/fuzz/, full log build/fuzz/fuzz_$t.log)"
      rc=1
    else
      tail -n 6 "build/fuzz/fuzz_$t.log"
    fi
    rm -rf "$work"
  done
  return $rc
}

stage release release
[ "${SKIP_SANITIZE:-0}" = 1 ] || stage sanitize sanitize
[ "${SKIP_FUZZ:-0}" = 1 ] || stage fuzz fuzz

echo "=== summary"
printf '%s\n' "${summary[@]}"
passed=$(( ${#summary[@]} - failed ))
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
