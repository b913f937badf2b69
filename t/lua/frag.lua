-- t/frag.t: what the sections of t/lua/frag/article.mustache read from
-- outside the pristine tables they iterate.  r.args is a list of words;
-- each sets one page field from a counter of this Lua state, so that no two
-- requests a state serves agree, and X-Frag says what was set.
local n = 0

local set = {}
function set.mark(page) page.mark = "m" .. n; return page.mark end
function set.flag(page) page.flag = n % 2 == 0; return tostring(page.flag) end
function set.tick(page) page.tick = n; return tostring(n) end
-- One function for every request: it answers differently each time.
local function lam() return "L" .. n end
function set.lam(page) page.lam = lam; return "L" .. n end
-- One table for every request, its field changed each time.
local obj = {}
function set.obj(page) obj.k = "k" .. n; page.obj = obj; return obj.k end
function set.big(page) page.big = string.rep("b", 64) .. n; return page.big end
function set.touch(page)
  page.og[1].property = "touched" .. n
  return page.og[1].property
end

return function(page, r)
  n = n + 1
  page.views = { page.article, page.article }
  local said = {}
  for word in (r.args or ""):gmatch("[%a]+") do
    if set[word] then said[#said + 1] = word .. "=" .. set[word](page) end
  end
  r:set_header("X-Frag", table.concat(said, " "))
end
