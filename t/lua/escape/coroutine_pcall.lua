-- A coroutine inside pcall that itself catches, resumed for ever.
return function()
  while true do
    local co = coroutine.create(function()
      while true do pcall(function() while true do end end) end
    end)
    pcall(coroutine.resume, co)
    coroutine.resume(co)
  end
end
