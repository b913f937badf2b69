-- related.lua: "More on this topic".
--
-- Scores other articles of the page's language by the tags they share with
-- this one (each shared tag counts once), newer first among equals, and keeps
-- the best `limit`.  The article itself and its translations never appear.
-- Only the `per_tag` newest articles of each tag are considered, which keeps
-- the cost flat on large sites; the scoring index in C (issue #6) lifts that.
-- Tune `limit`, `per_tag` and `min_shared` here.
local limit = 5
local per_tag = 50
local min_shared = 1

-- More shared tags first, then newer, then by id for a stable order.
local function better(a, b)
  if a.shared ~= b.shared then return a.shared > b.shared end
  if a.ts ~= b.ts then return a.ts > b.ts end
  return a.id < b.id
end

return function(page)
  local article = page.article
  if not article then return end
  local lang, self_id = article.lang, article.id
  local scores, order = {}, {}

  for _, tag in ipairs(article.tags) do
    for _, other in ipairs(articles.find{ lang = lang, tag = tag.key, limit = per_tag }) do
      -- Same language, so the id alone names the article; translations of
      -- this one live in other languages and cannot appear.
      local id = other.id
      if id ~= self_id then
        local s = scores[id]
        if not s then
          s = { article = other, shared = 0, ts = other.published_ts, id = id }
          scores[id] = s
          order[#order + 1] = s
        end
        s.shared = s.shared + 1
      end
    end
  end
  -- The best `limit` by insertion: cheaper than sorting every candidate.
  local best = {}
  for _, s in ipairs(order) do
    if s.shared >= min_shared then
      local i = #best + 1
      while i > 1 and better(s, best[i - 1]) do i = i - 1 end
      if i <= limit then
        table.insert(best, i, s)
        best[limit + 1] = nil
      end
    end
  end
  local related = {}
  for i, s in ipairs(best) do related[i] = s.article end
  page.related = related
  page.has_related = #related > 0
end
