-- A file of several filters; ArticlesFilter FILE NAME picks one.
local M = {}
function M.first(page) page.site.tagline = "first" end
function M.second(page) page.site.tagline = "second" end
return M
