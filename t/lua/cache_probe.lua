-- The response cache: each query string makes the filter read or do one
-- thing, and X-Seen shows the client what it read.
return function(page, r)
  local a = r.args or ""
  if a:find("variant", 1, true) then
    r:set_header("X-Seen", r:header("X-Variant") or "none")
  elseif a:find("cookie", 1, true) then
    r:set_header("X-Seen", r:cookie("edition") or "none")
  elseif a:find("method", 1, true) then
    r:set_header("X-Seen", r.method)
  elseif a:find("clock", 1, true) then
    r:set_header("X-Seen", tostring(os.clock()))
  elseif a:find("now", 1, true) then
    r:set_header("X-Seen", os.date("%Y-%m-%d %H:%M:%S"))
  elseif a:find("fixed", 1, true) then
    r:set_header("X-Seen", os.date("!%Y-%m-%d", 0) .. " " .. os.time({ year = 2025, month = 1, day = 1 }))
  elseif a:find("random", 1, true) then
    r:set_header("X-Seen", tostring(math.random()))
  elseif a:find("log", 1, true) then
    r:log("info", "cache probe")
  elseif a:find("headers", 1, true) then
    r:set_header("X-Seen", r.headers_in["User-Agent"] or "none")
  end
  page.site.tagline = "cache-probe"
end
