-- related.lua: "More on this topic".
--
-- Scores other articles of the page's language by the tags they share with
-- this one (each shared tag counts once), newer first among equals, and keeps
-- the best `limit`.  The article itself and its translations never appear.
-- Tune `limit` and `min_shared` here.
local limit = 5
local min_shared = 1

return function(page)
  local article = page.article
  if not article then return end
  local lang = article.lang
  local scores, order = {}, {}
  local exclude = { [article.url] = true }
  for _, t in ipairs(article.translations) do exclude[t.url] = true end

  for _, tag in ipairs(article.tags) do
    for _, other in ipairs(articles.find{ lang = lang, tag = tag.key, limit = 200 }) do
      local url = other.url
      if not exclude[url] then
        if not scores[url] then
          scores[url] = { article = other, shared = 0, ts = other.published_ts }
          order[#order + 1] = scores[url]
        end
        scores[url].shared = scores[url].shared + 1
      end
    end
  end
  table.sort(order, function(a, b)
    if a.shared ~= b.shared then return a.shared > b.shared end
    if a.ts ~= b.ts then return a.ts > b.ts end
    return a.article.url < b.article.url
  end)
  local related = {}
  for _, s in ipairs(order) do
    if #related >= limit or s.shared < min_shared then break end
    related[#related + 1] = s.article
  end
  page.related = related
  page.has_related = #related > 0
end
