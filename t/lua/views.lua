-- t/article_views.t: article views read by the templates in t/lua/views
-- through every route the template engine has: the view itself and a
-- wrapper whose __index is the view (read in C), a wrapper whose __index is a
-- function (read through Lua), and Lua strings copied from the view here.
-- r.args picks what else it does; what a filter sees goes out in X-V-*
-- headers.
local kept                              -- a view kept past its request

local modes = {}

local function keep(page, field, wrap)
  if kept then
    page[field] = wrap and setmetatable({ wrapped = true }, { __index = kept })
      or kept
  end
  kept = page.article
end

function modes.stale(page) keep(page, "old") end
function modes.stale_miss(page) keep(page, "old_miss") end
function modes.stale_wrap(page) keep(page, "old_wrap", true) end

-- Read by the template through a view wrapper's miss: the budget stops it.
function modes.burn(page)
  articles.defer(page, "burn", function() while true do end end)
end

function modes.lua(page, r)
  local a = page.article
  local function try(f)
    local ok, err = pcall(f)
    return ok and "no error" or tostring(err)
  end
  r:set_header("X-V-Num", tostring(a[1]))
  r:set_header("X-V-Miss", tostring(a.nosuch))
  r:set_header("X-V-Bool", try(function() return a[true] end))
  r:set_header("X-V-Type", try(function() return articles.snippet({}, "x") end))
  r:set_header("X-V-Write", try(function() a.title = "x" end))
  r:set_header("X-V-Eq", tostring(a == articles.get(a.lang, a.id)))
  r:set_header("X-V-Str", tostring(a))
  r:set_header("X-V-Pairs", try(function() for _ in pairs(a) do end end))
end

-- The fields the templates show, copied into Lua strings and tables.
local function copy(a)
  local authors = {}
  for i, au in ipairs(a.authors) do authors[i] = { name = au.name } end
  return { title = a.title, lang = a.lang, url = a.url, body = a.body,
           summary = a.summary, published_ts = a.published_ts,
           corrected = a.corrected, authors = authors }
end

return function(page, r)
  local a = page.article
  if a then
    page.lua = copy(a)
    -- an empty table is false to a section: each wrapper has a field
    page.fn_wrap = setmetatable({ wrapped = true },
                                { __index = function(_, k) return a[k] end })
    page.view_wrap = setmetatable({ wrapped = true }, { __index = a })
    page.override = setmetatable({ title = "OVERRIDDEN" }, { __index = a })
    -- more own fields than the engine notes, and names near a view's (and
    -- keys no name has): each is the table's or the view's as in Lua
    page.override_many = setmetatable({ t1 = 1, t2 = 2, t3 = 3, t4 = 4, title = "MANY" },
                                      { __index = a })
    page.override_near = setmetatable({ titles = "NEAR", [2.5] = "x", [true] = 1 },
                                      { __index = a })
    -- a lambda that points a wrapper being rendered at another __index, and
    -- one that gives it another metatable: what follows reads the new one
    page.swap_wrap = setmetatable({ wrapped = true }, { __index = a })
    page.swap = function()
      getmetatable(page.swap_wrap).__index = { title = "SWAPPED", lang = "xx" }
      return ""
    end
    -- a name the page lacks, until a lambda defers it midway through a list
    page.three = { {}, {}, {} }
    page.setlate = function()
      articles.defer(page, "late", function() return "L" end)
      return ""
    end
    -- a lambda setting page fields the template read through the page's
    -- __index (site) or found missing: what follows reads the new ones
    page.kept_set = function()
      page.site = { title = "RESITE" }
      page.kept_new = "NEW"
      return ""
    end
    page.reset_wrap = setmetatable({ wrapped = true }, { __index = a })
    page.reset = function()
      setmetatable(page.reset_wrap, { __index = { title = "RESET" } })
      return ""
    end
  end
  if page.articles then
    page.lua_list = {}
    for i, w in ipairs(page.articles) do   -- language.lua's wrappers
      page.lua_list[i] = copy(w)
      page.lua_list[i].date_text = w.date_text
    end
  end
  local mode = r.args and r.args:match("^mode=([%w_]+)")
  if mode and modes[mode] then return modes[mode](page, r) end
end
