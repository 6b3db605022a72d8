#!/usr/bin/env bash
# Runs every test twice: on the embedded default (SQLite + in-process stores) and on PostgreSQL +
# Redis, which this script installs if missing and starts as throwaway servers on loopback.
# Ends with a line "N passed, N failed, N skipped" and a non-zero exit code if anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=$(pwd)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

say() { printf 'test.sh: %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local packages=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  # Hosted pages are tested in a real headless Chromium (Debian's package, driven by Playwright).
  [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  # Node.js runs the test SMTP server (tests/smtp-mailbox) and openid-client, the independent relying
  # party of the OpenID Connect tests (tests/oidc-client).
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  if [ ${#packages[@]} -gt 0 ]; then
    say "installing ${packages[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  fi
}

# A port nothing listens on (checked through bash's /dev/tcp, so no extra tool is needed).
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  say "no free port found"; return 1
}

work=$(mktemp -d /tmp/gatehouse-test.XXXXXX)
chmod 755 "$work"
pg_data="$work/pg"
pg_bin=""
redis_pid=""

cleanup() {
  if [ -n "$pg_bin" ] && [ -f "$pg_data/postmaster.pid" ]; then
    run_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  mkdir -p "$pg_data"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_data"; fi
  run_pg "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust --no-sync >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; return 1; }
  pg_port=$(free_port)
  run_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 \
    -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$pg_data/server.log" >&2; return 1; }
  say "PostgreSQL on 127.0.0.1:$pg_port"
}

start_redis() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work"
  for _ in $(seq 1 50); do [ -s "$work/redis.pid" ] && break; sleep 0.1; done
  redis_pid=$(cat "$work/redis.pid")
  say "Redis on 127.0.0.1:$redis_port"
}

passed=0; failed=0; skipped=0
# Runs the test projects once; adds their counts to the totals.
run_suite() {
  local name=$1 log="$work/$1.log" status=0
  say "running the suite on $name"
  dotnet test --solution Gatehouse.slnx -c Release --no-build 2>&1 | tee "$log" || status=$?
  local total_failed total_passed total_skipped
  total_failed=$(grep -E '^\s*failed: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  total_passed=$(grep -E '^\s*succeeded: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  total_skipped=$(grep -E '^\s*skipped: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
  if [ "$status" -ne 0 ] && [ "$total_failed" -eq 0 ]; then
    say "the $name run exited with $status without a failed test: counting it as one failure"
    total_failed=1
  fi
  passed=$((passed + total_passed)); failed=$((failed + total_failed)); skipped=$((skipped + total_skipped))
  say "$name: $total_passed passed, $total_failed failed, $total_skipped skipped"
}

install_missing
for package in tests/smtp-mailbox tests/oidc-client; do
  say "installing the node packages of $package (npm ci)"
  (cd "$package" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1) || { cat "$work/npm.log"; exit 1; }
done
say "building"
dotnet build Gatehouse.slnx -c Release >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

unset GATEHOUSE_TEST_POSTGRES GATEHOUSE_TEST_REDIS
run_suite "sqlite-in-process"

start_postgres
start_redis
export GATEHOUSE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Maximum Pool Size=20"
export GATEHOUSE_TEST_REDIS="127.0.0.1:$redis_port"
run_suite "postgresql-redis"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
