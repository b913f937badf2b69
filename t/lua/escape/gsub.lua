-- A replacement template scanned at every one of a million empty matches.
return function()
  local s = ("a"):rep(1000000)
  while true do pcall(string.gsub, s, "", ("%0"):rep(1000000)) end
end
