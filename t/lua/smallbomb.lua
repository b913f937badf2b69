-- Allocates without end in small blocks only (a linked list of one-slot
-- tables, no array that grows): the memory cap of the state must stop it
-- block by block, through the allocator's free lists.
return function()
  local head
  while true do head = { head } end
end
