-- related.lua: "More on this topic".
--
-- articles.related (in C, over the snapshot's indexes) scores the other
-- articles of the page's language by what they share with this one and keeps
-- the best `limit`; ties go to the newer article.  The article itself and its
-- translations never appear; articles the author pinned with
-- <related ref="…"/> come first.  Tune the weights here: each shared tag adds
-- `weights.tags`, each shared author `weights.authors`, the same collection
-- `weights.collection`, and the text similarity (the other article's BM25
-- score for this one's top terms divided by this one's own, from 0 to 1)
-- times `weights.text`, a similarity under `text_min` counting as none (a
-- few common words shared are not a topic); an article needs `min_score` to
-- be listed.  With the values below one shared tag, or text two thirds as
-- alike as the article is to itself, is enough; a shared tag and similar
-- text rank first.
local limit = 5
local weights = { tags = 1, authors = 0, collection = 0, text = 1.5 }
local text_min = 0.2
local min_score = 1

-- The options, made once: articles.related only reads them, and a table
-- built on every call would be one more for the collector per page.
local options = {
  limit = limit, min_score = min_score,
  tags = weights.tags, authors = weights.authors,
  collection = weights.collection, text = weights.text, text_min = text_min,
}

return function(page)
  local article = page.article
  if not article then return end
  local related = articles.related(article, options)
  page.related = related
  page.has_related = #related > 0
end
