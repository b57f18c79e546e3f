-- One client asking for the campaign page with a query nobody asked for before, as fast as it can:
-- each one a page the cache cannot answer. Every request from one address (X-Forwarded-For, as a
-- CDN would pass it on). Arguments: path, address, a word of this run's own (so that no address
-- repeats one of an earlier run's).
local path, headers, run

function init(args)
  path = args[1]
  headers = {["X-Forwarded-For"] = args[2]}
  run = args[3]
end

function request()
  counter = counter + 1
  return wrk.format("GET", string.format("%s?bust=%s-%d-%d", path, run, thread_id, counter), headers)
end
