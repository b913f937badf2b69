-- Ends at once, but hands the template a lambda that never ends ({{site.title}}
-- in the layout calls it): the budgets bound what rendering runs for a filter.
return function(page)
  page.site.title = function() while true do end end
end
