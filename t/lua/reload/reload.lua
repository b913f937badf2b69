-- Rewritten by t/lua_reload.t while the server runs.
local mod = require "reload_mod"
return function(page)
  page.site.tagline = "filter-v1 " .. mod.version
end
