-- luacheck configuration for the shipped filters: Lua 5.4 in the
-- mod_articles sandbox, where `articles` is a global.
std = "lua54"
read_globals = { "articles" }
max_line_length = 100
