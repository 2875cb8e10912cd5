-- Aides des scénarios de test (tests/*.lua) : pas utilisées par l'application.

local M = {}

-- Raccourci des essais : `vaccin` et `doses` font la seule ligne de la commande, à moins
-- que `lignes` ne soit donné.
function M.une_ligne(f)
  if f.lignes == nil and (f.vaccin ~= nil or f.doses ~= nil) then
    f.lignes = { { vaccin = f.vaccin, doses = f.doses } }
  end
  f.vaccin, f.doses = nil, nil
  return f
end

return M
