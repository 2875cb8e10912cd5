-- Helpers of the fixture app (require "lib.outils").
local M = {}
function M.prix(doses)
  return doses * 1.5
end
return M
