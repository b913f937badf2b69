-- Raises an error whose text must reach the error log, never the client.
return function(page)
  error("secret-runtime-detail in " .. page.kind)
end
