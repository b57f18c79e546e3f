-- Shared by sign.lua and get.lua (prepended by bench/wrk.py): counts answers by
-- status in every thread and prints one JSON line the harness parses.
local threads = {}
local next_thread = 0
statuses = {}
counter = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

-- A distinct client address per request, as a proxy would forward it, spread
-- over /24 ranges as a real surge's are: consecutive requests of a thread
-- fall in different ranges, so the flood rules (per address, per range)
-- judge every signature and hold none.
function client_address()
  return string.format("10.%d.%d.%d", counter % 256, math.floor(counter / 256) % 256, thread_id % 256)
end

function done(summary, latency, requests)
  local totals = {}
  local issued = 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for key, n in pairs(counts) do
      totals[key] = (totals[key] or 0) + n
    end
    issued = issued + (thread:get("counter") or 0)
  end
  local parts = {}
  for key, n in pairs(totals) do
    table.insert(parts, string.format('"%s": %d', key, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "issued": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, issued, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", ")))
end
