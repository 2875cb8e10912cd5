-- Parcours d'une demande d'ouverture des ponts : dépôt par l'armateur, planification,
-- confirmation le jour venu (au plus tôt 48 h avant), changement de créneau, passage
-- consigné (écart calculé) ; et un navire déclaré absent. Vérifie les états, les
-- champs calculés et les courriels envoyés à l'armateur.
local T = require("smallapps.test")

T.clock("2026-06-08T08:00:00Z") -- lundi 8 juin 2026, 10 h à Sète

local armateur = T.user("armateur1", { "armateur" })
local regulation = T.user("regulation1", { "regulation" })

local function demande(changes)
  local f = {
    societe = "Armement Thau Marée", siret = "73282932000074",
    contact_nom = "Paul Roux", contact_email = "paul.roux@example.org",
    telephone_capitaine = "06 12 34 56 78",
    navire = "Belle de Thau", categorie = "peche", immatriculation = "st 123456",
    longueur = 18.5, largeur = 6, tirant_air = 9.2, tirant_eau = 2.1, personnes_a_bord = 4,
    sens = "vers_etang", ponts = { "victoire", "tivoli", "gare" },
    creneau_souhaite = "2026-06-10T14:30",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return f
end

local function dernier_courriel()
  local mails = T.mails()
  return mails[#mails]
end

-- ------------------------------------------------------------------ dépôt

local a = armateur:create("ouverture", demande())
T.ok(a)
T.state(a, "demandee")
T.eq(a.fields.navire, "BELLE DE THAU", "nom du navire en capitales")
T.eq(a.fields.immatriculation, "ST 123456", "immatriculation en capitales")
T.eq(a.fields.ouverture_necessaire, true, "9,20 m de tirant d'air : ouverture nécessaire")
T.eq(a.fields.pavillon, "FR", "pavillon par défaut")
T.eq(a.fields.remorquage, false)
T.eq(a.fields.creneau_souhaite, "2026-06-10T14:30:00", "heure locale")
T.eq(a.fields.telephone_capitaine, "+33612345678")
T.eq(#T.mails(), 0)

local b = armateur:create("ouverture", demande({
  navire = "Lagune Express", categorie = "passagers", imo = "9074729", immatriculation = "",
  longueur = 32, largeur = 8.4, tirant_air = 6.5, personnes_a_bord = 120,
  sens = "vers_mer", ponts = { "sadi_carnot", "foch" }, creneau_souhaite = "2026-06-10T09:00",
}))
T.ok(b)
T.eq(b.fields.navire, "LAGUNE EXPRESS")

-- ------------------------------------------------------------------ planification

local p = regulation:trigger("ouverture", a.id, "planifier", {
  fields = { creneau_confirme = "2026-06-10T15:00" }, comment = "Après le passage du TER",
})
T.state(p, "planifiee")
T.eq(p.fields.creneau_confirme, "2026-06-10T15:00:00")
local m = dernier_courriel()
T.eq(#T.mails(), 1)
T.eq(m.to, "paul.roux@example.org")
T.eq(m.subject, "Ouverture planifiée pour le BELLE DE THAU : 10/06/2026 15:00")
T.truthy(m.body:find("(demande initiale : 10/06/2026 14:30)", 1, true), "rappel de la demande")
T.eq(m.record_id, a.id)

T.state(regulation:trigger("ouverture", b.id, "planifier", { fields = { creneau_confirme = "2026-06-10T09:30" } }),
  "planifiee")

-- Trop tôt pour confirmer : la météo se vérifie au plus tôt 48 h avant le créneau.
local tot = regulation:trigger("ouverture", a.id, "confirmer", { fields = { vent_kn = 10 } })
T.conflict(tot)
T.eq(tot.message, "La manœuvre se confirme au plus tôt 48 heures avant le créneau (10/06/2026 à 15 h 00).")

-- ------------------------------------------------------------------ confirmation, changement de créneau

T.advance(1) -- mardi 9 juin, 10 h

local c = regulation:trigger("ouverture", a.id, "confirmer", { fields = { vent_kn = 12 } })
T.state(c, "confirmee")
T.eq(c.fields.vent_kn, 12)
m = dernier_courriel()
T.eq(m.subject, "Ouverture confirmée pour le BELLE DE THAU : 10/06/2026 15:00")
T.truthy(m.body:find("Le capitaine sera appelé au 06 12 34 56 78", 1, true), "téléphone mis en forme")

-- Un convoi exceptionnel impose un autre créneau : retour en « planifiée ».
local r = regulation:trigger("ouverture", a.id, "replanifier", {
  fields = { creneau_confirme = "2026-06-10T16:00" }, comment = "Convoi exceptionnel sur le quai",
})
T.state(r, "planifiee")
T.eq(r.fields.creneau_confirme, "2026-06-10T16:00:00")
T.eq(dernier_courriel().subject, "Ouverture planifiée pour le BELLE DE THAU : 10/06/2026 16:00")

T.state(regulation:trigger("ouverture", a.id, "confirmer", { fields = { vent_kn = 15 } }), "confirmee")
T.eq(dernier_courriel().subject, "Ouverture confirmée pour le BELLE DE THAU : 10/06/2026 16:00")
T.state(regulation:trigger("ouverture", b.id, "confirmer", { fields = { vent_kn = 15 } }), "confirmee")

-- ------------------------------------------------------------------ passage et absence

T.clock("2026-06-10T15:00:00Z") -- mercredi 10 juin, 17 h à Sète

local pa = regulation:trigger("ouverture", a.id, "consigner_passage", {
  fields = { heure_passage = "2026-06-10T16:45" },
})
T.state(pa, "passee")
T.eq(pa.fields.ecart_minutes, 45, "45 minutes de retard sur le créneau")
T.eq(pa.fields.heure_passage, "2026-06-10T16:45:00")

local ab = regulation:trigger("ouverture", b.id, "declarer_absent", { comment = "Pas de réponse VHF" })
T.state(ab, "absente")
m = dernier_courriel()
T.eq(m.to, "paul.roux@example.org")
T.eq(m.subject, "Navire LAGUNE EXPRESS absent au créneau 10/06/2026 09:30")
T.truthy(m.body:find("déposez une nouvelle demande", 1, true))

-- Planification ×2, confirmation ×3, changement de créneau, absence ; rien au passage.
T.eq(#T.mails(), 7)

-- États finaux : plus de transition.
T.conflict(regulation:trigger("ouverture", a.id, "declarer_absent"))
T.conflict(armateur:trigger("ouverture", b.id, "annuler"))

T.eq(armateur:list("ouverture", { state = "passee" }).total, 1)
T.eq(regulation:list("ouverture", { state = "absente" }).total, 1)
T.eq(regulation:list("ouverture", { q = "lagune" }).records[1].id, b.id)
