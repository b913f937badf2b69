-- Never ends: the instruction budget stops it.
return function()
  local n = 0
  while true do n = n + 1 end
end
