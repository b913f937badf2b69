-- A filter returns nothing or an HTTP status; a string is an error.
return function()
  return "fine"
end
