-- io is not in the sandbox.
return function(page)
  page.secret = io.open("/etc/passwd"):read("a")
end
