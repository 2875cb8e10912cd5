-- Référentiel des ponts mobiles de Sète et petites fonctions de l'application.
--
-- Les cinq ponts mobiles (levants ou tournants) sur les canaux entre la mer et
-- l'étang de Thau, dans l'ordre rencontré depuis le port vers l'étang.
-- Les tirants d'air "pont fermé" sont INDICATIFS (le pont de la Gare d'après les
-- relevés publiés : 1,77 m à l'axe) : à faire confirmer par la capitainerie avant
-- mise en service — ils ne servent qu'à signaler qu'une ouverture est inutile.

local fr = require "smallapps.fr"

local M = {}

M.ponts = {
  { "victoire",    "Pont de la Victoire",                 tirant_air = 1.80 },
  { "tivoli",      "Pont de Tivoli",                      tirant_air = 1.80 },
  { "gare",        "Pont de la Gare",                     tirant_air = 1.77 },
  { "sadi_carnot", "Pont Sadi-Carnot",                    tirant_air = 1.80 },
  { "foch",        "Pont Maréchal-Foch (ferroviaire)",    tirant_air = 1.50 },
}

function M.options()
  local o = {}
  for i, p in ipairs(M.ponts) do o[i] = { p[1], p[2] } end
  return o
end

local by_id = {}
for _, p in ipairs(M.ponts) do by_id[p[1]] = p end

-- Plus petit tirant d'air (pont fermé) parmi les ponts choisis, et le nom du pont.
function M.tirant_air_min(choisis)
  local min, nom
  for _, id in ipairs(choisis or {}) do
    local p = by_id[id]
    if p and (min == nil or p.tirant_air < min) then
      min, nom = p.tirant_air, p[2]
    end
  end
  return min, nom
end

-- Une ouverture est-elle nécessaire pour un navire de ce tirant d'air ?
-- nil quand on ne peut pas le dire (données manquantes).
function M.ouverture_necessaire(tirant_air, choisis)
  if type(tirant_air) ~= "number" then return nil end
  local min = M.tirant_air_min(choisis)
  if min == nil then return nil end
  return tirant_air >= min
end

-- Numéro OMI (IMO) : 7 chiffres, le dernier est la clé
-- (somme des 6 premiers pondérés 7, 6, 5, 4, 3, 2) modulo 10.
function M.imo_valide(imo)
  if type(imo) ~= "string" or not imo:match("^%d%d%d%d%d%d%d$") then return false end
  local s = 0
  for i = 1, 6 do s = s + (imo:byte(i) - 48) * (8 - i) end
  return s % 10 == imo:byte(7) - 48
end

-- Minutes depuis 1970, en heure légale de Sète, d'une date-heure ISO. Les champs
-- datetime saisis sont des heures locales ("2026-06-12T14:30") ; ctx.now et
-- created_at sont en UTC ("...Z") et sont convertis. Secondes ignorées.
function M.minutes(iso)
  if type(iso) ~= "string" then return nil end
  local ok, locale = pcall(fr.heure_paris, iso)
  if not ok then return nil end
  local d, h, m = locale:match("^(%d%d%d%d%-%d%d%-%d%d)[T ](%d%d):(%d%d)")
  if not d then return nil end
  return fr.ecart_jours("1970-01-01", d) * 1440 + tonumber(h) * 60 + tonumber(m)
end

-- Écart en minutes de a à b (b - a), nil si l'une manque.
function M.ecart_minutes(a, b)
  local ma, mb = M.minutes(a), M.minutes(b)
  if not ma or not mb then return nil end
  return mb - ma
end

-- 1.5 -> "1,50"
function M.metres(x)
  return (string.format("%.2f", x):gsub("%.", ","))
end

-- "2026-06-12T14:30" -> "12/06/2026 à 14 h 30"
function M.format(iso)
  local y, mo, d, h, mi = tostring(iso):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d)")
  if not y then return tostring(iso) end
  return string.format("%s/%s/%s à %s h %s", d, mo, y, h, mi)
end

return M
