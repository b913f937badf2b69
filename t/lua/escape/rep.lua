-- One C call that allocates nothing and never ends.
return function()
  while true do pcall(string.rep, "", 1e15) end
end
