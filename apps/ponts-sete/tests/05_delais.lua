-- Le temps qui passe : demandes en retard (à planifier sous 1 jour), expiration
-- automatique d'une demande non planifiée au bout de 3 jours (avec courriel), et
-- effacement des données personnelles un an après la clôture.
local T = require("smallapps.test")

T.clock("2026-06-08T08:00:00Z") -- lundi 8 juin 2026, 10 h à Sète

local armateur = T.user("armateur1", { "armateur" })
local regulation = T.user("regulation1", { "regulation" })

local function demande(navire, creneau)
  return armateur:create("ouverture", {
    societe = "Pêcheries du Quai", siret = "73282932000074",
    contact_nom = "Marius Fabre", contact_email = "marius.fabre@example.org",
    telephone_capitaine = "06 55 44 33 22",
    navire = navire, categorie = "peche", immatriculation = "ST 220011",
    longueur = 24, largeur = 7, tirant_air = 14, tirant_eau = 3, personnes_a_bord = 6,
    sens = "vers_mer", ponts = { "sadi_carnot" }, creneau_souhaite = creneau,
  })
end

local function etat(id)
  return regulation:read("ouverture", id).state
end

-- ------------------------------------------------------------------ retard

local oubliee = demande("Saint Pierre", "2026-06-15T05:00")
local planifiee = demande("Sainte Anne", "2026-06-15T05:30")
T.ok(oubliee)
T.ok(planifiee)
T.state(regulation:trigger("ouverture", planifiee.id, "planifier", {
  fields = { creneau_confirme = "2026-06-15T05:30" },
}), "planifiee")

T.advance(1.5) -- mardi 22 h
T.eq(regulation:read("ouverture", oubliee.id).overdue, true, "à planifier sous 1 jour")
T.eq(regulation:read("ouverture", planifiee.id).overdue, false, "planifiée : 7 jours")
local retard = regulation:list("ouverture", { overdue = true })
T.eq(retard.total, 1)
T.eq(retard.records[1].id, oubliee.id)

-- ------------------------------------------------------------------ expiration (3 jours)

T.clock("2026-06-11T07:00:00Z") -- 2 jours et 23 heures après le dépôt
T.eq(T.tick().moved, 0, "pas avant 3 jours")
T.eq(etat(oubliee.id), "demandee")

T.clock("2026-06-11T08:00:00Z") -- jeudi 11 juin, 10 h : 3 jours
T.eq(T.tick().moved, 1, "3 jours sans planification")
T.eq(etat(oubliee.id), "expiree")
T.eq(etat(planifiee.id), "planifiee", "une demande planifiée n'expire pas")
T.eq(T.tick().moved, 0)

local mails = T.mails()
T.eq(#mails, 2, "planification puis expiration")
T.eq(mails[2].to, "marius.fabre@example.org")
T.eq(mails[2].subject, "Demande d'ouverture expirée pour le SAINT PIERRE")
T.truthy(mails[2].body:find("(15/06/2026 05:00) n'a pas pu être planifiée et a expiré", 1, true))
T.eq(mails[2].record_id, oubliee.id)

-- Trop tard pour planifier ou annuler une demande expirée.
T.conflict(regulation:trigger("ouverture", oubliee.id, "planifier", {
  fields = { creneau_confirme = "2026-06-15T05:00" },
}))
T.conflict(armateur:trigger("ouverture", oubliee.id, "annuler"))

-- ------------------------------------------------------------------ conservation (365 jours)

T.state(armateur:trigger("ouverture", planifiee.id, "annuler"), "annulee") -- jeudi 11 juin

T.advance(364) -- l'expirée est close depuis 364 jours
T.eq(T.tick().purged, 0)
T.eq(regulation:read("ouverture", oubliee.id).fields.contact_nom, "Marius Fabre")

T.advance(2)
T.eq(T.tick().purged, 2, "les deux demandes closes depuis plus d'un an")
local p = regulation:read("ouverture", oubliee.id)
T.state(p, "expiree")
T.truthy(p.purged_at)
T.eq(p.fields.contact_nom, nil, "nom effacé")
T.eq(p.fields.contact_email, nil, "courriel effacé")
T.eq(p.fields.telephone_capitaine, nil, "téléphone effacé")
T.eq(p.fields.navire, "SAINT PIERRE", "le navire reste (statistiques)")
T.eq(p.fields.longueur, 24.0)
T.eq(armateur:read("ouverture", planifiee.id).fields.contact_nom, nil)
