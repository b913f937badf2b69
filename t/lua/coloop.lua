-- Never ends, inside a coroutine: the budget must reach coroutines too.
return function()
  local co = coroutine.wrap(function() while true do end end)
  co()
end
