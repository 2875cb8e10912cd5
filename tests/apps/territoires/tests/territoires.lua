-- Territory fields through the use cases, as the API and the pages reach them: the code
-- is stored, an unknown code or one outside the restriction is a field error.
local T = require("smallapps.test")
local alice = T.user("alice", {})

local r = alice:create("signalement", { objet = "Trottoir", commune = "34301",
  commune_herault = "34172", departement = "34", region = "76", epci = "200066355" })
T.ok(r)
T.eq(r.fields.commune, "34301")
T.eq(r.fields.epci, "200066355")

T.invalid(alice:create("signalement", { objet = "x", commune = "99999" }), "commune",
  "n'est pas un code de commune")
T.invalid(alice:create("signalement", { objet = "x", commune = "34301",
  commune_herault = "30189" }), "commune_herault", "pas dans le département de l'Hérault")
T.invalid(alice:create("signalement", { objet = "x", commune = "34301", departement = "75" }),
  "departement", "pas dans la région Occitanie")
T.invalid(alice:create("signalement", { objet = "x", commune = "Sète" }), "commune")
-- a commune déléguée: only where the field takes them
T.invalid(alice:create("signalement", { objet = "x", commune = "01039" }), "commune",
  "commune déléguée")
T.ok(alice:create("signalement", { objet = "x", commune = "34301", ancienne = "01039" }))
-- Corsica's codes are upper case once stored
local c = alice:create("signalement", { objet = "Ajaccio", commune = "2a004" })
T.ok(c)
T.eq(c.fields.commune, "2A004")
T.ok(alice:edit("signalement", r.id, { commune = "34172" }))
T.eq(alice:read("signalement", r.id).fields.commune, "34172")
T.eq(#alice:list("signalement", { commune = "34172" }).records, 1)
