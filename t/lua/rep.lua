-- Asks for an 8 GiB string in one C call.
return function(page)
  page.big = string.rep("x", 8 * 1024 * 1024 * 1024)
end
