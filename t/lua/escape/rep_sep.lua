-- The same with a separator.
return function()
  while true do pcall(string.rep, "", 1e12, "") end
end
