-- wrk script for tools/scaleout/demo.sh: cycles over 50 seeds from
-- LOADTEST_BASE_SEED, so after the first 50 requests every URL has been seen
-- (what a shared cache in front of the replicas is for). Everything else,
-- the RESULT line included, is tools/loadtest.lua's (run from the repo root).
dofile("tools/loadtest.lua")

local base = tonumber(os.getenv("LOADTEST_BASE_SEED") or "0")
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", "/v1/image?seed=" .. (base + i % 50))
end
