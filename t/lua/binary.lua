-- load refuses binary chunks ("\27Lua" signature).
return function()
  assert(load("\27Lua\84\0\25\147\13\10\26\10\4\8\8"))()
end
