-- wrk script for tools/loadtest.sh: every request asks for a different seed
-- (so neither the server's cache nor 304s help), one image per request.
local counter = 0
local base = os.getenv("LOADTEST_BASE_SEED") or "0"

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  seed = tonumber(base) + id * 100000000
  path = os.getenv("LOADTEST_PATH") or "/v1/image"
end

function request()
  seed = seed + 1
  return wrk.format("GET", path .. "?seed=" .. seed)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.1f p99_ms=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
