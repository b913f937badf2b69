-- Catches with pcall called through pcall (no Lua code in between).
return function()
  while true do
    pcall(pcall, pcall, function() while true do end end)
  end
end
