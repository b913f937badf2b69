-- articles.search with snippets and articles.snippet, written into the page
-- body's place of the tagline (t/lua_api.t): ids, then snippets, "|"-joined.
return function(page)
  local results, total, snippets = articles.search("en", "Azerbaijan energy",
                                                   { limit = 2, snippets = true, length = 80 })
  local _, _, none = articles.search("en", "Azerbaijan", { limit = 1 })
  local out = { tostring(total), tostring(#results), tostring(#snippets), tostring(none) }
  for i, a in ipairs(results) do
    out[#out + 1] = a.id
    out[#out + 1] = snippets[i]
  end
  out[#out + 1] = articles.snippet(results[1], "AZERBAIJAN")
  page.site.tagline = table.concat(out, "|")
end
