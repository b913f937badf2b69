-- articles.related with its options, written into the tagline (t/lua_api.t).
local function ids(list)
  local out = {}
  for i, a in ipairs(list) do out[i] = a.id end
  return table.concat(out, ",")
end

return function(page)
  local a = page.article
  if not a then return end
  page.site.tagline = table.concat({
    ids(articles.related(a, { limit = 2 })),
    ids(articles.related(a, { tags = 0, authors = 1 })),
    ids(articles.related(a, { include_newer = false, limit = 1 })),
    ids(articles.related(a, { min_score = 99 })),
  }, "|")
end
