-- related.lua: "More on this topic".
--
-- articles.related (in C, over the snapshot's indexes) scores the other
-- articles of the page's language by what they share with this one and keeps
-- the best `limit`; ties go to the newer article.  The article itself and its
-- translations never appear.  Tune the weights here: each shared tag adds
-- `weights.tags`, each shared author `weights.authors`, the same collection
-- `weights.collection`; an article needs `min_score` to be listed.
local limit = 5
local weights = { tags = 1, authors = 0, collection = 0 }
local min_score = 1

return function(page)
  local article = page.article
  if not article then return end
  local related = articles.related(article, {
    limit = limit, min_score = min_score,
    tags = weights.tags, authors = weights.authors, collection = weights.collection,
  })
  page.related = related
  page.has_related = #related > 0
end
