#!/usr/bin/env bash
# Installs the Debian 12 packages claimgate needs, only those missing (idempotent).
# Usage: scripts/install-deps.sh [build|run|test|bench]...   (default: build test)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libssl-dev libyaml-cpp-dev libsimdjson-dev libspdlog-dev libfmt-dev
  libcli11-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev openssl
)
test_pkgs=(
  clang libclang-rt-14-dev curl python3 python3-pytest python3-requests python3-jwt
  python3-cryptography python3-httpbin gunicorn python3-yaml nodejs
)
# npm (test/idp, the real-IdP e2e test): Debian's package, unless npm is already there — a
# NodeSource nodejs bundles npm and declares Conflicts: npm.
command -v npm >/dev/null 2>&1 || test_pkgs+=(npm)
run_pkgs=(python3 python3-httpbin gunicorn curl openssl)
# bench: the micro benches need only build; bench/gateway_bench.sh also needs the peers, the load
# generator, PyJWT (to mint its 10,000 tokens), curl and ss.
bench_pkgs=(wrk haproxy nginx-light linux-perf python3 python3-jwt python3-cryptography curl openssl iproute2)

want=()
[ $# -eq 0 ] && set -- build test
for set_name in "$@"; do
  case "$set_name" in
    build) want+=("${build_pkgs[@]}") ;;
    test) want+=("${test_pkgs[@]}") ;;
    run) want+=("${run_pkgs[@]}") ;;
    bench) want+=("${bench_pkgs[@]}") ;;
    *) echo "install-deps: unknown set '$set_name' (build|run|test|bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
