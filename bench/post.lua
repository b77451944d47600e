-- wrk script: POST the JSON body in the file $BENCH_BODY_FILE to the target, check
-- every response, and when done print one machine-readable summary line (read by
-- bench/run.sh).
--
-- A response counts as wrong (`gql=`) when it is a 200 whose body holds a GraphQL
-- `"errors"` member, or (`size=`) when $BENCH_EXPECT_BYTES is set and the body has
-- another length: every benchmark question has one deterministic answer, so under
-- load each response must be the answer bench/run.sh checked before the run.
local path = os.getenv("BENCH_BODY_FILE")
local f = assert(io.open(path, "rb"), "cannot open BENCH_BODY_FILE " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local expect = tonumber(os.getenv("BENCH_EXPECT_BYTES") or "")

-- Per-thread counters (each wrk thread has its own Lua state); done() adds them up.
gql_errors = 0
wrong_size = 0

function response(status, headers, body)
  if status == 200 then
    if string.find(body, '"errors"', 1, true) then
      gql_errors = gql_errors + 1
    elseif expect and #body ~= expect then
      wrong_size = wrong_size + 1
    end
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local gql, size = 0, 0
  for _, thread in ipairs(threads) do
    gql = gql + (thread:get("gql_errors") or 0)
    size = size + (thread:get("wrong_size") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d gql=%d size=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, gql, size))
end
