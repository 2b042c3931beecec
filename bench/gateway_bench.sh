#!/usr/bin/env bash
# Side-by-side gateway benchmark on loopback (issue 5): the upstream alone, HAProxy 2.6 (plain,
# and enforcing the seed JWT policy with jwt_verify/jwt_payload_query) and claimgate (plain, and
# with the seed JWTPolicy), driven by wrk. Writes bench/RESULTS.md. See docs/benchmarks.md.
#
# Usage: bench/gateway_bench.sh
# Environment (defaults in brackets):
#   ROUNDS [3]          rounds; each measures every (gateway, workload) once, gateways alternating
#   DURATION [10]       seconds per measured wrk run (after WARMUP [1] unrecorded seconds)
#   CONNECTIONS [50]    wrk connections;  THREADS [1] wrk threads
#   ONLY [all]          comma list to run a subset: gateways (upstream, haproxy, claimgate),
#                       workloads (plain, a, b, c, d, e), extras (speed, rss, threads);
#                       e.g. ONLY=claimgate,a  ONLY=b,threads  ONLY=rss
#   OUT [bench/RESULTS.md]   results file;  RAW_OUT [none] also keep the raw JSON lines there
#   BUILD_DIR [build/bench]  BUILD_TYPE [Release]   where claimgate is built (target claimgate)
#   CLAIMGATE [built]   use this claimgate binary instead of building one
#   TOKENS [10000]      distinct tokens of workload b;  IDLE_CONNS [10000] for the RSS figure
#   PORT_BASE [18000]   ports PORT_BASE+80 (nginx), +101..+107 (HAProxy), +201..+216 (claimgate)
#   GW_CPU [0] LOAD_CPU [1]   cores for the gateway and for wrk + nginx
#   KEEP_TMP [0]        1 keeps the temp dir (configs, keys, tokens, logs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
here="$root/bench/gateway"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-1}
ONLY=${ONLY:-}
OUT=${OUT:-bench/RESULTS.md}
RAW_OUT=${RAW_OUT:-}
BUILD_DIR=${BUILD_DIR:-build/bench}
BUILD_TYPE=${BUILD_TYPE:-Release}
TOKENS=${TOKENS:-10000}
IDLE_CONNS=${IDLE_CONNS:-10000}
PORT_BASE=${PORT_BASE:-18000}
GW_CPU=${GW_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
KEEP_TMP=${KEEP_TMP:-0}
PY=/usr/bin/python3
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_start=$SECONDS

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'gateway_bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- selection (ONLY)
sel_gw=() sel_wl=() sel_x=()
IFS=',' read -r -a only_items <<<"$ONLY"
for item in "${only_items[@]}"; do
  case "$item" in
    upstream|haproxy|claimgate) sel_gw+=("$item") ;;
    plain|a|b|c|d|e) sel_wl+=("$item") ;;
    speed|rss|threads) sel_x+=("$item") ;;
    "") ;;
    *) die "ONLY: unknown item '$item' (gateways upstream|haproxy|claimgate, workloads plain|a|b|c|d|e, extras speed|rss|threads)" ;;
  esac
done
in_list() { local x=$1; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }
want_run() {  # want_run GATEWAY WORKLOAD
  [ -z "$ONLY" ] && return 0
  [ ${#sel_gw[@]} -eq 0 ] && [ ${#sel_wl[@]} -eq 0 ] && return 1
  { [ ${#sel_gw[@]} -eq 0 ] || in_list "$1" "${sel_gw[@]}"; } &&
    { [ ${#sel_wl[@]} -eq 0 ] || in_list "$2" "${sel_wl[@]}"; }
}
want_extra() { [ -z "$ONLY" ] || { [ ${#sel_x[@]} -gt 0 ] && in_list "$1" "${sel_x[@]}"; }; }
need_haproxy_plain=0 need_haproxy_jwt=0 need_cg_plain=0 need_cg_jwt=0
want_run haproxy plain && need_haproxy_plain=1
want_run claimgate plain && need_cg_plain=1
for w in a b c d e; do
  want_run haproxy "$w" && need_haproxy_jwt=1
  want_run claimgate "$w" && need_cg_jwt=1
done
want_extra threads && need_cg_jwt=1

# ---------------------------------------------------------------- tools and claimgate
if [ "$(id -u)" -eq 0 ]; then
  if [ -n "${CLAIMGATE:-}" ]; then "$root/scripts/install-deps.sh" bench; else "$root/scripts/install-deps.sh" build bench; fi
fi
for tool in wrk haproxy nginx openssl taskset curl ss cmake ninja; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (scripts/install-deps.sh build bench)"
done
"$PY" -c 'import jwt, cryptography' 2>/dev/null || die "python3-jwt and python3-cryptography are missing (scripts/install-deps.sh bench)"
[ "$(nproc)" -ge 2 ] || log "only $(nproc) core: the gateway and the load generator will share it"

if [ -n "${CLAIMGATE:-}" ]; then
  cg=$CLAIMGATE
else
  log "building claimgate ($BUILD_TYPE) in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target claimgate
  cg="$root/$BUILD_DIR/src/cli/claimgate"
fi
[ -x "$cg" ] || die "no claimgate binary at $cg"

# ---------------------------------------------------------------- temp dir, processes, cleanup
tmp=$(mktemp -d /tmp/gateway-bench.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$KEEP_TMP" = 1 ]; then echo "gateway_bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The gateways and the holder of idle connections need many descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576
if [ "$nofile" -lt $((IDLE_CONNS + 500)) ]; then
  log "open-file limit $nofile < IDLE_CONNS + 500: IDLE_CONNS lowered to $((nofile - 500))"
  IDLE_CONNS=$((nofile - 500))
fi

start_bg() {  # start_bg NAME CPUS CMD...: background, pinned, logged; PID in $tmp/NAME.pid
  local name=$1 cpus=$2; shift 2
  taskset -c "$cpus" "$@" >"$tmp/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  echo "$pid" >"$tmp/$name.pid"
}
stop_bg() {  # stop_bg NAME: TERM, up to 5 s, then KILL
  local pid
  pid=$(cat "$tmp/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
wait_http() {  # wait_http NAME URL: up to 20 s for any HTTP answer while NAME is alive
  local pid
  pid=$(cat "$tmp/$1.pid")
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$1.log" >&2; die "$1 exited during start-up"; }
    if curl -sk -o /dev/null --max-time 1 "$2"; then return 0; fi
    sleep 0.2
  done
  cat "$tmp/$1.log" >&2
  die "$1 did not answer on $2 within 20 s"
}
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

NGINX_PORT=$((PORT_BASE + 80))
HA_PLAIN_PORT=$((PORT_BASE + 101))
HA_JWT_PORT=$((PORT_BASE + 102)) HA_JWT_TLS_PORT=$((PORT_BASE + 103))
HA_RSS_PORT=$((PORT_BASE + 106)) HA_RSS_TLS_PORT=$((PORT_BASE + 107))
CG_PLAIN_PORT=$((PORT_BASE + 201)) CG_PLAIN_ADMIN=$((PORT_BASE + 211))
CG_JWT_PORT=$((PORT_BASE + 202)) CG_JWT_TLS_PORT=$((PORT_BASE + 203)) CG_JWT_ADMIN=$((PORT_BASE + 212))
CG_T2_PORT=$((PORT_BASE + 204)) CG_T2_TLS_PORT=$((PORT_BASE + 205)) CG_T2_ADMIN=$((PORT_BASE + 214))
CG_RSS_PORT=$((PORT_BASE + 206)) CG_RSS_TLS_PORT=$((PORT_BASE + 207)) CG_RSS_ADMIN=$((PORT_BASE + 216))
for p in $NGINX_PORT $HA_PLAIN_PORT $HA_JWT_PORT $HA_JWT_TLS_PORT $HA_RSS_PORT $HA_RSS_TLS_PORT \
  $CG_PLAIN_PORT $CG_PLAIN_ADMIN $CG_JWT_PORT $CG_JWT_TLS_PORT $CG_JWT_ADMIN $CG_T2_PORT \
  $CG_T2_TLS_PORT $CG_T2_ADMIN $CG_RSS_PORT $CG_RSS_TLS_PORT $CG_RSS_ADMIN; do
  port_free "$p" || die "port $p is in use (set PORT_BASE)"
done

# ---------------------------------------------------------------- machine and versions
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
git_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain -- src 2>/dev/null | head -1)" ]; then git_rev="$git_rev + uncommitted changes in src/"; fi
export BENCH_META_STARTED="$started_at" BENCH_META_LOADAVG="$loadavg_start" BENCH_META_GIT="$git_rev"
export BENCH_META_CPU="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
export BENCH_META_CORES="$(nproc)" BENCH_META_KERNEL="$(uname -sr)"
export BENCH_META_HAPROXY="$(haproxy -v | head -1)" BENCH_META_NGINX="$(nginx -v 2>&1)"
export BENCH_META_WRK="$(wrk -v 2>&1 | head -1 | sed 's/ Copyright.*//')" BENCH_META_OPENSSL="$(openssl version)"
export BENCH_META_CLAIMGATE="$cg" BENCH_META_BUILD_TYPE="$BUILD_TYPE"
export BENCH_META_SETTINGS="ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS THREADS=$THREADS TOKENS=$TOKENS IDLE_CONNS=$IDLE_CONNS GW_CPU=$GW_CPU LOAD_CPU=$LOAD_CPU ONLY=${ONLY:-all}"

# ---------------------------------------------------------------- keys, certificate, tokens
log "keys, certificate and tokens in $tmp"
openssl genrsa -out "$tmp/private.pem" 2048 2>/dev/null
openssl rsa -in "$tmp/private.pem" -pubout -out "$tmp/public.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null
cat "$tmp/tls.crt" "$tmp/tls.key" >"$tmp/tls.pem"
exp=$(( $(date +%s) + 10 * 365 * 86400 ))
sign() { "$cg" token sign --key "$tmp/private.pem" --claims "$1"; }
sign "{\"iss\":\"https://localhost\",\"sub\":\"dev1\",\"email\":\"dev1@example.com\",\"org\":\"internal\",\"scope\":\"is:developer read:all\",\"exp\":$exp}" >"$tmp/seed.jwt"
sign "{\"iss\":\"https://localhost\",\"sub\":\"user1\",\"email\":\"user1@example.com\",\"org\":\"other\",\"scope\":\"is:developer read:all\",\"exp\":$exp}" >"$tmp/forbidden.jwt"
# Bad signature: the seed token with one character of its signature changed (mid-string, so the
# base64url stays canonical and the length right: only the RSA check can reject it).
seed=$(cat "$tmp/seed.jwt")
sig=${seed##*.}
mid=$(( ${#sig} / 2 ))
c=${sig:$mid:1}
if [ "$c" = A ]; then r=B; else r=A; fi
echo "${seed%.*}.${sig:0:$mid}$r${sig:$((mid + 1))}" >"$tmp/badsig.jwt"
# Tokens of the policy-parity check (each gateway must answer each as expected).
openssl genrsa -out "$tmp/other.pem" 2048 2>/dev/null
claims() {  # claims ISS EMAIL-MEMBER ORG SCOPE EXP
  echo "{\"iss\":\"$1\",\"sub\":\"p\",$2\"org\":\"$3\",\"scope\":\"$4\",\"exp\":$5}"
}
em='"email":"p@example.com",'
sign "$(claims https://localhost "$em" partner "read:all is:developer" "$exp")" >"$tmp/p-partner.jwt"
sign "$(claims https://localhost "" internal "is:developer" "$exp")" >"$tmp/p-noemail.jwt"
sign "$(claims https://localhost "$em" internal "read:all" "$exp")" >"$tmp/p-noscope.jwt"
sign "$(claims https://localhost "$em" internal "is:developer2" "$exp")" >"$tmp/p-scopeprefix.jwt"
sign "$(claims https://evil.example "$em" internal "is:developer" "$exp")" >"$tmp/p-issuer.jwt"
sign "$(claims https://localhost "$em" internal "is:developer" "$(( $(date +%s) - 3600 ))")" >"$tmp/p-expired.jwt"
"$cg" token sign --key "$tmp/other.pem" --claims "$(claims https://localhost "$em" internal "is:developer" "$exp")" >"$tmp/p-otherkey.jwt"
if want_run haproxy b || want_run claimgate b || want_extra threads; then
  log "minting $TOKENS distinct tokens (PyJWT)"
  "$PY" "$here/mint_tokens.py" "$tmp/private.pem" "$TOKENS" "$tmp/tokens.txt"
fi

# ---------------------------------------------------------------- configs
export BENCH_TMP="$tmp" BENCH_NGINX_PORT=$NGINX_PORT BENCH_TLS_PEM="$tmp/tls.pem"
export BENCH_PUBLIC_PEM="$tmp/public.pem" BENCH_TLS_CRT="$tmp/tls.crt" BENCH_TLS_KEY="$tmp/tls.key"
export BENCH_PUBLIC_KEY_PEM="$(cat "$tmp/public.pem")" BENCH_NOFILE=$nofile
# HAProxy reserves two descriptors per connection (client + server side) and refuses to start
# when 2 x maxconn exceeds the limit, so with the usual 20,000 it holds at most ~9,950 idle
# connections; its RSS figure then uses that many (and says so).
ha_maxconn=$(( (nofile - 100) / 2 ))
[ "$ha_maxconn" -gt $((IDLE_CONNS + 200)) ] && ha_maxconn=$((IDLE_CONNS + 200))
ha_idle=$IDLE_CONNS
[ "$ha_idle" -gt $((ha_maxconn - 50)) ] && ha_idle=$((ha_maxconn - 50))
export BENCH_MAXCONN=$ha_maxconn
fill() { "$PY" "$here/fill.py" "$@"; }
fill "$here/nginx.conf.in" "$tmp/nginx.conf"
BENCH_HAPROXY_PLAIN_PORT=$HA_PLAIN_PORT fill "$here/haproxy-plain.cfg.in" "$tmp/haproxy-plain.cfg"
BENCH_HAPROXY_JWT_PORT=$HA_JWT_PORT BENCH_HAPROXY_JWT_TLS_PORT=$HA_JWT_TLS_PORT \
  fill "$here/haproxy-jwt.cfg.in" "$tmp/haproxy-jwt.cfg"
BENCH_HAPROXY_JWT_PORT=$HA_RSS_PORT BENCH_HAPROXY_JWT_TLS_PORT=$HA_RSS_TLS_PORT \
  fill "$here/haproxy-jwt.cfg.in" "$tmp/haproxy-rss.cfg"
BENCH_CG_PORT=$CG_PLAIN_PORT fill "$here/claimgate-plain.yaml.in" "$tmp/claimgate-plain.yaml"
BENCH_CG_PORT=$CG_JWT_PORT BENCH_CG_TLS_PORT=$CG_JWT_TLS_PORT fill "$here/claimgate-jwt.yaml.in" "$tmp/claimgate-jwt.yaml"
BENCH_CG_PORT=$CG_T2_PORT BENCH_CG_TLS_PORT=$CG_T2_TLS_PORT fill "$here/claimgate-jwt.yaml.in" "$tmp/claimgate-t2.yaml"
BENCH_CG_PORT=$CG_RSS_PORT BENCH_CG_TLS_PORT=$CG_RSS_TLS_PORT fill "$here/claimgate-jwt.yaml.in" "$tmp/claimgate-rss.yaml"
haproxy -c -q -f "$tmp/haproxy-plain.cfg" >"$tmp/haproxy-check.log" 2>&1 || { cat "$tmp/haproxy-check.log" >&2; die "haproxy-plain.cfg does not load"; }
haproxy -c -q -f "$tmp/haproxy-jwt.cfg" >"$tmp/haproxy-check.log" 2>&1 || { cat "$tmp/haproxy-check.log" >&2; die "haproxy-jwt.cfg does not load"; }
for f in plain jwt; do
  "$cg" validate --config "$tmp/claimgate-$f.yaml" >"$tmp/validate-$f.log" 2>&1 || { cat "$tmp/validate-$f.log" >&2; die "claimgate-$f.yaml does not validate"; }
done

# ---------------------------------------------------------------- processes
start_haproxy() {  # start_haproxy NAME CFG CPUS URL
  start_bg "$1" "$3" haproxy -db -f "$2"
  wait_http "$1" "$4"
}
start_claimgate() {  # start_claimgate NAME CFG ADMIN-PORT CPUS THREADS
  start_bg "$1" "$4" "$cg" serve --config "$2" --admin-port "$3" --threads "$5" --access-log "" --log-level warn
  wait_http "$1" "http://127.0.0.1:$3/ready"
}
pid_of() { cat "$tmp/$1.pid"; }

log "starting nginx on 127.0.0.1:$NGINX_PORT (core $LOAD_CPU)"
mkdir -p "$tmp/nginx-body"
start_bg nginx "$LOAD_CPU" nginx -c "$tmp/nginx.conf" -p "$tmp"
wait_http nginx "http://127.0.0.1:$NGINX_PORT/"
[ "$need_haproxy_plain" = 1 ] && start_haproxy haproxy-plain "$tmp/haproxy-plain.cfg" "$GW_CPU" "http://127.0.0.1:$HA_PLAIN_PORT/"
[ "$need_haproxy_jwt" = 1 ] && start_haproxy haproxy-jwt "$tmp/haproxy-jwt.cfg" "$GW_CPU" "http://127.0.0.1:$HA_JWT_PORT/"
[ "$need_cg_plain" = 1 ] && start_claimgate claimgate-plain "$tmp/claimgate-plain.yaml" "$CG_PLAIN_ADMIN" "$GW_CPU" 1
[ "$need_cg_jwt" = 1 ] && start_claimgate claimgate-jwt "$tmp/claimgate-jwt.yaml" "$CG_JWT_ADMIN" "$GW_CPU" 1

# Policy parity: both JWT gateways enforce the seed policy the same way (exact statuses).
parity() {  # parity NAME PORT
  local name=$1 port=$2 bad=0 case expect what args code
  local cases=(
    "401|no token|"
    "200|seed token|H:seed"
    "200|org partner|H:p-partner"
    "200|seed token in ?auth_token=|Q:seed"
    "403|org other|H:forbidden"
    "403|no email|H:p-noemail"
    "403|no is:developer scope|H:p-noscope"
    "403|scope is:developer2|H:p-scopeprefix"
    "401|bad signature|H:badsig"
    "401|signed by another key|H:p-otherkey"
    "401|other issuer|H:p-issuer"
    "401|expired an hour ago|H:p-expired"
    "401|X-Auth without the Bearer prefix|R:seed"
  )
  for case in "${cases[@]}"; do
    IFS='|' read -r expect what args <<<"$case"
    local url="http://127.0.0.1:$port/" hdr=()
    case "$args" in
      H:*) hdr=(-H "X-Auth: Bearer $(cat "$tmp/${args#H:}.jwt")") ;;
      R:*) hdr=(-H "X-Auth: $(cat "$tmp/${args#R:}.jwt")") ;;
      Q:*) url="$url?auth_token=$(cat "$tmp/${args#Q:}.jwt")" ;;
    esac
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${hdr[@]}" "$url" || true)
    if [ "$code" != "$expect" ]; then
      echo "  $name: $what: got $code, wanted $expect" >&2
      bad=$((bad + 1))
    fi
  done
  [ "$bad" = 0 ] || die "$name does not enforce the seed policy as expected ($bad cases)"
  echo "  $name: ${#cases[@]} policy cases answered as expected" >&2
}
log "policy parity"
[ "$need_haproxy_jwt" = 1 ] && parity haproxy-jwt "$HA_JWT_PORT"
[ "$need_cg_jwt" = 1 ] && parity claimgate-jwt "$CG_JWT_PORT"

runs="$tmp/runs.jsonl"
: >"$runs"
nginx_pid=$(pid_of nginx)
measure() {  # measure GATEWAY WORKLOAD ROUND URL EXPECT PID [VAR=VALUE...] (token env for wrk)
  local gw=$1 wl=$2 round=$3 url=$4 expect=$5 pid=$6; shift 6
  env BENCH_TOKEN= BENCH_TOKENS= "$@" "$PY" "$here/measure.py" --gateway "$gw" --workload "$wl" \
    --round "$round" --url "$url" --expect "$expect" --pid "$pid" --nginx-pid "$nginx_pid" \
    --duration "$DURATION" --warmup "$WARMUP" --connections "$CONNECTIONS" --threads "$THREADS" \
    --wrk-cpus "$LOAD_CPU" --out "$runs" || die "run $gw/$wl round $round failed (see above)"
}
run_workload() {  # run_workload GATEWAY WORKLOAD ROUND
  local gw=$1 wl=$2 round=$3 port tls_port pid
  if [ "$wl" = plain ]; then
    if [ "$gw" = haproxy ]; then port=$HA_PLAIN_PORT; pid=$(pid_of haproxy-plain); else port=$CG_PLAIN_PORT; pid=$(pid_of claimgate-plain); fi
    measure "$gw" plain "$round" "http://127.0.0.1:$port/" 200 "$pid"
    return
  fi
  if [ "$gw" = haproxy ]; then port=$HA_JWT_PORT tls_port=$HA_JWT_TLS_PORT pid=$(pid_of haproxy-jwt)
  else port=$CG_JWT_PORT tls_port=$CG_JWT_TLS_PORT pid=$(pid_of claimgate-jwt); fi
  case "$wl" in
    a) measure "$gw" a "$round" "http://127.0.0.1:$port/" 200 "$pid" BENCH_TOKEN="$tmp/seed.jwt" ;;
    b) measure "$gw" b "$round" "http://127.0.0.1:$port/" 200 "$pid" BENCH_TOKENS="$tmp/tokens.txt" ;;
    c) measure "$gw" c "$round" "http://127.0.0.1:$port/" 403 "$pid" BENCH_TOKEN="$tmp/forbidden.jwt" ;;
    d) measure "$gw" d "$round" "http://127.0.0.1:$port/" 401 "$pid" BENCH_TOKEN="$tmp/badsig.jwt" ;;
    e) measure "$gw" e "$round" "https://127.0.0.1:$tls_port/" 200 "$pid" BENCH_TOKEN="$tmp/seed.jwt" ;;
  esac
}

# ---------------------------------------------------------------- the physical bound of (b)
if want_extra speed; then
  log "openssl speed -seconds 3 rsa2048 (core $GW_CPU)"
  taskset -c "$GW_CPU" openssl speed -seconds 3 rsa2048 >"$tmp/speed.txt" 2>/dev/null
  line=$(grep -E '^rsa 2048 bits' "$tmp/speed.txt" | tail -1)
  [ -n "$line" ] || die "openssl speed printed no rsa 2048 line"
  # rsa 2048 bits 0.000612s 0.000017s   1634.6  58294.3
  read -r _ _ _ _ _ sign_s verify_s <<<"$line"
  printf '{"kind":"speed","sign_per_s":%s,"verify_per_s":%s}\n' "$sign_s" "$verify_s" >>"$runs"
  echo "  openssl rsa2048: $sign_s sign/s, $verify_s verify/s" >&2
fi

# ---------------------------------------------------------------- the rounds
if want_run upstream plain; then
  log "upstream alone (the ceiling), once"
  measure upstream plain 1 "http://127.0.0.1:$NGINX_PORT/" 200 "$nginx_pid"
fi
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  order="haproxy claimgate"
  [ $((round % 2)) = 0 ] && order="claimgate haproxy"
  for wl in plain a b c d e; do
    for gw in $order; do
      want_run "$gw" "$wl" && run_workload "$gw" "$wl" "$round"
    done
  done
  if want_extra threads; then
    [ -f "$tmp/claimgate-t2.pid" ] || start_claimgate claimgate-t2 "$tmp/claimgate-t2.yaml" "$CG_T2_ADMIN" "$GW_CPU,$LOAD_CPU" 2
    measure claimgate-t1 b "$round" "http://127.0.0.1:$CG_JWT_PORT/" 200 "$(pid_of claimgate-jwt)" BENCH_TOKENS="$tmp/tokens.txt"
    measure claimgate-t2 b "$round" "http://127.0.0.1:$CG_T2_PORT/" 200 "$(pid_of claimgate-t2)" BENCH_TOKENS="$tmp/tokens.txt"
  fi
done
[ -f "$tmp/claimgate-t2.pid" ] && stop_bg claimgate-t2

# ---------------------------------------------------------------- RSS with idle connections
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
hwm_kib() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
rss_test() {  # rss_test GATEWAY NAME PORT COUNT
  local gw=$1 name=$2 port=$3 count=$4 pid before ready
  pid=$(pid_of "$name")
  # One request first, so "before" is a process that has served (TLS, key, pools set up).
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "X-Auth: Bearer $(cat "$tmp/seed.jwt")" "http://127.0.0.1:$port/")" = 200 ] ||
    die "$name does not answer 200 to the seed token"
  sleep 0.5
  before=$(rss_kib "$pid")
  ready="$tmp/$name.ready"
  start_bg "$name-holder" "$LOAD_CPU" "$PY" "$here/idle_conns.py" --port "$port" --count "$count" \
    --token-file "$tmp/seed.jwt" --ready-file "$ready" --hold 120
  for _ in $(seq 1 600); do
    [ -f "$ready" ] && break
    kill -0 "$(pid_of "$name-holder")" 2>/dev/null || { cat "$tmp/$name-holder.log" >&2; die "idle-connection holder died"; }
    sleep 0.2
  done
  [ -f "$ready" ] || die "idle-connection holder not ready within 120 s"
  sleep 1
  local with hwm fds
  with=$(rss_kib "$pid"); hwm=$(hwm_kib "$pid"); fds=$(ls "/proc/$pid/fd" | wc -l)
  stop_bg "$name-holder"
  printf '{"kind":"rss","gateway":"%s","rss_before_kib":%s,"rss_with_kib":%s,"hwm_kib":%s,"fds":%s,"wanted":%s,"holder":%s}\n' \
    "$gw" "$before" "$with" "$hwm" "$fds" "$count" "$(cat "$ready")" >>"$runs"
  echo "  $gw: RSS $((before / 1024)) MiB idle -> $((with / 1024)) MiB with $count connections (fds $fds; holder $(cat "$ready"))" >&2
}
if want_extra rss; then
  log "RSS holding $IDLE_CONNS idle keep-alive connections (fresh processes, one thread each)"
  start_claimgate claimgate-rss "$tmp/claimgate-rss.yaml" "$CG_RSS_ADMIN" "$GW_CPU" 1
  rss_test claimgate claimgate-rss "$CG_RSS_PORT" "$IDLE_CONNS"
  stop_bg claimgate-rss
  start_haproxy haproxy-rss "$tmp/haproxy-rss.cfg" "$GW_CPU" "http://127.0.0.1:$HA_RSS_PORT/"
  rss_test haproxy haproxy-rss "$HA_RSS_PORT" "$ha_idle"
  stop_bg haproxy-rss
fi

# ---------------------------------------------------------------- results
export BENCH_META_LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)" BENCH_META_SECONDS=$((SECONDS - t_start))
"$PY" "$here/render.py" "$runs" "$OUT"
[ -n "$RAW_OUT" ] && cp "$runs" "$RAW_OUT"
log "wrote $OUT in $((SECONDS - t_start)) s"
