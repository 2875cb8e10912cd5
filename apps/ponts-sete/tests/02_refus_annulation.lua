-- Refus par la régulation (d'une demande déposée ou planifiée : motif et commentaire
-- obligatoires, courriel à l'armateur) et annulation par l'armateur jusqu'à la
-- confirmation incluse (courriel à la régulation).
local T = require("smallapps.test")

T.clock("2026-06-08T08:00:00Z") -- lundi 8 juin 2026, 10 h à Sète

local armateur = T.user("armateur1", { "armateur" })
local regulation = T.user("regulation1", { "regulation" })

local function demande(navire, changes)
  local f = {
    societe = "Sète Croisières Lagune", siret = "73282932000074",
    contact_nom = "Inès Garcia", contact_email = "ines.garcia@example.org",
    telephone_capitaine = "06 98 76 54 32",
    navire = navire, categorie = "plaisance_pro", immatriculation = "ST 654321",
    longueur = 14, largeur = 4.5, tirant_air = 12, tirant_eau = 1.8, personnes_a_bord = 2,
    sens = "vers_mer", ponts = { "gare" }, creneau_souhaite = "2026-06-10T14:30",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return armateur:create("ouverture", f)
end

local function refus(motif, commentaire)
  return { fields = { motif_refus = motif }, comment = commentaire }
end

-- ------------------------------------------------------------------ refus d'une demande déposée

local c = demande("Cap d'Agde")
T.ok(c)
T.invalid(regulation:trigger("ouverture", c.id, "refuser", { fields = { motif_refus = "Autre motif" } }),
  "_comment", "obligatoire")
T.invalid(regulation:trigger("ouverture", c.id, "refuser", { comment = "Trop large" }),
  "motif_refus", "obligatoire")
T.invalid(regulation:trigger("ouverture", c.id, "refuser", refus("Pas envie", "Trop large")),
  "motif_refus", "options proposées")
T.eq(#T.mails(), 0)

local rc = regulation:trigger("ouverture", c.id, "refuser", refus("Gabarit incompatible", "Largeur au-delà du canal"))
T.state(rc, "refusee")
local mails = T.mails()
T.eq(#mails, 1)
T.eq(mails[1].to, "ines.garcia@example.org")
T.eq(mails[1].subject, "Demande d'ouverture refusée pour le CAP D'AGDE")
T.truthy(mails[1].body:find("(10/06/2026 14:30) est refusée.\nMotif : Gabarit incompatible.", 1, true),
  "créneau et motif dans le courriel")

-- ------------------------------------------------------------------ refus d'une demande planifiée

local d = demande("Étoile de Thau")
T.state(regulation:trigger("ouverture", d.id, "planifier", { fields = { creneau_confirme = "2026-06-10T14:30" } }),
  "planifiee")
T.state(regulation:trigger("ouverture", d.id, "refuser",
  refus("Conditions météorologiques", "Coup de vent annoncé mercredi")), "refusee")
mails = T.mails()
T.eq(#mails, 3, "planification puis refus")
T.eq(mails[3].subject, "Demande d'ouverture refusée pour le ÉTOILE DE THAU")
T.truthy(mails[3].body:find("Motif : Conditions météorologiques.", 1, true))

-- Une demande confirmée ne se refuse plus (on change de créneau ou on déclare l'absence).
local x = demande("Sirius", { creneau_souhaite = "2026-06-09T12:00" })
T.state(regulation:trigger("ouverture", x.id, "planifier", { fields = { creneau_confirme = "2026-06-09T12:00" } }),
  "planifiee")
T.state(regulation:trigger("ouverture", x.id, "confirmer", { fields = { vent_kn = 5 } }), "confirmee")
T.conflict(regulation:trigger("ouverture", x.id, "refuser", refus("Autre motif", "trop tard")))

-- ------------------------------------------------------------------ annulation par l'armateur

local avant = #T.mails()

local e = demande("Mouette")
local ae = armateur:trigger("ouverture", e.id, "annuler", { comment = "Avarie moteur" })
T.state(ae, "annulee", "annulée depuis « demandée »")
local m = T.mails()[avant + 1]
T.eq(m.to, "role:regulation", "prévient les agents de la régulation")
T.eq(m.subject, "Annulation : MOUETTE (10/06/2026 14:30)")
T.truthy(m.body:find("L'armateur Sète Croisières Lagune a annulé la demande d'ouverture pour le navire MOUETTE.",
  1, true))

local f = demande("Goéland")
T.state(regulation:trigger("ouverture", f.id, "planifier", { fields = { creneau_confirme = "2026-06-10T15:00" } }),
  "planifiee")
T.state(armateur:trigger("ouverture", f.id, "annuler"), "annulee", "annulée depuis « planifiée »")

-- x est confirmée : l'armateur peut encore l'annuler.
T.state(armateur:trigger("ouverture", x.id, "annuler", { comment = "Passage reporté" }), "annulee",
  "annulée depuis « confirmée »")

mails = T.mails()
T.eq(#mails, avant + 4, "trois annulations et une planification")
T.eq(mails[#mails].subject, "Annulation : SIRIUS (09/06/2026 12:00)")
local regulation_prevenue = 0
for _, mail in ipairs(mails) do
  if mail.to == "role:regulation" then regulation_prevenue = regulation_prevenue + 1 end
end
T.eq(regulation_prevenue, 3)

-- Une demande annulée ou refusée est close.
T.conflict(regulation:trigger("ouverture", e.id, "planifier", { fields = { creneau_confirme = "2026-06-10T15:00" } }))
T.conflict(armateur:trigger("ouverture", c.id, "annuler"))
T.forbidden(armateur:edit("ouverture", e.id, { observations = "finalement" }))

T.eq(armateur:list("ouverture", { state = "annulee" }).total, 3)
T.eq(regulation:list("ouverture", { state = "refusee" }).total, 2)
