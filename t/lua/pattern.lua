-- A catastrophic pattern: minutes of backtracking inside one C call.
return function(page)
  page.found = string.find(("a"):rep(40000), ".-.-.-.-.-.-b")
end
