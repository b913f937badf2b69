-- os.execute is not in the sandbox.
return function()
  os.execute("touch /tmp/mod_articles-pwned")
end
