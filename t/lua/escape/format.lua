-- string.format copying long strings, again and again.
return function()
  local s = ("x"):rep(1000):rep(1000)
  while true do pcall(string.format, "%s%s%s%s%99d", s, s, s, s, 1) end
end
