-- Site a: must get its own util.lua, and never see what site b's filter
-- leaves in its globals, metatables or the string library.
local util = require "util"

return function()
  if util.site ~= "a" then return 409 end
  if left_by_b ~= nil or string.left_by_b ~= nil then return 410 end
  left_by_a = true
  string.left_by_a = true
end
