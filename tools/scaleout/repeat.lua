-- wrk script for tools/scaleout/demo.sh: cycles over 50 seeds from
-- LOADTEST_BASE_SEED, so after the first 50 requests every URL has been seen
-- (what a shared cache in front of the replicas is for). Same RESULT line as
-- tools/loadtest.lua.
local base = tonumber(os.getenv("LOADTEST_BASE_SEED") or "0")
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", "/v1/image?seed=" .. (base + i % 50))
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.1f p99_ms=%.1f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
