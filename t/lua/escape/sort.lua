-- table.sort: a comparator that loops (caught), and a table of two billion
-- elements made of C functions only.
return function()
  for _ = 1, 1000 do
    pcall(table.sort, { 3, 1, 2, 5, 4 }, function() while true do end end)
  end
  local huge = setmetatable({}, {
    __len = function() return 2 ^ 31 - 2 end,
    __index = rawlen,
    __newindex = rawequal,
  })
  while true do pcall(table.sort, huge) end
end
