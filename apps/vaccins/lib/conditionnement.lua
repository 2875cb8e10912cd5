-- Conditionnement des vaccins commandés : nombre de doses par flacon (ou par
-- boîte de seringues) tel que livré par la pharmacie départementale.
-- À tenir à jour à chaque campagne avec la pharmacie (référent : Pôle Small Apps).

local M = {}

-- Valeur du champ "vaccin" -> { libellé, doses par conditionnement, public minimal }
M.vaccins = {
  { "comirnaty", "Comirnaty (Pfizer-BioNTech) — COVID-19", doses = 6 },
  { "spikevax",  "Spikevax (Moderna) — COVID-19",          doses = 10 },
  { "vaxigrip",  "Vaxigrip Tetra (Sanofi) — grippe",       doses = 1 },
  { "influvac",  "Influvac Tetra (Viatris) — grippe",      doses = 1 },
  { "efluelda",  "Efluelda (Sanofi) — grippe, 65 ans et plus", doses = 1, reserve = "plus_65" },
  { "abrysvo",   "Abrysvo (Pfizer) — VRS",                 doses = 1 },
  { "arexvy",    "Arexvy (GSK) — VRS",                     doses = 1 },
}

-- Options au format du champ choice : { valeur, libellé }.
function M.options()
  local o = {}
  for i, v in ipairs(M.vaccins) do o[i] = { v[1], v[2] } end
  return o
end

local by_value = {}
for _, v in ipairs(M.vaccins) do by_value[v[1]] = v end

function M.info(valeur)
  return by_value[valeur]
end

-- Doses par flacon (1 pour les seringues unidoses et les valeurs inconnues).
function M.doses_par_flacon(valeur)
  local v = by_value[valeur]
  return v and v.doses or 1
end

-- Nom commercial court ("Spikevax") pour les messages.
function M.nom(valeur)
  local v = by_value[valeur]
  return v and (v[2]:match("^(%S+)")) or tostring(valeur)
end

-- Nombre de flacons pour un nombre de doses (arrondi au flacon supérieur).
function M.flacons(valeur, doses)
  if math.type(doses) ~= "integer" or doses <= 0 then return nil end
  local n = M.doses_par_flacon(valeur)
  return (doses + n - 1) // n
end

return M
