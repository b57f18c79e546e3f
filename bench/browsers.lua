-- Readers of the campaign page as real browsers send them: each with its own spelling of a
-- language preference (its region, its other languages and their weights: 120 spellings, over our
-- four languages and others we do not ship) and cookies of its own (a session from a sign-in page,
-- another service's), as a surge of returning supporters would; a third of them come by a link
-- shared on a social network, which appended a click id of each reader's own. A cache that kept a
-- copy per spelling, per cookie or per click id would send most of them to the app.
-- Arguments: path, the encodings browsers take (Accept-Encoding).
local path, headers
local spellings = {}

function init(args)
  path = args[1]
  -- Every browser takes compressed pages.
  headers = {["Accept-Encoding"] = args[2]}
  local firsts = {"hy-AM", "hy", "ru-RU", "ru", "fr-FR", "fr-CA", "fr-BE", "en-US", "en-GB", "en-CA",
    "de-DE", "es-ES", "it-IT", "ar-LB", "fa-IR"}
  local others = {"", ",en-US;q=0.9,en;q=0.8", ",en;q=0.9", ",ru;q=0.8", ",hy;q=0.7,en;q=0.5",
    ",fr;q=0.9,en;q=0.8", ",de;q=0.6", ",*;q=0.5"}
  for _, first in ipairs(firsts) do
    for _, rest in ipairs(others) do
      table.insert(spellings, first .. rest)
    end
  end
end

function request()
  counter = counter + 1
  headers["Accept-Language"] = spellings[(counter * 7919 + thread_id) % #spellings + 1]
  headers["Cookie"] = string.format("session=reader-%d-%d; _pk_id=%d", thread_id, counter % 1000, counter % 37)
  local at = path
  if counter % 3 == 0 then
    at = string.format("%s?source=facebook&fbclid=IwAR%d-%d", path, thread_id, counter)
  end
  return wrk.format("GET", at, headers)
end
