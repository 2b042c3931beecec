#!/usr/bin/env bash
# Compares claimgate's per-token parse+verify rate (bench_jwt, one thread) with `openssl speed`
# verify/s for the same primitives (RSA-2048, ECDSA P-256, Ed25519), and prints the ratio.
# Usage: bench/crypto_vs_openssl.sh            (builds/uses build/release)
#        BUILD_DIR=build/mine bench/crypto_vs_openssl.sh
#        SECONDS_PER_ALG=3 (openssl speed -seconds), MIN_TIME=2 (benchmark min time per case)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
secs=${SECONDS_PER_ALG:-3}
min_time=${MIN_TIME:-2}

if [ ! -x "$build/bench/bench_jwt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target bench_jwt >/dev/null

json=$(mktemp)
ossl=$(mktemp)
trap 'rm -f "$json" "$ossl"' EXIT

"$build/bench/bench_jwt" --benchmark_filter='^(parseVerify|verifyOnly)/(RS256|ES256|EdDSA)$' \
  --benchmark_min_time="$min_time" --benchmark_format=json >"$json" 2>/dev/null
openssl speed -seconds "$secs" rsa2048 ecdsap256 ed25519 >"$ossl" 2>/dev/null

# items_per_second of one benchmark, by name.
ours() {
  python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print("%.0f" % next(b["items_per_second"] for b in d["benchmarks"] if b["name"]==sys.argv[2]))' "$json" "$1"
}
# verify/s column of an `openssl speed` result line matching a pattern (the last number).
theirs() { grep -E "$1" "$ossl" | tail -1 | awk '{print $NF}'; }

printf '%-7s %-26s %14s %14s %16s %8s\n' alg openssl-line "parse+verify/s" "verify-only/s" "openssl verify/s" ratio
for row in "RS256|rsa 2048 bits" "ES256|256 bits ecdsa \(nistp256\)" "EdDSA|EdDSA \(Ed25519\)"; do
  alg=${row%%|*}
  pattern=${row#*|}
  pv=$(ours "parseVerify/$alg")
  vo=$(ours "verifyOnly/$alg")
  os=$(theirs "$pattern")
  ratio=$(python3 -c "print('%.2f' % ($pv / $os))")
  printf '%-7s %-26s %14s %14s %16s %8s\n' "$alg" "$(echo "$pattern" | tr -d '\\')" "$pv" "$vo" "$os" "$ratio"
done
echo "ratio = our parse+verify/s / openssl verify/s (one thread each; openssl speed does not"
echo "hash the message nor set up a context per call, so 1.0 is the ceiling)."
