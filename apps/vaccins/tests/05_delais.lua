-- Le temps qui passe : commandes en retard (due_days des états), réception réputée
-- conforme 7 jours après la livraison (transition automatique du planificateur) et
-- effacement des données personnelles 730 jours après la clôture (conservation).
local T = require("smallapps.test")

T.clock("2026-11-23T10:00:00Z") -- lundi 23 novembre 2026

local centre = T.user("centre1", { "centre" })
local pharmacie = T.user("pharmacie1", { "pharmacie" })

local une_ligne = require("lib.essais").une_ligne

local function commande(changes)
  local f = {
    centre = "Officine du Marais", type_centre = "officine", finess = "420001234",
    adresse = "12 rue de la République", code_postal = "42400", commune = "42207",
    contact_nom = "Luc Moreau", contact_email = "luc.moreau@example.org",
    contact_telephone = "04 77 31 00 00",
    vaccin = "vaxigrip", doses = 40, publics = { "plus_65" }, capacite_stockage = 100,
    date_souhaitee = "2026-11-26",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return une_ligne(f)
end

local function etat(id)
  return pharmacie:read("commande", id).state
end

-- ------------------------------------------------------------------ commandes en retard

local attente = centre:create("commande", commande())
local livree = centre:create("commande", commande())
T.state(pharmacie:trigger("commande", livree.id, "valider", { fields = { livraison_prevue = "2026-11-26" } }),
  "validee")
T.eq(attente.overdue, false)
T.eq(pharmacie:list("commande", { overdue = true }).total, 0)

T.advance(2.5) -- mercredi 25, 23 h : soumise depuis plus de 2 jours
T.eq(pharmacie:read("commande", attente.id).overdue, true, "soumise depuis plus de 2 jours")
T.eq(pharmacie:read("commande", livree.id).overdue, false, "validée depuis moins de 5 jours")
local retard = pharmacie:list("commande", { overdue = true })
T.eq(retard.total, 1)
T.eq(retard.records[1].id, attente.id)
T.eq(centre:list("commande", { overdue = true }).total, 1, "le centre voit aussi ses commandes en retard")

-- Une transition remet le compteur à zéro.
T.state(pharmacie:trigger("commande", attente.id, "valider", { fields = { livraison_prevue = "2026-11-27" } }),
  "validee")
T.eq(pharmacie:list("commande", { overdue = true }).total, 0)

-- ------------------------------------------------------------------ réception tacite

T.advance(0.5) -- jeudi 26 novembre, 10 h UTC
T.state(pharmacie:trigger("commande", livree.id, "livrer", {
  fields = { livree_le = "2026-11-26", numeros_lots = "VXG-88" },
}), "livree")
T.state(pharmacie:trigger("commande", attente.id, "livrer", {
  fields = { livree_le = "2026-11-26", numeros_lots = "VXG-89" },
}), "livree")
T.state(centre:trigger("commande", attente.id, "receptionner"), "receptionnee", "réception confirmée")

T.advance(6.9)
T.eq(T.tick().moved, 0, "pas avant 7 jours")
T.eq(etat(livree.id), "livree")

T.advance(0.1) -- 7 jours après la livraison
T.eq(T.tick().moved, 1)
T.eq(etat(livree.id), "receptionnee", "réception réputée conforme")
T.eq(T.tick().moved, 0, "le planificateur ne repasse pas")
T.conflict(centre:trigger("commande", livree.id, "receptionner"), "trop tard pour confirmer")
T.eq(#T.mails(), 4, "deux validations et deux livraisons ; rien à la réception tacite")

-- ------------------------------------------------------------------ conservation (730 jours)

local encours = centre:create("commande", commande({ date_souhaitee = "2026-12-07" }))
T.ok(encours, "une commande jamais traitée, qui n'est pas close")

-- La commande réceptionnée le 26 novembre est close depuis plus de 730 jours,
-- celle réceptionnée tacitement le 3 décembre pas encore.
T.advance(729)
T.eq(T.tick().purged, 1)
T.eq(pharmacie:read("commande", attente.id).fields.contact_nom, nil)
T.eq(pharmacie:read("commande", livree.id).fields.contact_nom, "Luc Moreau", "close depuis 729 jours")

T.advance(2)
T.eq(T.tick().purged, 1, "close depuis 731 jours")
local p = pharmacie:read("commande", livree.id)
T.state(p, "receptionnee")
T.truthy(p.purged_at, "date d'effacement")
T.eq(p.fields.contact_nom, nil, "nom effacé")
T.eq(p.fields.contact_email, nil, "courriel effacé")
T.eq(p.fields.contact_telephone, nil, "téléphone effacé")
T.eq(p.fields.doses, 40, "les autres valeurs restent (statistiques)")
T.eq(p.fields.centre, "Officine du Marais")

local e = pharmacie:read("commande", encours.id)
T.eq(e.purged_at, nil, "une commande non close n'est pas effacée")
T.eq(e.fields.contact_nom, "Luc Moreau")
T.eq(T.tick().purged, 0, "un enregistrement n'est effacé qu'une fois")
