-- GETs one page as new visitors would (no cookie), each from a distinct client address.
-- Arguments: path, and the encodings the client takes (Accept-Encoding), if any.
local path, headers

function init(args)
  path = args[1]
  headers = {}
  if args[2] then
    headers["Accept-Encoding"] = args[2]
  end
end

function request()
  counter = counter + 1
  headers["X-Forwarded-For"] = client_address()
  return wrk.format("GET", path, headers)
end
