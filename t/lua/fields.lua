-- Writes what a filter sees into the tagline, so a test can read it back.
return function(page, r)
  local a = page.article
  local seen = {
    "kind=" .. page.kind, "lang=" .. page.lang, "dir=" .. page.dir,
    "method=" .. r.method, "path=" .. r.path,
    "ua=" .. tostring(r:header("User-Agent") ~= nil),
    "cookie=" .. tostring(r:cookie("probe")),
    "strings=" .. type(page.strings), "site=" .. type(page.site),
    "related=" .. type(page.related),
  }
  if a then
    for _, f in ipairs{ "id", "lang", "dir", "title", "summary", "published",
                        "collection", "translation", "url", "body", "authors",
                        "tags", "translations" } do
      seen[#seen + 1] = "a." .. f .. ":" .. type(a[f])
    end
    seen[#seen + 1] = "author1=" .. a.authors[1].name
    seen[#seen + 1] = "get=" .. tostring(articles.get(a.lang, a.id) == a)
    seen[#seen + 1] = "find=" .. #articles.find{ lang = "en", limit = 2 }
    -- Offsets past any list: nothing, whatever their size in C.
    seen[#seen + 1] = "find_far=" .. #articles.find{ lang = "en", offset = 1 << 32 }
    seen[#seen + 1] = "find_mid=" .. #articles.find{ lang = "en", offset = 1 << 31 }
    seen[#seen + 1] = "langs=" .. #articles.languages()
    seen[#seen + 1] = "require=" .. tostring(require("articles") == articles)
  end
  page.site.tagline = table.concat(seen, "|")
end
