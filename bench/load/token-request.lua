-- wrk script: every request is a client-credentials token request authenticated with
-- client_secret_basic, the same bytes for whichever server is under test.
--
-- BENCH_AUTHORIZATION  the value of the Authorization header ("Basic ...")
-- BENCH_SCOPE          the scope to ask for

local authorization = os.getenv("BENCH_AUTHORIZATION")
local scope = os.getenv("BENCH_SCOPE")
if authorization == nil or scope == nil then
  error("BENCH_AUTHORIZATION and BENCH_SCOPE must be set")
end

wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=" .. scope
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = authorization

-- One machine-readable line for run.sh; wrk's own report stays above it for people.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests,
    summary.duration,
    errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50),
    latency:percentile(99)))
end
