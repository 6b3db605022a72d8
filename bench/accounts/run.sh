#!/usr/bin/env bash
# Account flows under load, on PostgreSQL + Redis: the pure password-hash rate of the service's hasher,
# sign-ins per second through /auth/sign-in (goal: at least 0.9 of the hash rate, so the flow adds little
# beyond the hash), and refresh-token rotations per second through /auth/refresh-tokens (goal: 500/s).
# All three are measured in the same run, on the same machine, one after the other.
#
# Everything runs on 127.0.0.1 and everything the script starts is stopped when it exits.
# Needs root on a fresh machine (apt-get, and runuser to run PostgreSQL as 'postgres').
#
# Settings (environment):
#   BENCH_SECONDS=15     length of each measurement
#   BENCH_SESSIONS=32    refresh-token chains rotated in parallel
set -euo pipefail

SECONDS_EACH=${BENCH_SECONDS:-15}
SESSIONS=${BENCH_SESSIONS:-32}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
CLIENT_ID=bench-app
CLIENT_SECRET=bench-app-secret-0000000001

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  fail "no free port"
}

run_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

packages=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
command -v redis-server >/dev/null || packages+=(redis-server)
command -v curl >/dev/null || packages+=(curl)
if ((${#packages[@]} > 0)); then
  [[ $(id -u) -eq 0 ]] || fail "missing ${packages[*]}; run as root so they can be installed"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/gatehouse-bench-accounts.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
GATEHOUSE_PID=""
REDIS_PORT=""
cleanup() {
  [[ -n "$GATEHOUSE_PID" ]] && kill "$GATEHOUSE_PID" 2>/dev/null || true
  [[ -f "$WORK/pg/postmaster.pid" ]] && run_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  [[ -f "$WORK/redis.pid" ]] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

say "starting PostgreSQL and Redis"
mkdir -p "$WORK/pg"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$WORK/pg"
run_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres -A trust --no-sync >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; fail initdb; }
PG_PORT=$(free_port)
run_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
run_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatehouse_bench
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK"
DATABASE="Host=127.0.0.1;Port=$PG_PORT;Database=gatehouse_bench;Username=postgres"

say "publishing Gatehouse and the load driver (Release)"
dotnet publish "$REPO_ROOT/src/Gatehouse.Identity" -c Release -o "$WORK/gatehouse" --nologo -v quiet >"$WORK/publish.log" 2>&1 \
  || { cat "$WORK/publish.log"; fail "dotnet publish"; }
dotnet build "$REPO_ROOT/bench/Gatehouse.Benchmarks" -c Release --nologo -v quiet -o "$WORK/driver" >"$WORK/driver.log" 2>&1 \
  || { cat "$WORK/driver.log"; fail "dotnet build (driver)"; }

PORT=$(free_port)
say "starting Gatehouse on 127.0.0.1:$PORT"
(cd "$WORK/gatehouse" && exec env \
  ASPNETCORE_URLS="http://127.0.0.1:$PORT" ASPNETCORE_ENVIRONMENT=Production \
  Logging__LogLevel__Default=Warning \
  Gatehouse__RequireHttps=false \
  Gatehouse__Database__Provider=PostgreSQL \
  "ConnectionStrings__Gatehouse=$DATABASE" \
  "ConnectionStrings__Redis=127.0.0.1:$REDIS_PORT" \
  Gatehouse__Scopes__bench.read__Resources__0=bench-api \
  "Gatehouse__Clients__${CLIENT_ID}__Secret=$CLIENT_SECRET" \
  "Gatehouse__Clients__${CLIENT_ID}__FirstParty=true" \
  "Gatehouse__Clients__${CLIENT_ID}__AllowAccountsApi=true" \
  "Gatehouse__Clients__${CLIENT_ID}__Scopes__0=bench.read" \
  Gatehouse__Accounts__RateLimits__Enabled=false \
  dotnet "$WORK/gatehouse/Gatehouse.Identity.dll") >"$WORK/gatehouse.log" 2>&1 &
GATEHOUSE_PID=$!
for _ in $(seq 1 90); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$GATEHOUSE_PID" 2>/dev/null || { cat "$WORK/gatehouse.log"; fail "Gatehouse stopped"; }
  sleep 1
done
curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null || { cat "$WORK/gatehouse.log"; fail "Gatehouse is not ready"; }

say "measuring ($SECONDS_EACH s each)"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, .NET SDK $(dotnet --version), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
# Other work on the machine skews every figure; the load average says how much there was.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
dotnet "$WORK/driver/Gatehouse.Benchmarks.dll" accounts-load \
  --url "http://127.0.0.1:$PORT" --database "$DATABASE" \
  --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" \
  --seconds "$SECONDS_EACH" --sessions "$SESSIONS" ${BENCH_IN_FLIGHT:+--in-flight "$BENCH_IN_FLIGHT"} \
  --service-pid "$GATEHOUSE_PID" --postgres-pid "$(head -n 1 "$WORK/pg/postmaster.pid")" --redis-pid "$(cat "$WORK/redis.pid")" \
  || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q ' fail: ' "$WORK/gatehouse.log"; then
  say "errors in the service log:"; grep -A3 ' fail: ' "$WORK/gatehouse.log" | head -20
fi
exit $status
