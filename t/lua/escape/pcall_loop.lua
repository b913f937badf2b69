-- Catches the budget's error and goes on, for ever.
return function()
  while true do pcall(function() while true do end end) end
end
