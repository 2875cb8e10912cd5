-- Helpers of the fixture app: total() indexes lines that are not there.
local M = {}

function M.total(r)
  local lignes
  return lignes.montant -- the lib line the log names
end

return M
