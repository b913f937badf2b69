-- author.lua: bylines and the author bio block.
--
-- page.byline lists the authors joined as the page's language writes it
-- ("A, B and C"; edit `joiners` below).  page.bios lists the article's
-- authors with their bio in the article's language (falling back to the
-- site's default language), split into
-- paragraphs so the template can start the first one with the author's name,
-- as the seed page does: "Abbas Hashemite – is a political observer …".
-- The bio HTML was produced and sanitised by the module from authors.xml.
--
-- page.more_by_author lists up to `more_limit` other articles of the first
-- author in the page language, for templates that want a "More by" block
-- (the default article template, like the seed page, does not show one).
-- It is deferred (articles.defer): the list is looked up only when a
-- template or a later filter reads it, so pages that do not show it do not
-- pay for it.
local more_limit = 5

-- How names are joined in a byline, per page language: "A, B and C".
local joiners = {
  en = { ", ", " and " },
  de = { ", ", " und " },
  fa = { "، ", " و " },
  ps = { "، ", " او " },
}

-- page.byline: the authors with the separator that follows each name.
local function byline(authors, lang)
  local j = joiners[lang] or joiners.en
  local list = {}
  local last = #authors - 1
  for i, a in ipairs(authors) do
    local sep = ""
    if i < last then sep = j[1] elseif i == last then sep = j[2] end
    list[i] = { name = a.name, url = a.url, sep = sep }
  end
  return list
end

-- The inner HTML of each <p>…</p> of a bio, or the whole text when it has
-- none.  Kept per bio text (at most `split_keep`): bios change only with the
-- repository, and splitting them is most of this filter's work.  The kept
-- lists are never handed out; each page gets tables of its own.
local split_keep = 256
local splits, nsplits = {}, 0

local function split(html)
  local parts = splits[html]
  if parts then return parts end
  parts = {}
  for inner in html:gmatch("<p[^>]*>(.-)</p>") do
    parts[#parts + 1] = inner
  end
  if #parts == 0 and html:find("%S") then
    parts[1] = html
  end
  if nsplits >= split_keep then splits, nsplits = {}, 0 end
  splits[html], nsplits = parts, nsplits + 1
  return parts
end

-- Paragraphs of a bio, the first marked (in its constructor: a field added
-- afterwards would grow the table).
local function paragraphs(html)
  local parts = split(html)
  local list = {}
  if parts[1] then list[1] = { html = parts[1], first = true } end
  for i = 2, #parts do
    list[i] = { html = parts[i] }
  end
  return list
end

return function(page)
  local article = page.article
  if not article then return end
  local authors = article.authors          -- read once: each read builds a list
  page.byline = byline(authors, page.lang)
  local bios = {}
  for _, a in ipairs(authors) do
    if a.bio then
      bios[#bios + 1] = { name = a.name, url = a.url, id = a.id, photo = a.photo,
                          paragraphs = paragraphs(a.bio) }
    end
  end
  page.bios = bios

  if authors[1] then
    -- Deferred: looked up only if a template (or a later filter) reads it.
    -- The function keeps only the article (a closure over more locals costs
    -- more to make on every page); its language and first author are read
    -- again from it, a read-only view, when the list is asked for.
    articles.defer(page, "more_by_author", function()
      local more = {}
      for _, other in ipairs(articles.find{ lang = article.lang,
                                            author = article.authors[1].id,
                                            limit = more_limit + 1 }) do
        if other ~= article and #more < more_limit then more[#more + 1] = other end
      end
      return more
    end)
  end
end
