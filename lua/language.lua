-- language.lua: the page's language, shown the way its readers expect.
--
-- The URL's language segment is authoritative (the C router has already chosen
-- page.lang and page.dir from it, and the root "/" redirects by cookie and
-- Accept-Language).  This filter adds what depends on the language: the
-- article's dates in the page language (page.date_text for the dateline,
-- page.signature_date_text for the signature line) and a date_text on every
-- listed article.  Edit the date forms in dates.lua.
local dates = require "dates"

-- A listed article with its display date; the article itself stays read-only,
-- the wrapper only adds fields and falls back to the article for the rest.
local function with_date(article, lang)
  return setmetatable({ date_text = dates.numeric(article.published, lang) },
                      { __index = article })
end

return function(page)
  local lang = page.lang
  if page.article then
    page.date_text = dates.numeric(page.article.published, lang)
    local sig = page.article.signature
    if sig and sig.date then
      page.signature_date_text = dates.long(sig.date, lang)
    end
  end
  if page.articles then
    for i, a in ipairs(page.articles) do
      page.articles[i] = with_date(a, lang)
    end
  end
end
