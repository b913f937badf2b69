-- utf8.char with many arguments, again and again.
return function()
  local t = {}
  for i = 1, 200000 do t[i] = 0x10FFFF end
  while true do pcall(utf8.char, table.unpack(t)) end
end
