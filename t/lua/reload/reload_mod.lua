-- Rewritten by t/lua_reload.t while the server runs.
return { version = "module-v1" }
