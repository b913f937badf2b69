-- t/cache.t rewrites this file to see that cached pages follow the code.
return function(page, r)
  r:set_header("X-Code", "one")
end
