-- language.lua: the page's language, shown the way its readers expect.
--
-- The URL's language segment is authoritative: the router has already set
-- page.lang and page.dir from it.  Only the site root "/" has no language;
-- there (page.root) this filter chooses one -- the "lang" cookie if it names a
-- site language, then the best match for Accept-Language, then the site's
-- default -- and the module redirects to that language's index.
--
-- It also adds what depends on the language: the article's dates in the page
-- language (page.date_text for the dateline, page.signature_date_text for the
-- signature line, page.corrections with a date_text each for the corrections
-- under the body) and a date_text on every listed article.  Edit the date
-- forms in dates.lua: the dateline and the lists use dates.dateline (numeric,
-- "31.03.2025", except the Solar Hijri "۱۱ حمل ۱۴۰۴" of Dari and Pashto), the
-- signature dates.long.
local dates = require "dates"

-- The reader's language for the site root.
local function choose_language(page, r)
  local codes = {}
  for _, l in ipairs(articles.languages()) do codes[#codes + 1] = l.code end
  local cookie = r:cookie("lang")
  for _, code in ipairs(codes) do
    if code == cookie then return code end
  end
  return articles.negotiate(r:header("Accept-Language"), codes)
    or page.site.default_lang
end

return function(page, r)
  if page.root then
    page.lang = choose_language(page, r)
    return
  end
  local lang = page.lang
  local article = page.article
  if article then
    page.date_text = dates.dateline(article.published, lang)
    local sig = article.signature
    if sig and sig.date then
      page.signature_date_text = dates.long(sig.date, lang)
    end
    -- article.corrected first: reading article.corrections builds a list,
    -- and most articles have none.
    if article.corrected then
      local corrections = {}
      for i, c in ipairs(article.corrections) do
        corrections[i] = { date = c.date, date_iso = c.date_iso, text = c.text,
                           date_text = dates.long(c.date, lang) }
      end
      page.corrections = corrections
    end
  end
  -- Each listed article with its display date: a wrapper that adds the
  -- field and falls back to the article (which stays read-only) for the
  -- rest.  As ipairs would walk the list (up to the first nil, through
  -- metamethods), read from the page once; written out in the loop rather
  -- than through a helper, since a list page runs it for every article.
  -- The dates already made are looked up in dates.datelines first: a table
  -- read instead of two calls per article.
  local list = page.articles
  if list then
    local known, dateline = dates.datelines(lang), dates.dateline
    local i, a = 1, list[1]
    while a ~= nil do
      local iso = a.published
      local text = known[iso]
      if text == nil then text = dateline(iso, lang) end
      list[i] = setmetatable({ date_text = text or nil }, { __index = a })
      i = i + 1
      a = list[i]
    end
  end
end
