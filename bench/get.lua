-- GETs one page as new visitors would (no cookie), each from a distinct client address.
-- Arguments: path.
local path, headers

function init(args)
  path = args[1]
  headers = {}
end

function request()
  counter = counter + 1
  headers["X-Forwarded-For"] = client_address()
  return wrk.format("GET", path, headers)
end
