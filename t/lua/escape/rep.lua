-- One C call that allocates nothing and never ended: Lua's own string.rep
-- copies "" 1e15 times.
return function()
  while true do pcall(string.rep, "", 1e15) end
end
