-- Ends at once, but hands the template a table whose __index never ends (the
-- layout reads page.strings): the budgets bound what rendering runs for a filter.
return function(page)
  page.strings = setmetatable({}, { __index = function() while true do end end })
end
