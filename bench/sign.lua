-- Posts the real sign form, as a browser on the campaign page does: the page's
-- hidden fields (the sign form needs no cookie and no per-visitor token; its
-- Origin says it comes from the site), a unique email per request (run tag,
-- thread id, per-thread counter) and a distinct client address in X-Forwarded-For.
-- Arguments: path, run tag, url-encoded hidden fields, cookie (may be empty), origin.
local path, tag, prefix, headers

function init(args)
  path = args[1]
  tag = args[2]
  prefix = args[3] .. "&given_name=Anahit&family_name=Petrosyan&country=AM&postal_code=0010&email="
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = args[5],
  }
  if args[4] ~= "" then
    headers["Cookie"] = args[4]
  end
end

function request()
  counter = counter + 1
  headers["X-Forwarded-For"] = client_address()
  -- Spread over many domains, as a real surge's addresses are (most on webmail,
  -- which the per-domain rule exempts; here 997 made-up domains).
  local email = string.format("wrk-%s-%d-%d%%40m%d.example.org", tag, thread_id, counter, counter % 997)
  return wrk.format("POST", path, headers, prefix .. email)
end
