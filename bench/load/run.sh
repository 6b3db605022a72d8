#!/usr/bin/env bash
# Client-credentials grants per second: Gatehouse (Release, PostgreSQL + Redis) against node's
# oidc-provider configured the same way, driven by wrk with identical settings on this machine.
#
# Everything runs on 127.0.0.1 and everything the script starts is stopped when it exits.
# Needs root on a fresh machine (apt-get, and runuser to run PostgreSQL as 'postgres').
#
# Settings (environment):
#   BENCH_DURATION=10s        length of one measured wrk run
#   BENCH_ROUNDS=2            measured runs per server, alternating between the servers
#   BENCH_WARMUP=10s          unmeasured wrk run per server first (JIT tiering, pools, caches)
#   BENCH_THREADS=2           wrk threads
#   BENCH_CONNECTIONS=32      wrk connections
#   BENCH_NODE_WORKERS=1      oidc-provider processes (node:cluster); 1 is a plain node process
#   BENCH_GATEHOUSE_REDIS=on  'off' runs Gatehouse with its in-process stores instead of Redis
#   BENCH_GATEHOUSE_PG_OPTIONS=""  more Npgsql connection-string options for Gatehouse
#                             (e.g. "No Reset On Close=true;Max Auto Prepare=10")
#   BENCH_GATEHOUSE_ENV=""    more NAME=value settings for Gatehouse, space-separated, applied last
#                             (for experiments, e.g. "OTEL_SDK_DISABLED=true")
#   BENCH_MAX_ERROR_PERCENT=1 fail when more than this share of responses are errors
set -euo pipefail

DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-2}
WARMUP=${BENCH_WARMUP:-10s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
NODE_WORKERS=${BENCH_NODE_WORKERS:-1}
GATEHOUSE_REDIS=${BENCH_GATEHOUSE_REDIS:-on}
MAX_ERROR_PERCENT=${BENCH_MAX_ERROR_PERCENT:-1}

LOAD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LOAD_DIR/../.." && pwd)

CLIENT_ID=bench-client
SCOPE=bench.read
AUDIENCE=bench-api

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  return 1
}

install_missing_tools() {
  local packages=()
  find_pg_bin >/dev/null || packages+=(postgresql)
  command -v redis-server >/dev/null || packages+=(redis-server)
  command -v redis-cli >/dev/null || packages+=(redis-tools)
  command -v wrk >/dev/null || packages+=(wrk)
  command -v curl >/dev/null || packages+=(curl)
  if ((${#packages[@]} > 0)); then
    [[ $(id -u) -eq 0 ]] || fail "missing ${packages[*]}; run as root so they can be installed with apt-get"
    say "installing ${packages[*]}"
    apt-get update -qq
    # The packages would start their own PostgreSQL and Redis services on the default ports; this
    # script runs throwaway instances instead, so keep the services from starting (Debian's
    # policy-rc.d convention), unless the machine already has a policy of its own.
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
      || { if ((own_policy)); then rm -f /usr/sbin/policy-rc.d; fi; fail "apt-get install ${packages[*]}"; }
    if ((own_policy)); then rm -f /usr/sbin/policy-rc.d; fi
  fi

  command -v dotnet >/dev/null || fail "the .NET SDK (dotnet) is not on PATH"
  command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are required (oidc-provider 9 needs Node.js 20.18 or later)"
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)' \
    || fail "Node.js $(node --version) is too old for oidc-provider 9; 20.18 or later is needed"
  [[ $(id -u) -eq 0 ]] || fail "run as root: PostgreSQL is started as the 'postgres' user through runuser"
  id postgres >/dev/null 2>&1 || fail "there is no 'postgres' user; reinstall the postgresql package"
}

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# --- processes ---------------------------------------------------------------------------------

WORK=""
PG_BIN=""
PG_PORT=""
PG_STARTED=0
REDIS_PORT=""
GATEHOUSE_PID=""
NODE_PID=""

cleanup() {
  local status=$?
  set +e
  if [[ -n "$GATEHOUSE_PID" ]] && kill -0 "$GATEHOUSE_PID" 2>/dev/null; then
    kill "$GATEHOUSE_PID"; wait "$GATEHOUSE_PID" 2>/dev/null
  fi
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null
  fi
  if [[ -n "$REDIS_PORT" ]]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  fi
  if ((PG_STARTED)); then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1
  fi
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if ((status != 0)); then
      for log in "$WORK"/*.log "$WORK"/pg/server.out; do
        [[ -s "$log" ]] && { printf -- '--- last lines of %s\n' "$(basename "$log")" >&2; tail -n 25 "$log" >&2; }
      done
    fi
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_http() {
  local name=$1 url=$2 pid=$3 seconds=$4
  local deadline=$((SECONDS + seconds))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "$name exited while starting"
    ((SECONDS < deadline)) || fail "$name did not answer $url within ${seconds}s"
    sleep 0.5
  done
}

start_postgres() {
  PG_BIN=$(find_pg_bin)
  PG_PORT=$(free_port)
  mkdir -p "$WORK/pg"
  chown postgres:postgres "$WORK/pg"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/pg/initdb.out" 2>&1 \
    || { cat "$WORK/pg/initdb.out" >&2; fail "initdb"; }
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.out" -w -t 30 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories='$WORK/pg'" >/dev/null \
    || { cat "$WORK/pg/server.out" >&2; fail "PostgreSQL did not start"; }
  PG_STARTED=1
  runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatehouse_bench
}

start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$WORK" --logfile "$WORK/redis.log" --pidfile "$WORK/redis.pid" >/dev/null
  local deadline=$((SECONDS + 10))
  until redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "Redis did not start"
    sleep 0.2
  done
}

start_gatehouse() {
  local port=$1 secret=$2
  local settings=(
    ASPNETCORE_URLS="http://127.0.0.1:$port"
    ASPNETCORE_ENVIRONMENT=Production
    Logging__LogLevel__Default=Warning
    Gatehouse__RequireHttps=false
    Gatehouse__Database__Provider=PostgreSQL
    "ConnectionStrings__Gatehouse=Host=127.0.0.1;Port=$PG_PORT;Database=gatehouse_bench;Username=postgres;${BENCH_GATEHOUSE_PG_OPTIONS:-}"
    "Gatehouse__Scopes__${SCOPE}__Resources__0=$AUDIENCE"
    "Gatehouse__Clients__${CLIENT_ID}__Secret=$secret"
    "Gatehouse__Clients__${CLIENT_ID}__GrantTypes__0=client_credentials"
    "Gatehouse__Clients__${CLIENT_ID}__Scopes__0=$SCOPE"
  )
  if [[ "$GATEHOUSE_REDIS" == on ]]; then
    settings+=("ConnectionStrings__Redis=127.0.0.1:$REDIS_PORT")
  fi
  if [[ -n "${BENCH_GATEHOUSE_ENV:-}" ]]; then
    local extra
    read -r -a extra <<<"$BENCH_GATEHOUSE_ENV"
    settings+=("${extra[@]}")
  fi
  (cd "$WORK/gatehouse" && exec env "${settings[@]}" dotnet "$WORK/gatehouse/Gatehouse.Identity.dll") >"$WORK/gatehouse.log" 2>&1 &
  GATEHOUSE_PID=$!
  wait_for_http Gatehouse "http://127.0.0.1:$port/health/ready" "$GATEHOUSE_PID" 90
}

start_oidc_provider() {
  local port=$1 secret=$2
  (cd "$LOAD_DIR/oidc-provider" && exec env NODE_ENV=production PORT="$port" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$secret" \
    WORKERS="$NODE_WORKERS" node server.mjs) >"$WORK/oidc-provider.log" 2>&1 &
  NODE_PID=$!
  wait_for_http oidc-provider "http://127.0.0.1:$port/.well-known/openid-configuration" "$NODE_PID" 30
}

# Fails unless the endpoint issues an ES256 at+jwt access token for the scope.
check_token() {
  local name=$1 url=$2 secret=$3 response
  response=$(curl -sS -u "$CLIENT_ID:$secret" --data "grant_type=client_credentials&scope=$SCOPE" "$url") \
    || fail "$name: the token request did not complete"
  printf '%s' "$response" | node --input-type=module -e '
    const name = process.argv[1];
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    let body;
    try { body = JSON.parse(text); } catch { body = {}; }
    const parts = typeof body.access_token === "string" ? body.access_token.split(".") : [];
    const decode = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    const header = parts.length === 3 ? decode(parts[0]) : {};
    const claims = parts.length === 3 ? decode(parts[1]) : {};
    const problems = [];
    if (parts.length !== 3) problems.push("no JWT access_token");
    if (header.alg !== "ES256") problems.push(`alg is ${header.alg}`);
    if (String(header.typ).toLowerCase() !== "at+jwt") problems.push(`typ is ${header.typ}`);
    if (!String(claims.scope ?? "").split(" ").includes(process.argv[2])) problems.push(`scope is ${claims.scope}`);
    // Five minutes; a server may count the seconds already spent on the request.
    if (!(body.expires_in > 290 && body.expires_in <= 300)) problems.push(`expires_in is ${body.expires_in}`);
    if (problems.length > 0) {
      console.error(`${name}: ${problems.join("; ")}\n${text.slice(0, 500)}`);
      process.exit(1);
    }
    console.error(`${name}: ${header.alg} ${header.typ}, aud ${claims.aud}, scope ${claims.scope}, ${parts.join(".").length} bytes`);
  ' "$name" "$SCOPE" || fail "$name did not issue the expected token"
}

# Fails unless the endpoint turns away a wrong secret, so that neither server is measured skipping
# client authentication.
check_wrong_secret_refused() {
  local name=$1 url=$2 status
  status=$(curl -sS -o /dev/null -w '%{http_code}' -u "$CLIENT_ID:not-the-secret-0123456789" \
    --data "grant_type=client_credentials&scope=$SCOPE" "$url") || fail "$name: the token request did not complete"
  [[ "$status" == 400 || "$status" == 401 ]] || fail "$name answered $status to a wrong client secret"
}

# --- load --------------------------------------------------------------------------------------

CLOCK_TICKS=$(getconf CLK_TCK)

# CPU time, in clock ticks, used so far by a process and all of its descendants.
tree_cpu_ticks() {
  local root=$1
  [[ -n "$root" ]] || { echo 0; return; }
  ps -e -o pid=,ppid= | awk -v root="$root" '
    { parent[$1] = $2 }
    END { for (p in parent) { q = p; while (q > 1) { if (q == root) { print p; break } q = parent[q] } } }' |
    while read -r pid; do
      # The command name may hold spaces: the fields counted from after its closing parenthesis.
      [[ -r /proc/$pid/stat ]] && sed 's/^.*) //' "/proc/$pid/stat"
    done | awk '{ total += $12 + $13 } END { print total + 0 }'
}

# CPU ticks so far: Gatehouse, oidc-provider, PostgreSQL, Redis, then the machine's busy and total.
cpu_snapshot() {
  local pg_pid redis_pid
  pg_pid=$(head -n 1 "$WORK/pg/data/postmaster.pid" 2>/dev/null || true)
  redis_pid=$(cat "$WORK/redis.pid" 2>/dev/null || true)
  echo "$(tree_cpu_ticks "$GATEHOUSE_PID") $(tree_cpu_ticks "$NODE_PID") $(tree_cpu_ticks "$pg_pid") $(tree_cpu_ticks "$redis_pid")" \
    "$(awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat)"
}

field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Runs wrk once and prints its BENCH_RESULT line with the CPU each process used meanwhile;
# fails when too many responses are errors.
drive() {
  local name=$1 url=$2 secret=$3 duration=$4 output result before after
  before=$(cpu_snapshot)
  output=$(BENCH_AUTHORIZATION="Basic $(printf '%s:%s' "$CLIENT_ID" "$secret" | base64 | tr -d '\n')" BENCH_SCOPE="$SCOPE" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -s "$LOAD_DIR/token-request.lua" "$url") \
    || fail "wrk against $name"
  after=$(cpu_snapshot)
  printf '%s\n' "$output" >>"$WORK/wrk-$name.log"
  result=$(printf '%s\n' "$output" | grep '^BENCH_RESULT ') || fail "wrk printed no result for $name"
  local requests non2xx socket_errors
  requests=$(field "$result" requests)
  non2xx=$(field "$result" non2xx)
  socket_errors=$(field "$result" socket_errors)
  ((requests > 0)) || fail "$name answered no request"
  if awk -v e=$((non2xx + socket_errors)) -v n="$requests" -v max="$MAX_ERROR_PERCENT" 'BEGIN { exit !(100 * e / n > max) }'; then
    fail "$name: $non2xx non-2xx responses and $socket_errors socket errors out of $requests requests"
  fi
  printf '%s %s\n' "$result" "$(awk -v b="$before" -v a="$after" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    printf "gatehouse_ticks=%d node_ticks=%d postgres_ticks=%d redis_ticks=%d busy_ticks=%d all_ticks=%d",
      y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4], y[5] - x[5], y[6] - x[6] }')"
}

main() {
  install_missing_tools

  WORK=$(mktemp -d /tmp/gatehouse-load.XXXXXX)
  chmod 755 "$WORK"
  local secret
  secret=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')

  say "publishing Gatehouse (Release)"
  dotnet publish "$REPO_ROOT/src/Gatehouse.Identity" -c Release -o "$WORK/gatehouse" --nologo -v quiet >"$WORK/publish.log" 2>&1 \
    || { cat "$WORK/publish.log" >&2; fail "dotnet publish"; }

  say "installing oidc-provider"
  (cd "$LOAD_DIR/oidc-provider" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1 \
    || { cat "$WORK/npm.log" >&2; fail "npm ci"; }

  say "starting PostgreSQL and Redis"
  start_postgres
  start_redis

  local gatehouse_port node_port
  gatehouse_port=$(free_port)
  say "starting Gatehouse on 127.0.0.1:$gatehouse_port (Redis $GATEHOUSE_REDIS)"
  start_gatehouse "$gatehouse_port" "$secret"
  node_port=$(free_port)
  say "starting oidc-provider on 127.0.0.1:$node_port ($NODE_WORKERS process(es))"
  start_oidc_provider "$node_port" "$secret"

  local gatehouse_url="http://127.0.0.1:$gatehouse_port/connect/token"
  local node_url="http://127.0.0.1:$node_port/token"
  check_token gatehouse "$gatehouse_url" "$secret"
  check_token oidc-provider "$node_url" "$secret"
  check_wrong_secret_refused gatehouse "$gatehouse_url"
  check_wrong_secret_refused oidc-provider "$node_url"

  say "warming up ($WARMUP each)"
  drive gatehouse "$gatehouse_url" "$secret" "$WARMUP" >/dev/null
  drive oidc-provider "$node_url" "$secret" "$WARMUP" >/dev/null

  # Alternating rounds, so that anything else the machine does in the meantime hits both.
  local round result results_g=() results_n=()
  for ((round = 1; round <= ROUNDS; round++)); do
    result=$(drive gatehouse "$gatehouse_url" "$secret" "$DURATION")
    say "round $round/$ROUNDS: Gatehouse $(round_summary "$result")"
    results_g+=("$result")
    result=$(drive oidc-provider "$node_url" "$secret" "$DURATION")
    say "round $round/$ROUNDS: oidc-provider $(round_summary "$result")"
    results_n+=("$result")
  done

  check_token gatehouse "$gatehouse_url" "$secret"
  check_token oidc-provider "$node_url" "$secret"

  report "${results_g[*]}" "${results_n[*]}"
}

round_summary() {
  printf '%s\n' "$1" | tr ' ' '\n' | awk -F= '
    { v[$1] = $2 }
    END { printf "%.0f requests/s, p50 %.2f ms, p99 %.2f ms", v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000 }'
}

# Over all rounds of one server: requests/s (total requests / total time), mean p50, worst p99,
# requests, non-2xx, then CPU microseconds per request in Gatehouse, oidc-provider, PostgreSQL
# and Redis, and how busy the whole machine was (percent of all cores).
summarize() {
  printf '%s\n' $1 | awk -F= -v hz="$CLOCK_TICKS" '
    $1 == "requests" { r += $2 }
    $1 == "duration_us" { d += $2 }
    $1 == "non2xx" { e += $2 }
    $1 == "p50_us" { p50 += $2; n++ }
    $1 == "p99_us" { if ($2 > p99) p99 = $2 }
    $1 ~ /_ticks$/ { t[$1] += $2 }
    END {
      us = 1e6 / hz / r
      printf "%.0f %.2f %.2f %d %d %.0f %.0f %.0f %.0f %.0f\n", r / (d / 1e6), p50 / n / 1000, p99 / 1000, r, e,
        t["gatehouse_ticks"] * us, t["node_ticks"] * us, t["postgres_ticks"] * us, t["redis_ticks"] * us,
        100 * t["busy_ticks"] / t["all_ticks"]
    }'
}

report() {
  local g_rps g_p50 g_p99 g_requests g_errors g_cpu_g g_cpu_n g_cpu_pg g_cpu_redis g_busy
  local n_rps n_p50 n_p99 n_requests n_errors n_cpu_g n_cpu_n n_cpu_pg n_cpu_redis n_busy
  read -r g_rps g_p50 g_p99 g_requests g_errors g_cpu_g g_cpu_n g_cpu_pg g_cpu_redis g_busy <<<"$(summarize "$1")"
  read -r n_rps n_p50 n_p99 n_requests n_errors n_cpu_g n_cpu_n n_cpu_pg n_cpu_redis n_busy <<<"$(summarize "$2")"
  local ratio; ratio=$(awk -v a="$g_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
  local node_label="oidc-provider"
  ((NODE_WORKERS > 1)) && node_label="oidc-provider x$NODE_WORKERS"
  local row='%-20s %11s %8s %8s %9s %8s %10s %8s %7s %6s\n'

  echo
  echo "Client-credentials grant, ES256 at+jwt, wrk -t$THREADS -c$CONNECTIONS, $ROUNDS x $DURATION per server after $WARMUP warm-up"
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, .NET SDK $(dotnet --version), Node.js $(node --version)," \
    "oidc-provider $(node -p 'require(process.argv[1]).version' "$LOAD_DIR/oidc-provider/node_modules/oidc-provider/package.json")," \
    "Gatehouse Redis $GATEHOUSE_REDIS"
  echo
  # CPU columns: microseconds of CPU per request in the server's own process(es), in PostgreSQL
  # and in Redis, and how busy both cores were (wrk included).
  printf "$row" server 'requests/s' 'p50 ms' 'p99 ms' requests non-2xx 'server us' 'pg us' 'redis us' 'busy%'
  printf "$row" Gatehouse "$g_rps" "$g_p50" "$g_p99" "$g_requests" "$g_errors" "$g_cpu_g" "$g_cpu_pg" "$g_cpu_redis" "$g_busy"
  printf "$row" "$node_label" "$n_rps" "$n_p50" "$n_p99" "$n_requests" "$n_errors" "$n_cpu_n" "$n_cpu_pg" "$n_cpu_redis" "$n_busy"
  echo
  echo "Gatehouse / $node_label: ${ratio}x requests/s (goal: 2.00x or more)"
}

main "$@"
