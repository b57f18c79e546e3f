-- GETs receipts (inclusion proofs) as JSON, one after another from the paths given, as a verifier would.
-- Arguments: the receipts' paths.
local paths, headers

function init(args)
  paths = args
  headers = {Accept = "application/json"}
end

function request()
  counter = counter + 1
  headers["X-Forwarded-For"] = client_address()
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end
