-- articles.search for t/memo.t: r.args is "lang=L&q=Q&limit=N&offset=M" (Q
-- percent-encoded), the answer goes into the tagline as "total:lang/id …".
return function(page, r)
  local lang, q, limit, offset = (r.args or ""):match(
    "^lang=(%a+)&q=([^&]+)&limit=(%d+)&offset=(%d+)$")
  if not lang then
    return 404
  end
  q = q:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  local found, total = articles.search(lang, q, { limit = tonumber(limit),
                                                  offset = tonumber(offset) })
  local ids = {}
  for i, a in ipairs(found) do
    ids[i] = a.lang .. "/" .. a.id
  end
  page.site.tagline = total .. ":" .. table.concat(ids, " ")
end
