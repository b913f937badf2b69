-- A filter with a syntax error: the location answers 500 until it is fixed.
return function(page)
  if page.kind == then
  end
end
