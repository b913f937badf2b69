-- Finalizers run with the hook off: one that never ends would hold the
-- worker whenever the collector ran it.
local forever = { __gc = function() while true do end end }
return function()
  for _ = 1, 100 do pcall(setmetatable, {}, forever) end
  local keep = {}
  for i = 1, 200000 do keep[i % 100 + 1] = { i } end
  setmetatable({}, forever)
end
