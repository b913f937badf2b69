-- Keeps an article view in a global and uses it in a later request: every
-- access must be refused, whatever the route.  409 says one was not.
local function stale(err)
  return type(err) == "string" and err:find("used after the request", 1, true)
end

return function(page)
  local k = kept
  kept = page.article
  if k == nil then return end
  local routes = {
    function(v) return v.title end,
    function(v) v.title = "x" end,
    function(v) return v == kept end,
    function(v) return kept == v end,
    function(v) return articles.related(v) end,
    function(v) return articles.snippet(v, "x") end,
    tostring,
  }
  for _, route in ipairs(routes) do
    local ok, err = pcall(route, k)
    if ok or not stale(err) then return 409 end
  end
  return tostring(k)
end
