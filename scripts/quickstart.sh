#!/usr/bin/env bash
# The Gloo JWT walkthrough on this machine, end to end: installs what is missing, builds
# claimgate, starts httpbin (Debian python3-httpbin under gunicorn) on loopback, generates an RSA
# key pair and a TLS certificate with openssl, renders examples/quickstart/ with them, mints a
# developer and a user token with `claimgate token sign`, starts `claimgate serve`, and shows with
# curl over HTTP and HTTPS: no token 401, developer 200, user 403, developer in ?auth_token= 200.
# Then it keeps serving until Ctrl-C.
#
# Usage: scripts/quickstart.sh [--once]      (--once: exit after the demo, non-zero on a mismatch)
# Ports (override with env): HTTP_PORT=8080 HTTPS_PORT=8443 HTTPBIN_PORT=8000 ADMIN_PORT=9901
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
once=0
[ "${1:-}" = "--once" ] && once=1
HTTP_PORT=${HTTP_PORT:-8080}
HTTPS_PORT=${HTTPS_PORT:-8443}
HTTPBIN_PORT=${HTTPBIN_PORT:-8000}
ADMIN_PORT=${ADMIN_PORT:-9901}

"$root/scripts/install-deps.sh" build run
echo "== building claimgate"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)" --target claimgate
cg="$root/build/release/src/cli/claimgate"

gen="$root/examples/quickstart/generated"
rm -rf "$gen"
mkdir -p "$gen/config"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {  # wait_http URL: up to 20 s for anything to answer
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $1" >&2
  return 1
}

echo "== starting httpbin on 127.0.0.1:$HTTPBIN_PORT"
gunicorn -b "127.0.0.1:$HTTPBIN_PORT" -w 2 --access-logfile - httpbin:app >"$gen/httpbin.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$HTTPBIN_PORT/get"

echo "== generating the RSA key pair and the listener certificate with openssl"
openssl genrsa -out "$gen/private.pem" 2048 2>/dev/null
openssl rsa -in "$gen/private.pem" -pubout -out "$gen/public.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$gen/tls.key" -out "$gen/tls.crt" 2>/dev/null
python3 examples/quickstart/render.py --out "$gen/config" --http-port "$HTTP_PORT" \
  --https-port "$HTTPS_PORT" --httpbin-port "$HTTPBIN_PORT" --public-key "$gen/public.pem" \
  --tls-crt "$gen/tls.crt" --tls-key "$gen/tls.key"

echo "== minting tokens with claimgate token sign"
exp=$(( $(date +%s) + 86400 ))
DEV=$("$cg" token sign --key "$gen/private.pem" --claims \
  "{\"iss\":\"https://localhost\",\"sub\":\"dev1\",\"email\":\"dev1@solo.io\",\"org\":\"internal\",\"scope\":\"is:developer\",\"exp\":$exp}")
USER=$("$cg" token sign --key "$gen/private.pem" --claims \
  "{\"iss\":\"https://localhost\",\"sub\":\"user1\",\"email\":\"user1@example.com\",\"org\":\"external\",\"scope\":\"is:user\",\"exp\":$exp}")
echo "$DEV" >"$gen/dev.jwt"
echo "$USER" >"$gen/user.jwt"
"$cg" token inspect "$DEV"

echo "== starting claimgate serve --config $gen/config"
"$cg" validate --config "$gen/config"
"$cg" serve --config "$gen/config" --admin-port "$ADMIN_PORT" --threads 2 >"$gen/claimgate.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$ADMIN_PORT/ready"

mismatches=0
show() {  # show EXPECTED DESCRIPTION CURL-ARGS...
  local expected=$1 what=$2; shift 2
  local out code
  out=$(curl -s -k -D - "$@" | tr -d '\r')
  code=$(printf '%s\n' "$out" | sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')
  local mark="ok"
  if [ "$code" != "$expected" ]; then mark="UNEXPECTED (wanted $expected)"; mismatches=$((mismatches + 1)); fi
  printf '\n--- %s: %s  [%s]\n' "$what" "$code" "$mark"
  printf '%s\n' "$out" | grep -iE '^(www-authenticate|content-type):' || true
  printf '%s\n' "$out" | sed '1,/^$/d' | head -c 600
  echo
}
for scheme in http https; do
  port=$HTTP_PORT; [ "$scheme" = https ] && port=$HTTPS_PORT
  base="$scheme://localhost:$port"
  echo
  echo "========== $base"
  show 401 "no token" -H "X-httpbin: true" "$base/get"
  show 200 "developer token in X-Auth" -H "X-httpbin: true" -H "X-Auth: Bearer $DEV" "$base/get"
  show 403 "user token in X-Auth" -H "X-httpbin: true" -H "X-Auth: Bearer $USER" "$base/get"
  show 200 "developer token in ?auth_token=" -H "X-httpbin: true" "$base/get?auth_token=$DEV"
done

if [ "$once" = 1 ]; then
  [ "$mismatches" -eq 0 ] && echo "quickstart: all 8 answers as expected" || echo "quickstart: $mismatches unexpected answers"
  exit $(( mismatches > 0 ))
fi
cat <<MSG

claimgate is serving on http://localhost:$HTTP_PORT and https://localhost:$HTTPS_PORT
(admin: http://127.0.0.1:$ADMIN_PORT/stats/prometheus). Try more, in another shell:
  DEV=\$(cat $gen/dev.jwt); USER=\$(cat $gen/user.jwt)
  curl -i -H "X-httpbin: true" -H "X-Auth: Bearer \$DEV" http://localhost:$HTTP_PORT/headers
  $cg token inspect \$USER
  $cg token verify --key $gen/public.pem --issuer https://localhost \$USER
Config: $gen/config   Logs: $gen/claimgate.log
Press Ctrl-C to stop.
MSG
wait "${pids[1]}"
