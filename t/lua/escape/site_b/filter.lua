-- Site b: must get its own util.lua, and never see what site a's filter
-- leaves in its globals, metatables or the string library.
local util = require "util"

return function()
  if util.site ~= "b" then return 409 end
  if left_by_a ~= nil or string.left_by_a ~= nil then return 410 end
  left_by_b = true
  string.left_by_b = true
end
