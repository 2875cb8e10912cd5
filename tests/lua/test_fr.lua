-- Tests of stdlib-lua/smallapps/fr.lua.
--   lua5.4 tests/lua/test_fr.lua
-- Prints one line per failure and "N passed, N failed" last; exits 1 on failure.

local here = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = here .. "/../../stdlib-lua/?.lua;" .. package.path
-- fr.lua's checkers are the engine's (smallapps.fr_natif, engine/sandbox_fr.c), built by
-- `make unit` as <build>/lua/smallapps/fr_natif.so; SMALLAPPS_BUILD names the build
-- folder (tests/run.sh sets it), relative to the repository unless absolute.
local build = os.getenv("SMALLAPPS_BUILD") or "build"
if build:sub(1, 1) ~= "/" then build = here .. "/../../" .. build end
package.cpath = build .. "/lua/?.so;" .. package.cpath
local fr = require "smallapps.fr"

local passed, failed = 0, 0
local function check(ok, what)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    -- Report the line of the main chunk that led here (the test statement).
    local line, level = 0, 2
    while true do
      local info = debug.getinfo(level, "Sl")
      if not info then break end
      if info.what == "main" then line = info.currentline end
      level = level + 1
    end
    print(string.format("FAIL tests/lua/test_fr.lua:%d: %s", line, what))
  end
end
local function eq(got, want, what)
  check(got == want, string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
end
local function valid(f, name, s, want)
  local got, err = f(s)
  check(got ~= nil and (want == nil or got == want),
        string.format("%s(%q) should be valid%s, got %s (%s)", name, tostring(s),
                      want and (" = " .. want) or "", tostring(got), tostring(err)))
end
local function invalid(f, name, s)
  local got, err = f(s)
  check(got == nil and type(err) == "string" and #err > 0,
        string.format("%s(%q) should be invalid with a message, got %s", name, tostring(s),
                      tostring(got)))
end
local function raises(f, ...)
  local ok = pcall(f, ...)
  check(not ok, "expected an error")
end

local NBSP = "\194\160"

---------------------------------------------------------------- Luhn
check(fr.luhn("79927398713"), "luhn reference number")
check(not fr.luhn("79927398710"), "luhn reference number, wrong key")
check(not fr.luhn(""), "luhn empty")
check(not fr.luhn("12a4"), "luhn non-digits")
check(not fr.luhn(nil), "luhn nil")

---------------------------------------------------------------- SIREN
-- Real SIREN numbers (annuaire des entreprises): Google France, DINUM, INSEE,
-- commune de Toulouse, EDF, La Poste.
for _, s in ipairs { "443061841", "130025265", "120027016", "213105554", "552081317", "356000000" } do
  valid(fr.siren, "siren", s, s)
end
valid(fr.siren, "siren", "443 061 841", "443061841")
valid(fr.siren, "siren", "443" .. NBSP .. "061" .. NBSP .. "841", "443061841")
valid(fr.siren, "siren", 443061841, "443061841")             -- typed as a number
invalid(fr.siren, "siren", "443061842")                       -- forged: last digit changed
invalid(fr.siren, "siren", "434061841")                       -- forged: two digits swapped
invalid(fr.siren, "siren", "44306184")                        -- 8 digits
invalid(fr.siren, "siren", "4430618410")                      -- 10 digits
invalid(fr.siren, "siren", "44306184A")
invalid(fr.siren, "siren", "")
invalid(fr.siren, "siren", nil)
invalid(fr.siren, "siren", 4.43e8)
invalid(fr.siren, "siren", {})

---------------------------------------------------------------- SIRET
-- Real SIRET numbers: Google France, DINUM, INSEE (siège), commune de Toulouse,
-- EDF, La Poste (siège, which has an ordinary Luhn key).
for _, s in ipairs { "44306184100047", "13002526500013", "12002701600357", "21310555400017",
                     "55208131766522", "35600000000048" } do
  valid(fr.siret, "siret", s, s)
end
valid(fr.siret, "siret", "443 061 841 00047", "44306184100047")
invalid(fr.siret, "siret", "44306184100048")                  -- forged key
invalid(fr.siret, "siret", "44306184100074")                  -- forged: swapped digits
invalid(fr.siret, "siret", "21310555400071")
invalid(fr.siret, "siret", "4430618410004")                   -- 13 digits
invalid(fr.siret, "siret", "443061841000470")                 -- 15 digits
invalid(fr.siret, "siret", "443-061-841-00047")               -- dashes are not accepted
invalid(fr.siret, "siret", "00000000000001")
-- La Poste establishments: digit sum multiple of 5 replaces the Luhn key.
valid(fr.siret, "siret", "35600000000001")                    -- sum 15, Luhn false
check(not fr.luhn("35600000000001"), "the La Poste case above really fails Luhn")
valid(fr.siret, "siret", "35600000009075")                    -- sum 35
invalid(fr.siret, "siret", "35600000000002")                  -- sum 16, Luhn false
-- The exception is for La Poste only.
check(not fr.luhn("44306184100001"), "forged non-Poste SIRET fails Luhn")
invalid(fr.siret, "siret", "44306184100001")

---------------------------------------------------------------- IBAN
for _, s in ipairs {
  "FR14 2004 1010 0505 0001 3M02 606",       -- the ECBS French example (letters in the account)
  "FR76 3000 6000 0112 3456 7890 189",
  "FR7630001007941234567890185",             -- Banque de France example
  "GB82 WEST 1234 5698 7654 32",
  "DE89 3704 0044 0532 0130 00",
  "BE68 5390 0754 7034",
  "CH93 0076 2011 6238 5295 7",
  "IT60 X054 2811 1010 0000 0123 456",
  "NL91 ABNA 0417 1643 00",
  "ES91 2100 0418 4502 0005 1332",
  "MC58 1122 2000 0101 2345 6789 030",
} do
  valid(fr.iban, "iban", s)
end
valid(fr.iban, "iban", "fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189")
valid(fr.iban, "iban", "FR76" .. NBSP .. "3000 6000 0112 3456 7890 189", "FR7630006000011234567890189")
invalid(fr.iban, "iban", "FR76 3000 6000 0112 3456 7890 188")  -- forged: one digit
invalid(fr.iban, "iban", "FR76 3000 6000 0112 3456 7809 189")  -- forged: swapped digits
invalid(fr.iban, "iban", "FR77 3000 6000 0112 3456 7890 189")  -- forged check digits
invalid(fr.iban, "iban", "GB82 WEST 1234 5698 7654 33")
invalid(fr.iban, "iban", "DE89 3704 0044 0532 0130 0")          -- too short for DE
invalid(fr.iban, "iban", "FR76 3000 6000 0112 3456 7890 1890")  -- too long for FR
invalid(fr.iban, "iban", "7630006000011234567890189")           -- no country
invalid(fr.iban, "iban", "FR76-3000-6000-0112-3456-7890-189")
invalid(fr.iban, "iban", "")
invalid(fr.iban, "iban", nil)
-- mod 97 right but RIB key wrong (check digits recomputed for a forged RIB key).
invalid(fr.iban, "iban", "FR0630006000011234567890188")
invalid(fr.iban, "iban", "FR8420041010050500013M02607")
-- Long IBAN (Malta, 31 characters) exercises the chunked arithmetic.
valid(fr.iban, "iban", "MT84 MALT 0110 0001 2345 MTLC AST0 01S")
invalid(fr.iban, "iban", "MT84 MALT 0110 0001 2345 MTLC AST0 01T")

---------------------------------------------------------------- Telephone
valid(fr.phone, "phone", "01 23 45 67 89", "+33123456789")
valid(fr.phone, "phone", "0123456789", "+33123456789")
valid(fr.phone, "phone", "01.23.45.67.89", "+33123456789")
valid(fr.phone, "phone", "01-23-45-67-89", "+33123456789")
valid(fr.phone, "phone", "+33 1 23 45 67 89", "+33123456789")
valid(fr.phone, "phone", "+33 (0)1 23 45 67 89", "+33123456789")
valid(fr.phone, "phone", "0033 6 12 34 56 78", "+33612345678")
valid(fr.phone, "phone", "04 67 46 34 36", "+33467463436")
valid(fr.phone, "phone", "07" .. NBSP .. "12 34 56 78", "+33712345678")
valid(fr.phone, "phone", "0262 12 34 56", "+262262123456")      -- La Réunion
valid(fr.phone, "phone", "0692 12 34 56", "+262692123456")
valid(fr.phone, "phone", "0269 61 23 45", "+262269612345")      -- Mayotte
valid(fr.phone, "phone", "0590 12 34 56", "+590590123456")      -- Guadeloupe
valid(fr.phone, "phone", "0696 12 34 56", "+596696123456")      -- Martinique
valid(fr.phone, "phone", "0594 12 34 56", "+594594123456")      -- Guyane
valid(fr.phone, "phone", "+262 692 12 34 56", "+262692123456")
invalid(fr.phone, "phone", "+262 123 45 67 89")                 -- +262 with a metropolitan number
invalid(fr.phone, "phone", "01 23 45 67 8")
invalid(fr.phone, "phone", "01 23 45 67 890")
invalid(fr.phone, "phone", "00 23 45 67 89")                    -- 0033 prefix missing: 0023...
invalid(fr.phone, "phone", "+44 20 7946 0958")
invalid(fr.phone, "phone", "+33 0 23 45 67 89")
invalid(fr.phone, "phone", "téléphone")
invalid(fr.phone, "phone", "")
invalid(fr.phone, "phone", nil)

---------------------------------------------------------------- Postal codes, départements
valid(fr.postal_code, "postal_code", "34200", "34200")
valid(fr.postal_code, "postal_code", "01000", "01000")
valid(fr.postal_code, "postal_code", " 42000 ", "42000")
invalid(fr.postal_code, "postal_code", "42 000")      -- no separator inside (La Poste's form)
valid(fr.postal_code, "postal_code", "97400", "97400")
invalid(fr.postal_code, "postal_code", "00100")
invalid(fr.postal_code, "postal_code", "96000")
invalid(fr.postal_code, "postal_code", "99000")
invalid(fr.postal_code, "postal_code", "3420")
invalid(fr.postal_code, "postal_code", "342000")
invalid(fr.postal_code, "postal_code", "2A000")
invalid(fr.postal_code, "postal_code", nil)

local dep = {
  { "34200", "34" }, { "42000", "42" }, { "31770", "31" }, { "01000", "01" }, { "75015", "75" },
  { "20000", "2A" }, { "20090", "2A" }, { "20100", "2A" }, { "20167", "2A" }, { "20199", "2A" },
  { "20200", "2B" }, { "20250", "2B" }, { "20600", "2B" }, { "20620", "2B" },
  { "97100", "971" }, { "97200", "972" }, { "97300", "973" }, { "97400", "974" },
  { "97500", "975" }, { "97600", "976" }, { "97133", "977" }, { "97150", "978" },
  { "98800", "988" },
}
for _, c in ipairs(dep) do
  eq(fr.departement(c[1]), c[2], "departement(" .. c[1] .. ")")
end
eq(fr.departement("98000"), nil, "departement(Monaco)")
eq(fr.departement("00000"), nil, "departement(invalid)")
eq(fr.departement(nil), nil, "departement(nil)")

---------------------------------------------------------------- Messages
local function says(f, s, want, what)
  local got, err = f(s)
  check(got == nil and err == want,
        string.format("%s: got %s, %q; want nil, %q", what, tostring(got), tostring(err), want))
end
says(fr.siren, "44306184", "Un numéro SIREN compte 9 chiffres.", "siren length")
says(fr.siren, "443061842", "Ce numéro SIREN n'est pas valide (clé de contrôle erronée).", "siren key")
says(fr.siren, nil, "SIREN : valeur absente.", "siren nil")
says(fr.siren, 4.43e8, "SIREN : valeur de type number inattendue.", "siren float")
says(fr.siren, -443061841, "SIREN : valeur de type number inattendue.", "siren negative")
says(fr.siret, {}, "SIRET : valeur de type table inattendue.", "siret table")
says(fr.siret, "4430618410004", "Un numéro SIRET compte 14 chiffres.", "siret length")
says(fr.siret, "44306184100048", "Ce numéro SIRET n'est pas valide (clé de contrôle erronée).",
     "siret key")
says(fr.iban, "7630006000011234567890189",
     "Un IBAN commence par le code pays et deux chiffres, suivis de lettres et de chiffres (ex. FR76 …).",
     "iban shape")
says(fr.iban, "FR76 3000 6000 0112 3456 7890 1890", "Un IBAN FR compte 27 caractères (28 saisis).",
     "iban length")
says(fr.iban, "ZZ76 3000 6000", "Un IBAN compte de 15 à 34 caractères.", "iban unknown country")
says(fr.iban, "FR76 3000 6000 0112 3456 7890 188", "Cet IBAN n'est pas valide (clé de contrôle erronée).",
     "iban key")
says(fr.iban, "FR0630006000011234567890188", "Cet IBAN n'est pas valide (clé RIB erronée).", "iban rib")
says(fr.iban, true, "IBAN : valeur de type boolean inattendue.", "iban boolean")
says(fr.phone, "+44 20 7946 0958", "Saisissez un numéro français (ex. 01 23 45 67 89).", "phone foreign")
says(fr.phone, "01 23 45 67 8", "Un numéro français compte 10 chiffres (ex. 01 23 45 67 89).", "phone short")
says(fr.phone, nil, "Téléphone : valeur absente.", "phone nil")
says(fr.postal_code, "3420", "Un code postal compte 5 chiffres.", "postal length")
says(fr.postal_code, "96000", "Ce code postal n'existe pas en France.", "postal unknown")
says(fr.postal_code, nil, "Code postal : valeur absente.", "postal nil")
eq(fr.luhn(79927398713), false, "luhn takes strings only")
eq(fr.IBAN_LENGTH.FR, 27, "IBAN_LENGTH.FR")
eq(fr.IBAN_LENGTH.MT, 31, "IBAN_LENGTH.MT")

---------------------------------------------------------------- One implementation
-- The checkers are the engine's, the ones its field types use. Where the two copies
-- used to disagree, the stricter rule was kept (U+2009 aside):
local THIN = "\226\128\137"   -- U+2009 THIN SPACE, the ISO 80000 digit-group separator
valid(fr.siren, "siren", "443" .. THIN .. "061" .. THIN .. "841", "443061841")
valid(fr.iban, "iban", "FR76" .. THIN .. "3000 6000 0112 3456 7890 189", "FR7630006000011234567890189")
invalid(fr.siren, "siren", "443\n061841")                    -- a newline is no separator
invalid(fr.iban, "iban", "FR76 3000 6000\n0112 3456 7890 189")
valid(fr.siren, "siren", " 443061841\n", "443061841")        -- at the ends, white space goes
invalid(fr.iban, "iban", "DE01 3704 0044 5320 1300 39")     -- check digits 01 are never issued:
valid(fr.iban, "iban", "DE98 3704 0044 5320 1300 39")       -- they pass mod 97 as 98 does
invalid(fr.iban, "iban", "DE99 3704 0044 5320 1300 21")     -- 99 neither (02's twin)
valid(fr.phone, "phone", "+33 692 12 34 56", "+262692123456")   -- 06 92 is La Réunion's
invalid(fr.phone, "phone", "+262 0692 12 34 56")             -- trunk 0 after +262
valid(fr.phone, "phone", "+262 (0)692 12 34 56", "+262692123456")
invalid(fr.phone, "phone", "(0)1 23 45 67 89")               -- "(0)" after a country code only
invalid(fr.phone, "phone", "(+33) 1 23 45 67 89")            -- the + comes first
valid(fr.phone, "phone", " +33 1 23 45 67 89\n", "+33123456789")
invalid(fr.phone, "phone", "01 23\n45 67 89")
invalid(fr.postal_code, "postal_code", "99000")

---------------------------------------------------------------- Calendar
local easter = { [2000] = "2000-04-23", [2019] = "2019-04-21", [2024] = "2024-03-31",
                 [2025] = "2025-04-20", [2026] = "2026-04-05", [2027] = "2027-03-28",
                 [2038] = "2038-04-25", [2285] = "2285-03-22" }
for y, d in pairs(easter) do eq(fr.paques(y), d, "paques(" .. y .. ")") end

eq(fr.jour_ferie("2026-01-01"), "Jour de l'an", "1er janvier")
eq(fr.jour_ferie("2026-04-06"), "Lundi de Pâques", "lundi de Pâques 2026")
eq(fr.jour_ferie("2026-05-14"), "Ascension", "Ascension 2026")
eq(fr.jour_ferie("2026-05-25"), "Lundi de Pentecôte", "Pentecôte 2026")
eq(fr.jour_ferie("2025-05-29"), "Ascension", "Ascension 2025")
eq(fr.jour_ferie("2025-06-09"), "Lundi de Pentecôte", "Pentecôte 2025")
eq(fr.jour_ferie("2026-07-14"), "Fête nationale", "14 juillet")
eq(fr.jour_ferie("2026-07-15"), nil, "15 juillet")
eq(fr.jour_ferie("2026-04-03"), nil, "vendredi saint hors Alsace-Moselle")
eq(fr.jour_ferie("2026-04-03", { alsace_moselle = true }), "Vendredi saint", "vendredi saint en Alsace-Moselle")
eq(fr.jour_ferie("2026-12-26T10:00:00", { alsace_moselle = true }), "Saint-Étienne", "26 décembre, datetime")

check(fr.est_ouvre("2026-05-13"), "mercredi 13 mai 2026 ouvré")
check(not fr.est_ouvre("2026-05-14"), "Ascension non ouvrée")
check(not fr.est_ouvre("2026-05-16"), "samedi non ouvré")
check(not fr.est_ouvre("2026-05-17"), "dimanche non ouvré")

local jo = {
  { "2026-04-03", 1, "2026-04-07" },   -- Friday -> weekend + Easter Monday
  { "2026-05-13", 1, "2026-05-15" },   -- Ascension
  { "2026-05-07", 1, "2026-05-11" },   -- Friday 8 May
  { "2026-05-22", 1, "2026-05-26" },   -- Whit Monday
  { "2026-07-10", 5, "2026-07-20" },   -- 14 July inside the range
  { "2026-12-31", 1, "2027-01-04" },   -- New Year on a Friday, across years
  { "2025-12-24", 1, "2025-12-26" },
  { "2026-03-02", 0, "2026-03-02" },
  { "2026-03-07", 0, "2026-03-07" },   -- n = 0 keeps even a Saturday
  { "2026-03-07", 1, "2026-03-09" },   -- from a Saturday
  { "2026-04-07", -1, "2026-04-03" },  -- backward over Easter Monday and the weekend
  { "2026-01-05", -1, "2026-01-02" },  -- backward over a weekend
  { "2026-01-02", -1, "2025-12-31" },  -- backward over New Year
  { "2026-03-02", 20, "2026-03-30" },
  { "2026-05-13T17:45:00", 1, "2026-05-15" },
}
for _, c in ipairs(jo) do
  eq(fr.jours_ouvres(c[1], c[2]), c[3], string.format("jours_ouvres(%s, %d)", c[1], c[2]))
end
-- 2026: 365 days, 104 weekend days, 8 public holidays on weekdays (1/1, 6/4, 1/5, 8/5,
-- 14/5, 25/5, 14/7, 11/11; 15/8 and 1/11 fall on weekends, 25/12 on a Friday -> 9).
eq(fr.jours_ouvres("2025-12-31", 252), "2026-12-31", "working days of 2026")
eq(fr.jours_ouvres("2025-12-24", 1, { alsace_moselle = true }), "2025-12-29", "26/12 en Alsace-Moselle")
eq(fr.jours_ouvres("2026-04-02", 1, { alsace_moselle = true }), "2026-04-07", "Vendredi saint en Alsace-Moselle")

eq(fr.ajouter_jours("2024-02-28", 1), "2024-02-29", "leap year")
eq(fr.ajouter_jours("2023-02-28", 1), "2023-03-01", "common year")
eq(fr.ajouter_jours("2100-02-28", 1), "2100-03-01", "2100 is not leap")
eq(fr.ajouter_jours("2000-02-28", 1), "2000-02-29", "2000 is leap")
eq(fr.ajouter_jours("2026-01-01", -1), "2025-12-31", "backward across years")
eq(fr.ajouter_jours("1970-01-01", 0), "1970-01-01", "epoch")
eq(fr.ajouter_jours("1969-12-31", 366), "1971-01-01", "before epoch")
eq(fr.ecart_jours("2026-01-01", "2026-12-31"), 364, "ecart_jours")
eq(fr.ecart_jours("2026-03-10T23:00", "2026-03-08"), -2, "ecart_jours negative with datetime")

-- Legal time in metropolitan France (2026: summer time from 29/03 to 25/10).
eq(fr.heure_paris("2026-01-15T08:00:00Z"), "2026-01-15T09:00:00", "winter: UTC+1")
eq(fr.heure_paris("2026-07-01T08:00:00Z"), "2026-07-01T10:00:00", "summer: UTC+2")
eq(fr.heure_paris("2026-03-29T00:59:59Z"), "2026-03-29T01:59:59", "just before the spring change")
eq(fr.heure_paris("2026-03-29T01:00:00Z"), "2026-03-29T03:00:00", "spring change at 01:00 UTC")
eq(fr.heure_paris("2026-10-25T00:59:00Z"), "2026-10-25T02:59:00", "before the autumn change")
eq(fr.heure_paris("2026-10-25T01:00:00Z"), "2026-10-25T02:00:00", "autumn change at 01:00 UTC")
eq(fr.heure_paris("2026-12-31T23:30:00Z"), "2027-01-01T00:30:00", "across the new year")
eq(fr.heure_paris("2026-07-01T10:00:00+02:00"), "2026-07-01T10:00:00", "explicit offset")
eq(fr.heure_paris("2026-07-01T03:00:00-05:00"), "2026-07-01T10:00:00", "negative offset")
eq(fr.heure_paris("2026-07-01T10:00"), "2026-07-01T10:00:00", "local time kept")
eq(fr.heure_paris("2026-07-01T08:00:00.250Z"), "2026-07-01T10:00:00", "fractional seconds")
raises(fr.heure_paris, "2026-07-01")
raises(fr.heure_paris, "2026-07-01T10:00:00CEST")
raises(fr.heure_paris, nil)

raises(fr.jours_ouvres, "2026-02-30", 1)
raises(fr.jours_ouvres, "2025-02-29", 1)
raises(fr.jours_ouvres, "2026-13-01", 1)
raises(fr.jours_ouvres, "26/05/2026", 1)
raises(fr.jours_ouvres, "2026-05-26x", 1)
raises(fr.jours_ouvres, nil, 1)
raises(fr.jours_ouvres, "2026-05-26", 1.5)
raises(fr.jours_ouvres, "2026-05-26", "1")
raises(fr.jours_ouvres, "2026-05-26", 100000)
raises(fr.paques, "2026")

---------------------------------------------------------------- Money
eq(fr.format_euros(0), "0,00" .. NBSP .. "€", "0")
eq(fr.format_euros(5), "0,05" .. NBSP .. "€", "5 cents")
eq(fr.format_euros(99), "0,99" .. NBSP .. "€", "99 cents")
eq(fr.format_euros(100), "1,00" .. NBSP .. "€", "1 euro")
eq(fr.format_euros(99999), "999,99" .. NBSP .. "€", "no grouping below 1000")
eq(fr.format_euros(123456), "1" .. NBSP .. "234,56" .. NBSP .. "€", "1 234,56")
eq(fr.format_euros(100000000), "1" .. NBSP .. "000" .. NBSP .. "000,00" .. NBSP .. "€", "1 million")
eq(fr.format_euros(-123456), "-1" .. NBSP .. "234,56" .. NBSP .. "€", "negative")
eq(fr.format_euros(-5), "-0,05" .. NBSP .. "€", "negative cents")
eq(fr.format_euros(1250.0), "12,50" .. NBSP .. "€", "integral float")
eq(fr.format_euros(math.maxinteger), "92" .. NBSP .. "233" .. NBSP .. "720" .. NBSP .. "368" .. NBSP
   .. "547" .. NBSP .. "758,07" .. NBSP .. "€", "maxinteger")
raises(fr.format_euros, 12.5)
raises(fr.format_euros, "1234")
raises(fr.format_euros, nil)
raises(fr.format_euros, math.mininteger)

---------------------------------------------------------------- Sandbox hygiene
-- The module runs in the app sandbox: no io, no os except os.time/os.date.
do
  local path = here .. "/../../stdlib-lua/smallapps/fr.lua"
  local f = assert(io.open(path, "r"))
  local src = f:read("a")
  f:close()
  local code = src:gsub("%-%-[^\n]*", "")     -- comments may mention anything
  check(not code:find("%f[%w_]io%s*[%.:]"), "fr.lua uses io")
  for fn in code:gmatch("%f[%w_]os%s*%.%s*([%a_]+)") do
    check(fn == "time" or fn == "date", "fr.lua uses os." .. fn)
  end
  for _, bad in ipairs { "load", "dofile", "loadfile", "debug", "setmetatable", "package" } do
    check(not code:find("%f[%w_]" .. bad .. "%f[^%w_]"), "fr.lua uses " .. bad)
  end
  -- One require: the native module, the only one the sandbox preloads.
  local required = {}
  for name in code:gmatch("%f[%w_]require%f[^%w_]%s*%(?%s*([^%s%)]*)") do required[#required + 1] = name end
  check(#required == 1 and required[1] == '"smallapps.fr_natif"',
        "fr.lua requires " .. table.concat(required, ", "))
  -- Loading it in an environment with only the sandbox's libraries works: its require
  -- finds smallapps.fr_natif and nothing else, and an unknown global is an error.
  local natif = require "smallapps.fr_natif"
  local env = { string = string, table = table, math = math, utf8 = utf8,
                os = { time = os.time, date = os.date, clock = os.clock },
                type = type, tostring = tostring, tonumber = tonumber, error = error,
                pairs = pairs, ipairs = ipairs, select = select, pcall = pcall,
                require = function(name)
                  if name == "smallapps.fr_natif" then return natif end
                  error('require : module "' .. tostring(name) .. '" indisponible', 2)
                end }
  setmetatable(env, { __index = function(_, k) error("variable globale inconnue " .. tostring(k), 2) end })
  local chunk = assert(load(src, "=fr.lua", "t", env))
  local ok, m = pcall(chunk)
  check(ok, "loads in a bare environment: " .. tostring(m))
  if ok then
    check(m.siret("44306184100047") == "44306184100047", "works in a bare environment")
    check(m.siren == natif.siren and m.iban == natif.iban, "the checkers are the native module's")
    check(m.jours_ouvres("2026-05-13", 1) == "2026-05-15", "calendar works in a bare environment")
  end
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
