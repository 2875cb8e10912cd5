-- Règles d'accès : dépôt par les armateurs et par la régulation (appel téléphonique),
-- cloisonnement entre armateurs, note interne de la régulation, champs calculés ou
-- en lecture seule, modification selon l'état, transitions réservées, séparation des
-- tâches pour la confirmation, suppression.
local T = require("smallapps.test")

T.clock("2026-06-08T08:00:00Z") -- lundi 8 juin 2026, 10 h à Sète

local armateur1 = T.user("armateur1", { "armateur" })
local armateur2 = T.user("armateur2", { "armateur" })
local regulation1 = T.user("regulation1", { "regulation" })
local regulation2 = T.user("regulation2", { "regulation" })
local sans_role = T.user("visiteur", {})
local anonyme = T.anonymous()
local admin = T.admin("root")

local function demande(changes)
  local f = {
    societe = "Conchyliculteurs de Bouzigues", siret = "73282932000074",
    contact_nom = "Jean Vidal", contact_email = "jean.vidal@example.org",
    telephone_capitaine = "06 11 22 33 44",
    navire = "Bouzigues II", categorie = "conchyliculture", immatriculation = "ST 777001",
    longueur = 12, largeur = 4, tirant_air = 3.2, tirant_eau = 1.2, personnes_a_bord = 3,
    sens = "vers_etang", ponts = { "victoire", "tivoli" }, creneau_souhaite = "2026-06-09T18:00",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return f
end

-- ------------------------------------------------------------------ dépôt

local a1 = armateur1:create("ouverture", demande())
T.ok(a1, "un armateur dépose")
local a2 = armateur2:create("ouverture", demande({ navire = "Cettia", societe = "Cettia Pêche" }))
T.ok(a2)
local tel = regulation1:create("ouverture", demande({ navire = "Ville de Mèze" }))
T.ok(tel, "la régulation saisit une demande reçue par téléphone")
T.forbidden(sans_role:create("ouverture", demande()), "un compte sans rôle ne dépose pas")
T.forbidden(anonyme:create("ouverture", demande()), "il faut être connecté")

-- ------------------------------------------------------------------ cloisonnement entre armateurs

T.ok(armateur1:read("ouverture", a1.id))
T.not_found(armateur1:read("ouverture", a2.id), "la demande d'un autre armateur n'existe pas pour lui")
T.not_found(armateur2:read("ouverture", a1.id))
T.not_found(armateur1:read("ouverture", tel.id), "ni celle saisie par la régulation")
T.not_found(armateur2:edit("ouverture", a1.id, { observations = "x" }))
T.not_found(armateur2:trigger("ouverture", a1.id, "annuler"))
T.not_found(armateur2:delete("ouverture", a1.id))
T.not_found(anonyme:read("ouverture", a1.id))
T.not_found(sans_role:read("ouverture", a1.id))

local l1 = armateur1:list("ouverture")
T.eq(l1.total, 1, "un armateur ne liste que ses demandes")
T.eq(l1.records[1].id, a1.id)
T.eq(armateur2:list("ouverture").records[1].id, a2.id)
T.eq(regulation2:list("ouverture").total, 3, "la régulation voit tout")
T.eq(admin:list("ouverture").total, 3)
T.eq(#anonyme:list("ouverture").records, 0)
T.eq(#sans_role:list("ouverture").records, 0)

-- ------------------------------------------------------------------ note interne, champs protégés

local n = regulation1:edit("ouverture", a1.id, { note_regulation = "Capitaine joignable après 17 h" })
T.ok(n)
T.eq(n.fields.note_regulation, "Capitaine joignable après 17 h")
T.eq(armateur1:read("ouverture", a1.id).fields.note_regulation, nil, "note invisible de l'armateur")
T.eq(armateur1:list("ouverture").records[1].fields.note_regulation, nil, "même dans sa liste")
T.eq(regulation2:read("ouverture", a1.id).fields.note_regulation, "Capitaine joignable après 17 h")
T.invalid(armateur1:edit("ouverture", a1.id, { note_regulation = "lu" }), "note_regulation")
T.invalid(armateur1:edit("ouverture", a1.id, { ouverture_necessaire = false }), "ouverture_necessaire",
  "pas modifier ce champ")
T.invalid(regulation1:edit("ouverture", a1.id, { ecart_minutes = 0 }), "ecart_minutes", "pas modifier ce champ")
T.invalid(armateur1:create("ouverture", demande({ note_regulation = "prioritaire" })), "note_regulation")

-- ------------------------------------------------------------------ modification selon l'état

T.ok(armateur1:edit("ouverture", a1.id, { personnes_a_bord = 5 }), "l'armateur modifie sa demande déposée")
T.ok(regulation1:edit("ouverture", a1.id, { observations = "Vérifié au registre" }))

-- ------------------------------------------------------------------ transitions réservées

T.forbidden(armateur1:trigger("ouverture", a1.id, "planifier", { fields = { creneau_confirme = "2026-06-09T18:00" } }),
  "un armateur ne planifie pas")
T.forbidden(armateur1:trigger("ouverture", a1.id, "refuser", {
  fields = { motif_refus = "Autre motif" }, comment = "non",
}))
T.forbidden(regulation1:trigger("ouverture", a1.id, "annuler"), "seul l'auteur annule")
T.forbidden(regulation1:trigger("ouverture", a1.id, "expirer"), "l'expiration est automatique")

T.state(regulation1:trigger("ouverture", a1.id, "planifier", { fields = { creneau_confirme = "2026-06-09T18:00" } }),
  "planifiee")
T.forbidden(armateur1:edit("ouverture", a1.id, { personnes_a_bord = 6 }), "planifiée : plus modifiable par l'armateur")
T.ok(regulation1:edit("ouverture", a1.id, { observations = "Pilote à bord" }))
T.forbidden(armateur1:trigger("ouverture", a1.id, "confirmer", { fields = { vent_kn = 5 } }))
T.conflict(regulation1:trigger("ouverture", a1.id, "consigner_passage", {
  fields = { heure_passage = "2026-06-08T10:00" },
}), "pas encore confirmée")

T.state(regulation1:trigger("ouverture", a1.id, "confirmer", { fields = { vent_kn = 5 } }), "confirmee")
T.forbidden(armateur1:trigger("ouverture", a1.id, "consigner_passage", {
  fields = { heure_passage = "2026-06-08T10:00" },
}))
T.forbidden(armateur1:trigger("ouverture", a1.id, "declarer_absent"))
T.forbidden(armateur1:trigger("ouverture", a1.id, "replanifier", {
  fields = { creneau_confirme = "2026-06-10T08:00" }, comment = "plus tard",
}), "l'armateur ne choisit pas le créneau")

-- ------------------------------------------------------------------ séparation des tâches

-- La demande saisie au téléphone par regulation1 doit être confirmée par un autre agent.
T.state(regulation1:trigger("ouverture", tel.id, "planifier", { fields = { creneau_confirme = "2026-06-09T18:30" } }),
  "planifiee", "planifier sa propre saisie est permis")
local soi = regulation1:trigger("ouverture", tel.id, "confirmer", { fields = { vent_kn = 5 } })
T.forbidden(soi, "confirmer sa propre saisie ne l'est pas")
T.truthy(soi.message and soi.message:find("séparation des tâches", 1, true))
T.state(regulation2:trigger("ouverture", tel.id, "confirmer", { fields = { vent_kn = 5 } }), "confirmee")

-- ------------------------------------------------------------------ suppression

T.forbidden(armateur2:delete("ouverture", a2.id), "un armateur ne supprime pas")
T.ok(regulation2:delete("ouverture", a2.id))
T.not_found(armateur2:read("ouverture", a2.id))
T.eq(armateur2:list("ouverture").total, 0)
T.eq(regulation1:list("ouverture").total, 2)
