-- t/page_model.t: the lazy page model and articles.defer, seen from a filter
-- that runs after the three shipped ones.  r.args picks what it does; what
-- it finds goes out in X-PM-* headers.
local stashed                           -- a page kept past its request
local kept, kept_authors                -- kept to change in a later request

local function sorted_keys(iter, t)
  local keys = {}
  for k in iter(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return table.concat(keys, " ")
end

local modes = {}

function modes.keys(page, r)
  r:set_header("X-PM-Pairs", sorted_keys(pairs, page))
  local n = 0
  for _ in next, page do n = n + 1 end
  r:set_header("X-PM-Next", tostring(n))
end

function modes.next(page, r)             -- raw walks settle the page too
  local n = 0
  local k = next(page)
  while k ~= nil do n = n + 1; k = next(page, k) end
  r:set_header("X-PM-Next", tostring(n))
  r:set_header("X-PM-Rawget", type(rawget(page, "og")))
end

function modes.nil_fields(page, r)
  page.og = nil
  page.twitter = nil
  page.jsonld = nil
  page.languages = nil
  r:set_header("X-PM-Nil", table.concat({ tostring(page.og), tostring(page.twitter),
    tostring(page.jsonld), tostring(page.languages) }, " "))
end

function modes.mutate(page)
  page.site.title = "MUTATED-SITE"
  page.site.titles[1].text = "MUTATED-TITLES"
  for k in pairs(page.strings) do page.strings[k] = "MUTATED-STRING" end
  page.languages[1].name = "MUTATED-LANG"
  page.alternates[1].url = "/MUTATED-ALT"
  page.og[1].content = "MUTATED-OG"
  page.twitter[2].content = "MUTATED-TW"
  page.jsonld.headline = "MUTATED-LD"
  page.jsonld.author[1].name = "MUTATED-LD-AUTHOR"
  page.article.authors[1].name = "MUTATED-AUTHOR"
  page.collection.title = "MUTATED-COLL"
end

function modes.touch(page)
  local _ = page.jsonld                  -- read, not changed
end

function modes.stash(page, r)
  if stashed and stashed ~= page then
    r:set_header("X-PM-Stale", type(stashed.strings) .. " " .. type(stashed.site)
                 .. " " .. type(stashed.jsonld))
  end
  local _ = page.strings                 -- read by a filter; site only by the template
  stashed = page
end

-- Keep this request's page and the authors of its first related article;
-- then change what an earlier request on this state kept, when it may be
-- the cache's (the author list is the same table as this request's, unless
-- a check found it changed).
function modes.keep(page, r)
  local old, old_authors = kept, kept_authors
  kept = page
  kept_authors = page.related[1] and page.related[1].authors
  if not old then return end
  if type(old.og) == "table" then
    for _, m in ipairs(old.og) do
      if m.property == "og:title" then m.content = "KEPT-OG" end
    end
  end
  if type(old.site) == "table" then old.site.title = "KEPT-SITE" end
  if old_authors then old_authors[1].name = "KEPT-AUTHOR" end
  r:set_header("X-PM-Kept", type(old.og) .. " " .. type(old.site) .. " "
               .. type(old_authors))
end

-- A lambda that changes page.og and page.site while the template renders
-- (after the template printed them).
function modes.lambda(page)
  local text = page.date_text
  page.date_text = function()
    for _, m in ipairs(page.og) do
      if m.property == "og:title" then m.content = "LAMBDA-OG" end
    end
    page.site.title = "LAMBDA-SITE"
    return text
  end
end

-- A filter table whose __index, a Lua function, reaches page pieces while
-- the template reads it: what it changes shows on this page only.
function modes.index_fn(page)
  local coll = page.collection
  page.collection = setmetatable({ id = coll.id }, { __index = function(_, k)
    page.strings["more-on-topic"] = "INDEX-STRING"
    page.twitter[1].content = "INDEX-TW"
    page.related[1].authors[1].name = "INDEX-AUTHOR"
    return coll[k]
  end })
end

function modes.metatable(page, r)        -- a filter's own metatable on page
  setmetatable(page, { __index = function(_, k) return "meta-" .. k end })
  r:set_header("X-PM-Meta", type(rawget(page, "site")) .. " " .. page.nothing_here)
end

function modes.defer_shown(page)
  articles.defer(page, "date_text", function(p) return "DEFERRED-" .. p.kind end)
end

function modes.defer_loop(page)
  articles.defer(page, "date_text", function() while true do end end)
end

function modes.defer_mem(page)
  articles.defer(page, "date_text", function()
    local t = {}
    for i = 1, math.huge do t[i] = ("x"):rep(1024 * 1024) .. i end
  end)
end

function modes.defer_error(page)
  articles.defer(page, "date_text", function() error("deferred-secret-detail") end)
end

function modes.defer_unread(page)
  articles.defer(page, "never_read_by_anyone", function() while true do end end)
end

function modes.defer_set(page)
  articles.defer(page, "date_text", function() while true do end end)
  page.date_text = "SET-AFTER-DEFER"
end

function modes.defer_nil(page)
  articles.defer(page, "date_text", function() return "NOT-THIS" end)
  page.date_text = nil
end

function modes.defer_once(page, r)
  local calls = 0
  articles.defer(page, "x_once", function() calls = calls + 1; return "v" .. calls end)
  local a, b = page.x_once, page.x_once
  r:set_header("X-PM-Defer", a .. " " .. b .. " " .. calls)
end

function modes.defer_pairs(page, r)
  articles.defer(page, "x_walk", function() return "walked" end)
  local seen
  for k, v in pairs(page) do if k == "x_walk" then seen = v end end
  r:set_header("X-PM-Defer", tostring(seen))
end

function modes.defer_core(page)         -- a core field deferred: never built
  articles.defer(page, "og", function() return { { property = "og:title",
                                                   content = "DEFERRED-OG" } } end)
end

function modes.defer_jsonld(page)
  articles.defer(page, "jsonld", function()
    return { ["@type"] = "Thing", name = "DEFERRED-LD" }
  end)
end

-- The module's cached site table made to hold itself, fifty times over: the
-- next request's check of it must not walk 50^8 entries.
function modes.selfref(page)
  local site = page.site
  for i = 1, 50 do site["self" .. i] = site end
end

-- The version cache is bounded by what it holds, not by all the state
-- holds: with more than an eighth of the memory cap in this filter's hands
-- (garbage counts the same), making one more entry keeps the cache, so the
-- site table a filter read in an earlier request on this state is handed
-- out again.  The author lists of every article of every language: some
-- were never made on this state (the /pm pages show one article's).
local cache_site
function modes.cache_room(page, r)
  if not cache_site then
    cache_site = page.site
    return
  end
  local held = string.rep("x", 5 * 1024 * 1024)   -- above 32M / 8
  for _, l in ipairs(articles.languages()) do
    for _, a in ipairs(articles.find{ lang = l.code }) do
      local _ = a.authors
    end
  end
  r:set_header("X-PM-Cache", (page.site == cache_site and "kept" or "dropped")
               .. " " .. #held)
end

-- Old garbage: each page's 48 KB string is kept for five more pages of
-- this state, long enough to outlive two young collections (so it is old),
-- then dropped.  Only a full collection frees it.  A page allocates far
-- less than a fifth of what the state holds, so Lua's own collector never
-- steps in the middle of one: the young collection at its end is the only
-- one.
local kept, pages = {}, 0
function modes.old_garbage()
  pages = pages + 1
  kept[pages % 6] = string.rep("x", 48 * 1024) .. pages
end

function modes.more(page, r)            -- author.lua's deferred list, read
  local ids = {}
  for i, a in ipairs(page.more_by_author) do ids[i] = a.id end
  r:set_header("X-PM-More", table.concat(ids, " "))
end

-- The page's own URLs, kept per page in the version cache (page_urls_push).
function modes.urls(page, r)
  r:set_header("X-PM-Urls", table.concat({ page.path, page.url, page.canonical,
    page.search_url, tostring(page.feed_url) }, " "))
end

function modes.defer_bad(_, r)
  local ok, err = pcall(articles.defer, {}, "x", function() end)
  r:set_header("X-PM-Defer", tostring(ok) .. " " .. tostring(err):match("not the page") )
end

return function(page, r)
  local mode = r.args and r.args:match("^mode=([%w_]+)")
  if mode and modes[mode] then return modes[mode](page, r) end
end
