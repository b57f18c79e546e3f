-- Viewers of one campaign polling its count.json through the front, each request from one of
-- `clients` virtual clients (their addresses in X-Forwarded-For, as a CDN would pass them on).
-- The pace (how long a connection waits between requests) is appended by bench/wrk.py.
-- Arguments: path, clients.
local path, clients, headers

function init(args)
  path = args[1]
  clients = tonumber(args[2])
  headers = {}
end

function request()
  counter = counter + 1
  local client = (counter * 7919 + thread_id) % clients
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(client / 65536) % 256,
    math.floor(client / 256) % 256, client % 256)
  return wrk.format("GET", path, headers)
end
