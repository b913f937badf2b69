-- Which ArticlesLuaPath and ArticlesLuaMemory apply (t/vhost.t): the tagline
-- says whether require finds the virtual host's module, and ?alloc builds a
-- 4 MB string, over the virtual host's 2M cap and under the default.
return function(page, r)
  local found = pcall(require, "vhostmod")
  local seen = { "vhostmod=" .. (found and "yes" or "no") }
  if r.args == "alloc" then
    seen[#seen + 1] = "alloc=" .. #string.rep("x", 4 * 1024 * 1024)
  end
  page.site.tagline = table.concat(seen, " ")
end
