-- Unit tests of the example apps' Lua hooks (compute, validate, on_create, guard,
-- action), called directly with hand-made records and a fake ctx. The engine's
-- scenario tests (`smallapps test`) exercise the same rules through the real pipeline;
-- these run with nothing but lua5.4.
--
--   lua5.4 tests/apps/hooks.lua
--
-- Prints one line per failure and "N passed, N failed" last; exits 1 on failure.

local here = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
local root = here .. "/../.."
-- smallapps.fr's checkers: <build>/lua/smallapps/fr_natif.so (make unit; see test_fr.lua).
local build = os.getenv("SMALLAPPS_BUILD") or "build"
if build:sub(1, 1) ~= "/" then build = root .. "/" .. build end
package.cpath = build .. "/lua/?.so;" .. package.cpath

local passed, failed = 0, 0
local function check(ok, what)
  if ok then
    passed = passed + 1
    return
  end
  failed = failed + 1
  local line, level = 0, 2
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if info.what == "main" then line = info.currentline end
    level = level + 1
  end
  print(string.format("FAIL tests/apps/hooks.lua:%d: %s", line, what))
end
local function eq(got, want, what)
  check(got == want, string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
end

local function load_app(id)
  local dir = root .. "/apps/" .. id
  local saved = package.path
  package.path = root .. "/stdlib-lua/?.lua;" .. dir .. "/?.lua;" .. saved
  for k in pairs(package.loaded) do
    if k:match("^lib%.") then package.loaded[k] = nil end
  end
  local app = dofile(dir .. "/app.lua")
  package.path = saved
  return app
end

-- Records given to hooks raise on unknown field names, as the engine's record proxy
-- does: a typo in a hook fails here instead of silently reading nil.
local SYSTEM = { id = true, state = true, created_at = true, created_by = true, updated_at = true,
                 updated_by = true, version = true }
local current_names = {}
local function strict(r)
  if type(r) ~= "table" then return r end
  return setmetatable(r, { __index = function(_, k)
    if not SYSTEM[k] and not current_names[k] then
      error("hook reads unknown field \"" .. tostring(k) .. "\"", 2)
    end
  end })
end
local function wrap(fn)
  if not fn then return nil end
  return function(r, ...) return fn(strict(r), ...) end
end
local function shallow(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function form(app, id)
  for _, f in ipairs(app.forms) do
    if f.id == id then
      current_names = {}
      for _, x in ipairs(f.fields) do current_names[x.name] = true end
      for _, t in ipairs(f.workflow and f.workflow.transitions or {}) do
        for _, x in ipairs(t.fields or {}) do current_names[x.name] = true end
      end
      local c = shallow(f)
      c.validate, c.on_create = wrap(f.validate), wrap(f.on_create)
      return c
    end
  end
  error("no form " .. id)
end
local function field(f, name)
  for _, x in ipairs(f.fields) do
    if x.name == name then
      local c = shallow(x)
      c.compute = wrap(x.compute)
      return c
    end
  end
  error("no field " .. name)
end
local function transition(f, id)
  for _, t in ipairs(f.workflow.transitions) do
    if t.id == id then
      local c = shallow(t)
      c.guard, c.action = wrap(t.guard), wrap(t.action)
      return c
    end
  end
  error("no transition " .. id)
end

local logs = {}
local function ctx(t)
  local c = {
    today = "2026-03-04",                -- a Wednesday
    now = "2026-03-04T10:00:00",
    user = { login = "alice", name = "Alice", email = "alice@example.org", roles = {} },
    app = "test", form = "test",
    count = function() return 42 end,
    log = function(m) logs[#logs + 1] = m end,
    notify = function() end,
  }
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

-- copy(t, over): t with the entries of over; over = { x = NIL } removes x.
local NIL = setmetatable({}, { __name = "NIL" })
local function copy(t, over)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  for k, v in pairs(over or {}) do
    if v == NIL then c[k] = nil else c[k] = v end
  end
  return c
end

-- Simulates visible_if as the engine does: hidden fields become nil.
local function apply_visibility(f, r)
  local function holds(cond)
    for name, want in pairs(cond) do
      local v = r[name]
      local wants = type(want) == "table" and want or { want }
      local ok = false
      for _, w in ipairs(wants) do
        if type(v) == "table" then
          for _, x in ipairs(v) do if x == w then ok = true end end
        elseif v == w or (w == false and v == nil) then
          ok = true
        end
      end
      if not ok then return false end
    end
    return true
  end
  for _, x in ipairs(f.fields) do
    if x.visible_if and not holds(x.visible_if) then r[x.name] = nil end
  end
  return r
end

---------------------------------------------------------------- vaccins
do
  local app = load_app("vaccins")
  local cmd = form(app, "commande")
  -- An order of one vaccine, as the engine gives it: its line and the total computed.
  local function one(vaccin, doses)
    return { lignes = { { vaccin = vaccin, doses = doses } }, doses = doses }
  end
  local flacons = field(cmd, "flacons").compute
  eq(flacons(one("spikevax", 100)), 10, "flacons spikevax")
  eq(flacons(one("comirnaty", 60)), 10, "flacons comirnaty")
  eq(flacons(one("comirnaty", 61)), 11, "flacons rounded up")
  eq(flacons(one("vaxigrip", 25)), 25, "single-dose syringes")
  eq(flacons(one("spikevax", nil)), nil, "flacons without doses")
  eq(flacons { lignes = { { vaccin = "spikevax", doses = 100 }, { vaccin = "comirnaty", doses = 61 } } },
     21, "flacons of two lines")
  eq(field(cmd, "doses").compute { lignes = { { vaccin = "spikevax", doses = 100 },
                                              { vaccin = "arexvy", doses = 20 } } }, 120, "total doses")

  local ok = {
    centre = "Centre de vaccination de Saint-Étienne", type_centre = "centre", adresse = "1 rue X",
    code_postal = "42000", commune = "Saint-Étienne", contact_nom = "Dr Martin",
    contact_email = "martin@example.org", contact_telephone = "+33477000000",
    lignes = { { vaccin = "spikevax", doses = 100 } }, doses = 100,
    publics = { "plus_65", "soignants" }, capacite_stockage = 500,
    date_souhaitee = "2026-03-09", urgent = false,
  }
  local v = cmd.validate
  eq(v(ok, ctx()), nil, "valid order")
  local e = v(copy(ok, one("spikevax", 105)), ctx())
  check(e and e["lignes[1].doses"] and e["lignes[1].doses"]:find("10 doses"), "Spikevax multiple of 10")
  e = v(copy(ok, one("comirnaty", 100)), ctx())
  check(e and e["lignes[1].doses"] and e["lignes[1].doses"]:find("6 doses"), "Comirnaty multiple of 6")
  eq(v(copy(ok, one("comirnaty", 102)), ctx()), nil, "Comirnaty 102 doses")
  e = v(copy(ok, one("spikevax", 600)), ctx())
  check(e and e.lignes and e.lignes:find("capacité"), "over storage capacity")
  e = v(copy(copy(ok, one("efluelda", 50)), { publics = { "soignants" } }), ctx())
  check(e and e.publics, "Efluelda reserved to 65+")
  eq(v(copy(ok, one("efluelda", 50)), ctx()), nil, "Efluelda for 65+")
  e = v(copy(ok, { lignes = { { vaccin = "spikevax", doses = 100 }, { vaccin = "spikevax", doses = 10 } } }), ctx())
  check(e and e["lignes[2].vaccin"] and e["lignes[2].vaccin"]:find("ligne 1"), "a vaccine once per order")
  e = v(copy(ok, { code_postal = "69003" }), ctx())
  check(e and e.code_postal, "centre outside the Loire")
  e = v(copy(ok, { date_souhaitee = "2026-03-07" }), ctx())
  check(e and e.date_souhaitee and e.date_souhaitee:find("lundi au vendredi"), "Saturday delivery")
  e = v(copy(ok, { date_souhaitee = "2026-05-14" }), ctx())
  check(e and e.date_souhaitee and e.date_souhaitee:find("Ascension"), "delivery on Ascension")
  e = v(copy(ok, { date_souhaitee = "2026-03-05" }), ctx())
  check(e and e.date_souhaitee and e.date_souhaitee:find("06/03/2026"), "lead time of 2 working days")
  eq(v(copy(ok, { date_souhaitee = "2026-03-06" }), ctx()), nil, "2 working days is enough")
  eq(v(copy(ok, { date_souhaitee = "2026-03-05", urgent = true, motif_urgence = "Rupture" }), ctx()), nil,
     "urgent orders may be delivered the next day")
  -- Editing later does not make the lead time fail: it counts from created_at.
  eq(v(copy(ok, { created_at = "2026-03-02T09:00:00", date_souhaitee = "2026-03-05" }), ctx()), nil,
     "lead time from created_at")
  -- created_at is UTC: 23:30Z on the 2nd is already the 3rd in Paris.
  e = v(copy(ok, { created_at = "2026-03-02T23:30:00Z", date_souhaitee = "2026-03-04" }), ctx())
  check(e and e.date_souhaitee and e.date_souhaitee:find("05/03/2026"), "lead time from the Paris date")

  local r = copy(ok, { urgent = true })
  cmd.on_create(r, ctx())
  local part = ("[A-HJ-NP-Z2-9]"):rep(4)
  check(r.reference:match("^CMD%-%d%d%d%d%d%d%d%d%-" .. part .. "%-" .. part .. "$"),
        "reference CMD-AAAAMMJJ-XXXX-XXXX: " .. tostring(r.reference))
  eq(r.priorite, "haute", "urgent -> priorité haute")
  r = copy(ok)
  cmd.on_create(r, ctx())
  eq(r.priorite, "normale", "priorité normale")

  local valider = transition(cmd, "valider")
  eq(valider.self_approval, false, "separation of duties on valider")
  eq(valider.guard(copy(ok, { doses_validees = 80 })), true, "validate fewer doses")
  eq(valider.guard(copy(ok)), true, "validate requested quantity")
  local g, why = valider.guard(copy(ok, { doses_validees = 120 }))
  check(g == false and why:find("100"), "cannot validate more than requested")
  g, why = valider.guard(copy(ok, { doses_validees = 95 }))
  check(g == false and why:find("multiple de 10"), "vial multiple on validation")
  g = valider.guard(copy(ok, { doses_validees = 90, livraison_prevue = "2026-04-06" }))
  eq(g, false, "planned delivery on Easter Monday")
  r = copy(ok)
  valider.action(r, ctx())
  eq(r.doses_validees, 100, "empty doses_validees defaults to the order")
  r = copy(ok, { doses_validees = 50, reference = "CMD-2026-0001" })
  logs = {}
  valider.action(r, ctx())
  check(#logs == 1 and logs[1]:find("100 à 50"), "adjustment logged")

  r = copy(ok, { created_at = "2026-03-02T09:12:00", livree_le = "2026-03-06" })
  transition(cmd, "livrer").action(r, ctx())
  eq(r.delai_jours, 4, "delivery delay")
  r = copy(ok, { created_at = "2026-03-05T23:30:00Z", livree_le = "2026-03-06" })
  transition(cmd, "livrer").action(r, ctx())
  eq(r.delai_jours, 0, "delivery delay counted from the Paris date of the order")

  local lot = form(app, "lot")
  eq(lot.validate { date_reception = "2026-03-01", date_peremption = "2026-09-30" }, nil, "lot ok")
  check(lot.validate { date_reception = "2026-03-01", date_peremption = "2026-03-01" }, "expired lot")
end

---------------------------------------------------------------- ponts-sete
do
  local app = load_app("ponts-sete")
  local f = form(app, "ouverture")
  local compute = field(f, "ouverture_necessaire").compute
  eq(compute { tirant_air = 1.5, ponts = { "gare" } }, false, "passes under the Gare bridge")
  eq(compute { tirant_air = 1.6, ponts = { "gare", "foch" } }, true, "Foch is lower")
  eq(compute { tirant_air = 12.0, ponts = { "victoire", "tivoli" } }, true, "sailing ship")
  eq(compute { ponts = { "gare" } }, nil, "unknown air draught")

  local ok = {
    societe = "Thau Transports Maritimes", siret = "44306184100047", contact_nom = "J. Pons",
    contact_email = "armement@example.org", telephone_capitaine = "+33612345678",
    navire = "LOU PESCADOU", categorie = "peche", immatriculation = "ST 925432", longueur = 24.5,
    largeur = 7.2, tirant_air = 11.8, tirant_eau = 3.1, personnes_a_bord = 6, sens = "vers_mer",
    ponts = { "gare", "sadi_carnot" }, creneau_souhaite = "2026-03-06T06:30", matieres_dangereuses = false,
  }
  local v = f.validate
  eq(v(ok, ctx()), nil, "valid request")
  local e = v(copy(ok, { imo = "9074728" }), ctx())
  check(e and e.imo, "bad IMO check digit")
  eq(v(copy(ok, { imo = "9074729" }), ctx()), nil, "good IMO")
  e = v(copy(ok, { tirant_air = 1.2 }), ctx())
  check(e and e.tirant_air and e.tirant_air:find("1,20 m") and e.tirant_air:find("1,77 m"),
        "no opening needed, French decimals: " .. tostring(e and e.tirant_air))
  e = v(copy(ok, { largeur = 30.0, longueur = 24.5 }), ctx())
  check(e and e.largeur, "wider than long")
  e = v(copy(ok, { creneau_souhaite = "2026-03-05T09:59" }), ctx())
  check(e and e.creneau_souhaite, "less than 24 h notice")
  eq(v(copy(ok, { creneau_souhaite = "2026-03-05T10:00" }), ctx()), nil, "exactly 24 h notice")
  eq(v(copy(ok, { creneau_souhaite = "2026-03-05T08:00", created_at = "2026-03-03T08:00:00" }), ctx()), nil,
     "notice counted from the filing date")
  -- ctx.now and created_at are UTC: 10:00Z is 11:00 in Sète in March.
  e = v(copy(ok, { creneau_souhaite = "2026-03-05T10:30" }), ctx { now = "2026-03-04T10:00:00Z" })
  check(e and e.creneau_souhaite, "UTC now converted to local time (23 h 30 notice)")
  eq(v(copy(ok, { creneau_souhaite = "2026-03-05T11:00" }), ctx { now = "2026-03-04T10:00:00Z" }), nil,
     "UTC now converted to local time (24 h notice)")

  local r = copy(ok, { navire = "Lou Pescadou", immatriculation = "st 925432" })
  f.on_create(r, ctx())
  eq(r.navire, "LOU PESCADOU", "vessel name upper-cased")
  eq(r.immatriculation, "ST 925432", "registration upper-cased")

  local confirmer = transition(f, "confirmer")
  eq(confirmer.self_approval, false, "separation of duties on confirmer")
  local base = copy(ok, { creneau_confirme = "2026-03-05T06:30", vent_kn = 12 })
  eq(confirmer.guard(base, ctx()), true, "confirm the day before")
  local g, why = confirmer.guard(copy(base, { creneau_confirme = "2026-03-10T06:30" }), ctx())
  check(g == false and why:find("48 heures"), "too early to confirm")
  g, why = confirmer.guard(copy(base, { vent_kn = 40 }), ctx())
  check(g == false and why:find("40 nœuds"), "too much wind")

  r = copy(base, { heure_passage = "2026-03-05T07:15:00" })
  transition(f, "consigner_passage").action(r, ctx())
  eq(r.ecart_minutes, 45, "delay in minutes")
  r = copy(base, { creneau_confirme = "2026-03-31T23:50", heure_passage = "2026-04-01T00:05" })
  transition(f, "consigner_passage").action(r, ctx())
  eq(r.ecart_minutes, 15, "delay across midnight and months")

  local expirer = transition(f, "expirer")
  eq(expirer.after_days, 3, "automatic expiry")
  eq(expirer.roles, nil, "expiry is automatic only")
end

---------------------------------------------------------------- reclamations
do
  local app = load_app("reclamations")
  local f = form(app, "reclamation")
  eq(f.access.create[1], "public", "anyone may file a complaint")

  local ok = {
    categorie = "voirie", objet = "Nid-de-poule", description = "Un trou profond sur la chaussée depuis deux semaines.",
    adresse = "12 allée du Comminges", code_postal = "31770", commune = "Colomiers", danger = true,
    souhaite_reponse = true, canal_reponse = "courriel", nom = "Camille Durand", courriel = "camille@example.org",
  }
  local v = f.validate
  eq(v(ok, ctx()), nil, "valid complaint")
  local e = v(copy(ok, { code_postal = "75011" }), ctx())
  check(e and e.code_postal, "outside the territory")
  e = v(copy(ok, { demande_indemnisation = true, montant_dommage = 18000, iban = "FR7630006000011234567890189" }), ctx())
  check(e and e.date_constat and e.date_constat:find("date du dommage"), "compensation needs a date")
  e = v(copy(ok, { demande_indemnisation = true, date_constat = "2025-12-01" }), ctx())
  check(e and e.date_constat and e.date_constat:find("60 jours"), "compensation too late")
  eq(v(copy(ok, { demande_indemnisation = true, date_constat = "2026-02-20" }), ctx()), nil, "compensation in time")
  -- Filed at 23:30Z on the 60th day: already the 61st in Paris.
  e = v(copy(ok, { demande_indemnisation = true, date_constat = "2026-01-01",
                   created_at = "2026-03-02T23:30:00Z" }), ctx())
  check(e and e.date_constat and e.date_constat:find("60 jours"), "compensation delay in Paris days")
  eq(v(copy(ok, { demande_indemnisation = true, date_constat = "2026-01-01",
                  created_at = "2026-03-02T22:30:00Z" }), ctx()), nil, "60th day, Paris time")
  e = v(copy(ok, { demande_indemnisation = true, date_constat = "2026-02-20", souhaite_reponse = false }), ctx())
  check(e and e.souhaite_reponse, "compensation needs an answer")
  eq(v(copy(ok, { souhaite_reponse = false, canal_reponse = NIL, courriel = NIL, nom = NIL }), ctx()), nil,
     "anonymous complaint")

  -- Visibility chain: the compensation block only exists for some categories.
  local r = apply_visibility(f, copy(ok, { categorie = "bruit", demande_indemnisation = true,
                                           montant_dommage = 50000, iban = "FR7630006000011234567890189" }))
  check(r.demande_indemnisation == nil and r.montant_dommage == nil and r.iban == nil,
        "no compensation for noise complaints")

  local mode = field(f, "mode_reponse").compute
  eq(mode(ok), "courriel", "answer by e-mail")
  eq(mode { souhaite_reponse = false }, "aucune", "no answer wanted")
  eq(mode { souhaite_reponse = true, canal_reponse = "telephone" }, "telephone", "answer by phone")
  eq(field(f, "service_suggere").compute { categorie = "bruit" }, "tranquillite", "noise -> tranquillité")

  r = copy(ok)
  f.on_create(r, ctx())
  eq(r.priorite, "urgente", "danger -> urgent")
  r = copy(ok, { danger = false })
  f.on_create(r, ctx())
  eq(r.priorite, "normale", "no danger -> normal")

  local q = transition(f, "qualifier")
  local g = q.guard(copy(ok, { priorite = "normale", service = "voirie" }))
  eq(g, false, "danger needs a high priority before qualification")
  eq(q.guard(copy(ok, { priorite = "urgente", service = "voirie" })), true, "urgent danger may be qualified")

  local aff = transition(f, "affecter")
  eq(aff.guard(copy(ok, { priorite = "urgente", echeance = "2026-03-06" }), ctx()), true, "urgent deadline ok")
  local why
  g, why = aff.guard(copy(ok, { priorite = "urgente", echeance = "2026-03-20" }), ctx())
  check(g == false and why:find("2026%-03%-06"), "urgent deadline too far")
  eq(aff.guard(copy(ok, { priorite = "normale", echeance = "2026-03-20" }), ctx()), true, "normal deadline")

  local rep = transition(f, "repondre")
  eq(rep.guard(ok), true, "answer when wanted")
  eq((rep.guard(copy(ok, { souhaite_reponse = false }))), false, "no answer when not wanted")
  eq((transition(f, "clore_sans_reponse").guard(ok)), false, "cannot close without answering")
  r = copy(ok, { mode_reponse = "courriel" })
  rep.action(r, ctx())
  eq(r.repondu_le, "2026-03-04", "answer date")
  eq(transition(f, "cloturer").self_approval, false, "separation of duties on cloturer")
  eq(transition(f, "cloture_auto").after_days, 30, "automatic closing")
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
