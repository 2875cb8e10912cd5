-- smallapps.fr — French administrative helpers for app hooks.
--
--   local fr = require "smallapps.fr"
--
-- The checkers (luhn to postal_code) are the engine's own, the ones its field
-- types use (validate.c), reached through the native module smallapps.fr_natif
-- (engine/sandbox_fr.c; the sandbox preloads it, plain lua5.4 loads
-- build/lua/smallapps/fr_natif.so). The rest is Lua 5.4 with no io and no os
-- (calendar arithmetic is done on integers, so the results never depend on the
-- server's time zone). Every checker returns the normalised value (a string, so
-- it is truthy) when the input is valid, and `nil, message` otherwise, so both
-- styles work:
--
--   if not fr.siret(r.siret) then ... end
--   local e164, why = fr.phone(r.telephone)
--
-- Messages are short French sentences that can be shown to the user as is.
--
-- Contents
--   fr.luhn(digits)                 Luhn check on a string of digits
--   fr.siren(s)                     9 digits + Luhn key
--   fr.siret(s)                     14 digits + Luhn key (La Poste exception)
--   fr.iban(s)                      ISO 13616 mod 97 (+ RIB key for FR/MC IBANs)
--   fr.phone(s)                     French number -> E.164 ("+33123456789")
--   fr.postal_code(s)               5-digit French postal code
--   fr.departement(postal_code)     "31", "2A", "2B", "974", ...
--   fr.paques(year)                 Easter Sunday, "YYYY-MM-DD"
--   fr.jour_ferie(date)             name of the public holiday, or nil
--   fr.est_ouvre(date)              Monday to Friday and not a public holiday
--   fr.jours_ouvres(date, n)        date + n working days (n may be negative)
--   fr.ajouter_jours(date, n)       date + n calendar days
--   fr.ecart_jours(d1, d2)          d2 - d1 in days (dates or ISO datetimes)
--   fr.heure_paris(iso_utc)         UTC datetime (ctx.now) -> French legal time
--   fr.format_euros(cents)          123456 -> "1 234,56 €" (no-break spaces)
--
-- Calendar functions take ISO dates ("2026-05-14"); an ISO datetime
-- ("2026-05-14T09:30:00") is accepted and its date part used. Options
-- `{ alsace_moselle = true }` add Good Friday and St Stephen's Day (26/12),
-- public holidays in Bas-Rhin, Haut-Rhin and Moselle.

local natif = require "smallapps.fr_natif"

local M = {}

local NBSP = "\194\160"          -- U+00A0 NO-BREAK SPACE

-- Inputs of the checkers below: a string, or a non-negative integer (a SIREN typed
-- in a number field); anything else gives `nil, "<what> : valeur ..."`. White
-- space is ignored at both ends, and inside a number the separators people type:
-- space, tab, U+00A0, U+202F, U+2009 (phones also . - / ( ) and "(0)"; postal codes
-- take none).

---------------------------------------------------------------------------
-- Luhn, SIREN, SIRET
---------------------------------------------------------------------------

--- Luhn ("modulo 10") check of a string made only of digits: true or false.
M.luhn = natif.luhn

--- SIREN (9 digits, Luhn key). Returns the 9 digits, or nil + message.
M.siren = natif.siren

--- SIRET (14 digits: SIREN + NIC, Luhn key over the 14 digits).
-- Exception: the establishments of La Poste (SIREN 356 000 000) are too many for
-- the NIC to keep a Luhn key; INSEE checks that the sum of their 14 digits is a
-- multiple of 5 instead. Both rules are accepted for them.
M.siret = natif.siret

---------------------------------------------------------------------------
-- IBAN
---------------------------------------------------------------------------

-- IBAN length per country (ISO 13616 registry, SWIFT), French overseas
-- territories included: { FR = 27, DE = 22, ... }.
M.IBAN_LENGTH = natif.IBAN_LENGTH

--- IBAN (ISO 13616). Returns the IBAN in upper case without spaces, or nil + message.
-- The country's length and the mod 97 key are checked, and for French bank
-- accounts (FR, MC and the overseas territories) the RIB key inside the BBAN too.
M.iban = natif.iban

---------------------------------------------------------------------------
-- Telephone
---------------------------------------------------------------------------

--- French telephone number to E.164, or nil + message.
-- Accepts "01 23 45 67 89", "01.23.45.67.89", "+33 1 23 45 67 89",
-- "+33 (0)1 23 45 67 89", "0033 1 23 45 67 89", and overseas numbers written
-- either way ("0262 12 34 56" or "+262 262 12 34 56" -> "+262262123456").
M.phone = natif.phone

---------------------------------------------------------------------------
-- Postal codes and départements
---------------------------------------------------------------------------

--- French postal code (5 digits, metropolitan 01xxx-95xxx, Corsica 20xxx,
-- overseas 97xxx/98xxx). Returns the 5 digits, or nil + message.
M.postal_code = natif.postal_code

--- Département code of a postal code: "01".."95", "2A"/"2B" for Corsica,
-- "971".."976" overseas, "977"/"978" for Saint-Barthélemy/Saint-Martin,
-- "975" Saint-Pierre-et-Miquelon, "986"-"988" Pacific. nil for Monaco (980xx)
-- and invalid codes.
-- The postal code says where the mail is sorted: a handful of communes have the
-- code of a neighbouring département's office. Use the INSEE code when exactness
-- matters.
function M.departement(postal_code)
  local c, err = M.postal_code(postal_code)
  if not c then return nil, err end
  local d2 = c:sub(1, 2)
  if d2 == "20" then
    -- 200xx-201xx: Corse-du-Sud (Ajaccio 20000, Sartène 20100...);
    -- 202xx and above: Haute-Corse (Bastia 20200, Furiani 20600...).
    return tonumber(c:sub(3, 3)) < 2 and "2A" or "2B"
  elseif d2 == "97" then
    if c == "97133" then return "977" end   -- Saint-Barthélemy
    if c == "97150" then return "978" end   -- Saint-Martin
    return c:sub(1, 3)
  elseif d2 == "98" then
    local d3 = c:sub(1, 3)
    if d3 == "980" then return nil, "Ce code postal est monégasque." end
    return d3
  end
  return d2
end

---------------------------------------------------------------------------
-- Calendar (integers only: days since 1970-01-01)
---------------------------------------------------------------------------

-- Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function is_leap(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

-- "YYYY-MM-DD" (optionally followed by a time) -> days, or nil + message.
local function parse_date(s)
  if type(s) ~= "string" then
    return nil, "date attendue au format AAAA-MM-JJ, reçu " .. type(s)
  end
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  local rest = y and s:sub(11) or nil
  if not y or not (rest == "" or rest:match("^[T ]%d%d:%d%d")) then
    return nil, "date attendue au format AAAA-MM-JJ : " .. s
  end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 then
    return nil, "date inexistante : " .. s
  end
  local last = MONTH_DAYS[m] + ((m == 2 and is_leap(y)) and 1 or 0)
  if d > last then
    return nil, "date inexistante : " .. s
  end
  return days_from_civil(y, m, d)
end

local function must_date(s, fname)
  local n, err = parse_date(s)
  if not n then error("fr." .. fname .. " : " .. err, 3) end
  return n
end

local function format_date(n)
  local y, m, d = civil_from_days(n)
  return string.format("%04d-%02d-%02d", y, m, d)
end

-- 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
local function weekday(n)
  return (n + 4) % 7
end

-- Easter Sunday (Meeus/Jones/Butcher, Gregorian), as days since epoch.
local function easter_days(y)
  local a = y % 19
  local b, c = y // 100, y % 100
  local d, e = b // 4, b % 4
  local f = (b + 8) // 25
  local g = (b - f + 1) // 3
  local h = (19 * a + b - d - g + 15) % 30
  local i, k = c // 4, c % 4
  local l = (32 + 2 * e + 2 * i - h - k) % 7
  local m = (a + 11 * h + 22 * l) // 451
  local month = (h + l - 7 * m + 114) // 31
  local day = (h + l - 7 * m + 114) % 31 + 1
  return days_from_civil(y, month, day)
end

--- Easter Sunday of `year` as "YYYY-MM-DD".
function M.paques(year)
  if math.type(year) ~= "integer" then error("fr.paques : année entière attendue", 2) end
  return format_date(easter_days(year))
end

local holiday_cache = {}   -- [year .. flag] = { [days] = name }

local function holidays(y, alsace)
  local key = y * 2 + (alsace and 1 or 0)
  local h = holiday_cache[key]
  if h then return h end
  local e = easter_days(y)
  h = {
    [days_from_civil(y, 1, 1)] = "Jour de l'an",
    [e + 1] = "Lundi de Pâques",
    [days_from_civil(y, 5, 1)] = "Fête du Travail",
    [days_from_civil(y, 5, 8)] = "Victoire 1945",
    [e + 39] = "Ascension",
    [e + 50] = "Lundi de Pentecôte",
    [days_from_civil(y, 7, 14)] = "Fête nationale",
    [days_from_civil(y, 8, 15)] = "Assomption",
    [days_from_civil(y, 11, 1)] = "Toussaint",
    [days_from_civil(y, 11, 11)] = "Armistice 1918",
    [days_from_civil(y, 12, 25)] = "Noël",
  }
  if alsace then
    h[e - 2] = "Vendredi saint"
    h[days_from_civil(y, 12, 26)] = "Saint-Étienne"
  end
  holiday_cache[key] = h
  return h
end

local function holiday_name(n, alsace)
  local y = civil_from_days(n)
  return holidays(y, alsace)[n]
end

local function working(n, alsace)
  local wd = weekday(n)
  return wd ~= 0 and wd ~= 6 and holiday_name(n, alsace) == nil
end

local function alsace_opt(opts)
  return type(opts) == "table" and opts.alsace_moselle == true
end

--- Name of the French public holiday on `date` ("Ascension", ...), or nil.
function M.jour_ferie(date, opts)
  return holiday_name(must_date(date, "jour_ferie"), alsace_opt(opts))
end

--- True when `date` is a working day (Monday to Friday, not a public holiday).
function M.est_ouvre(date, opts)
  return working(must_date(date, "est_ouvre"), alsace_opt(opts))
end

--- `date` plus `n` working days ("jours ouvrés"), as "YYYY-MM-DD".
-- n > 0 counts forward, n < 0 backward; the starting day itself never counts,
-- so jours_ouvres(friday, 1) is the next Monday (or Tuesday after Easter).
-- n = 0 returns `date` unchanged.
function M.jours_ouvres(date, n, opts)
  local d = must_date(date, "jours_ouvres")
  if math.type(n) ~= "integer" then
    error("fr.jours_ouvres : nombre entier de jours attendu", 2)
  end
  if n > 3660 or n < -3660 then
    error("fr.jours_ouvres : au plus 3660 jours ouvrés", 2)
  end
  local alsace = alsace_opt(opts)
  local step = n >= 0 and 1 or -1
  local left = n * step
  while left > 0 do
    d = d + step
    if working(d, alsace) then left = left - 1 end
  end
  return format_date(d)
end

--- `date` plus `n` calendar days, as "YYYY-MM-DD".
function M.ajouter_jours(date, n)
  local d = must_date(date, "ajouter_jours")
  if math.type(n) ~= "integer" then
    error("fr.ajouter_jours : nombre entier de jours attendu", 2)
  end
  return format_date(d + n)
end

--- Number of days from d1 to d2 (d2 - d1), dates or datetimes (time ignored).
function M.ecart_jours(d1, d2)
  return must_date(d2, "ecart_jours") - must_date(d1, "ecart_jours")
end

-- Last Sunday of a month (days since epoch).
local function last_sunday(y, m)
  local last = days_from_civil(y, m, MONTH_DAYS[m])
  return last - weekday(last)
end

--- UTC ISO datetime ("2026-07-01T08:00:00Z", as ctx.now gives it) to the legal time
-- of metropolitan France ("2026-07-01T10:00:00"): UTC+1, UTC+2 from the last Sunday
-- of March 01:00 UTC to the last Sunday of October 01:00 UTC (EU rule).
-- A datetime without "Z" or offset is taken as already local and returned as is.
-- An explicit offset ("+02:00") is honoured.
function M.heure_paris(iso)
  if type(iso) ~= "string" then error("fr.heure_paris : date-heure ISO attendue", 2) end
  local d, hh, mm, ss, zone = iso:match("^(%d%d%d%d%-%d%d%-%d%d)[T ](%d%d):(%d%d):?(%d?%d?)%.?%d*(.*)$")
  if not d then error("fr.heure_paris : date-heure ISO attendue : " .. iso, 2) end
  local days = must_date(d, "heure_paris")
  ss = tonumber(ss) or 0
  local offset                                   -- minutes east of UTC
  if zone == "" then
    return string.format("%sT%s:%s:%02d", d, hh, mm, ss)
  elseif zone == "Z" then
    offset = 0
  else
    local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then error("fr.heure_paris : fuseau illisible : " .. iso, 2) end
    offset = (tonumber(oh) * 60 + tonumber(om)) * (sign == "+" and 1 or -1)
  end
  local utc = days * 1440 + tonumber(hh) * 60 + tonumber(mm) - offset   -- minutes since epoch, UTC
  local y = civil_from_days(utc // 1440)
  local summer_from = last_sunday(y, 3) * 1440 + 60
  local summer_to = last_sunday(y, 10) * 1440 + 60
  local paris = utc + ((utc >= summer_from and utc < summer_to) and 120 or 60)
  local pm = paris % 1440
  return string.format("%sT%02d:%02d:%02d", format_date(paris // 1440), pm // 60, pm % 60, ss)
end

---------------------------------------------------------------------------
-- Money
---------------------------------------------------------------------------

--- Euro amount in cents to French text: 123456 -> "1 234,56 €", -5 -> "-0,05 €".
-- Thousands are grouped with U+00A0 no-break spaces, and a no-break space comes
-- before the euro sign, so the amount never wraps.
function M.format_euros(cents)
  local c = type(cents) == "number" and math.tointeger(cents) or nil
  if c == nil then
    error("fr.format_euros : montant entier en centimes attendu", 2)
  end
  local neg = c < 0
  if neg then c = -c end   -- math.mininteger stays negative: handled by %d below
  local euros = string.format("%d", c // 100)
  local cts = c % 100
  if euros:sub(1, 1) == "-" then   -- only for math.mininteger
    error("fr.format_euros : montant hors limites", 2)
  end
  local grouped = euros:reverse():gsub("(%d%d%d)", "%1" .. NBSP:reverse()):reverse()
  if grouped:sub(1, #NBSP) == NBSP then grouped = grouped:sub(#NBSP + 1) end
  return string.format("%s%s,%02d%s€", neg and "-" or "", grouped, cts, NBSP)
end

return M
