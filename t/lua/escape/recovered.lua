-- Fills most of the memory cap with garbage, then asks for as much again:
-- the allocation fits after Lua's emergency collection, so no budget is
-- spent and the state is kept.  A state seen for the first time answers 404,
-- a state serving its second request or later 200.
return function()
  served = (served or 0) + 1
  local big = ("x"):rep(1024 * 1024):rep(14)
  big = nil
  local again = ("y"):rep(1024 * 1024):rep(14)
  assert(#again == 14 * 1024 * 1024 and big == nil)
  if served == 1 then return 404 end
end
