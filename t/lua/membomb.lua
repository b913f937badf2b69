-- Allocates without end: the memory cap of the state stops it.
return function()
  local t = {}
  for i = 1, math.huge do t[i] = ("x"):rep(1024 * 1024) .. i end
end
