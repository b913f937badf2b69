-- A to-be-closed variable whose __close never ends, in a coroutine that
-- coroutine.wrap closes when it dies.
local looping = { __close = function() while true do end end }
return function()
  while true do
    pcall(coroutine.wrap(function()
      local guard <close> = setmetatable({}, looping)
      while true do end
    end))
    pcall(function()
      local guard <close> = setmetatable({}, looping)
      while true do end
    end)
  end
end
