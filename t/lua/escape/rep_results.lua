-- string.rep is the module's own (it doubles instead of copying once per
-- repetition): its results must be Lua's.  409 names a case that differs.
local function slow_rep(s, n, sep)
  local parts = {}
  for i = 1, n do parts[i] = s end
  return table.concat(parts, sep or "")
end

local cases = {
  { "", 0 }, { "", 5 }, { "x", 0 }, { "x", -3 }, { "x", 1 }, { "x", 2 },
  { "ab", 3 }, { "abc", 7 }, { "ab", 5, "," }, { "", 4, "--" }, { "x", 1, "," },
  { "\0z", 9, "\0" }, { "مقاله", 6, " " }, { "7", 1000, "" }, { "ab", 1025, "-" },
}

return function(page)
  for i, c in ipairs(cases) do
    local s, n, sep = c[1], c[2], c[3]
    if string.rep(s, n, sep) ~= slow_rep(s, n, sep) then return 409 end
    if (s):rep(n, sep) ~= slow_rep(s, n, sep) then return 409 end
    page["rep_" .. i] = true
  end
  local ok, err = pcall(string.rep, "x", 2 ^ 40)
  if ok or not tostring(err):find("too large", 1, true) then return 409 end
  ok = pcall(string.rep)
  if ok then return 409 end
end
