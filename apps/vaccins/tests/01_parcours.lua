-- Parcours nominal d'une commande de doses : saisie par un centre, validation par la
-- pharmacie (quantité ajustée ou non), livraison, réception confirmée par le centre.
-- Vérifie les états, les champs calculés (référence, flacons, priorité, délai) et les
-- courriels envoyés au contact du centre.
local T = require("smallapps.test")

T.clock("2026-11-23T10:00:00Z") -- lundi 23 novembre 2026, 11 h à Paris

local centre = T.user("centre1", { "centre" })
local pharmacie = T.user("pharmacie1", { "pharmacie" })

-- Une commande complète et valable ; `changes` remplace quelques champs.

local une_ligne = require("lib.essais").une_ligne

local function commande(changes)
  local f = {
    centre = "Centre de vaccination de Saint-Étienne Centre-Deux",
    type_centre = "centre",
    adresse = "2 rue des Docteurs-Charcot",
    code_postal = "42100",
    commune = "42218",
    contact_nom = "Jeanne Martin",
    contact_email = "jeanne.martin@example.org",
    contact_telephone = "04 77 12 34 56",
    vaccin = "spikevax",
    doses = 100,
    publics = { "plus_65", "risque" },
    capacite_stockage = 500,
    date_souhaitee = "2026-11-26", -- jeudi : deux jours ouvrés après la commande
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return une_ligne(f)
end

local function dernier_courriel()
  local mails = T.mails()
  return mails[#mails]
end

-- ------------------------------------------------------------------ dépôt

local r = centre:create("commande", commande())
T.ok(r)
T.state(r, "soumise")
T.truthy(r.fields.reference:match("^CMD%-20261123%-[A-HJ-NP-Z2-9][A-HJ-NP-Z2-9][A-HJ-NP-Z2-9][A-HJ-NP-Z2-9]"
  .. "%-[A-HJ-NP-Z2-9][A-HJ-NP-Z2-9][A-HJ-NP-Z2-9][A-HJ-NP-Z2-9]$"),
  "référence CMD-AAAAMMJJ-XXXX-XXXX, sans I, O, 0 ni 1")
T.eq(r.fields.flacons, 10, "100 doses de Spikevax : 10 flacons de 10")
T.eq(r.fields.priorite, "normale", "commande non urgente")
T.eq(r.fields.creneau, "matin", "créneau par défaut")
T.eq(r.fields.urgent, false)
T.eq(r.fields.contact_telephone, "+33477123456", "téléphone enregistré en E.164")
T.eq(r.created_by, "centre1")
T.eq(#T.mails(), 0, "aucun courriel au dépôt")

-- Le centre peut encore modifier sa commande soumise : les flacons suivent.
local m = centre:edit("commande", r.id, une_ligne({ vaccin = "spikevax", doses = 120 }))
T.ok(m)
T.eq(m.fields.flacons, 12)
T.state(m, "soumise")

-- Une commande urgente est préparée en priorité haute.
local urgente = centre:create("commande", commande({
  urgent = true, motif_urgence = "Cas groupés à l'EHPAD voisin", date_souhaitee = "2026-11-24",
}))
T.ok(urgente)
T.eq(urgente.fields.priorite, "haute")

-- ------------------------------------------------------------------ validation

-- La pharmacie valide une quantité réduite, avec un commentaire.
local v = pharmacie:trigger("commande", r.id, "valider", {
  fields = { doses_validees = 60, livraison_prevue = "2026-11-26" },
  comment = "Stock limité cette semaine",
})
T.state(v, "validee")
T.eq(v.fields.doses_validees, 60)
T.eq(v.fields.doses, 120, "la quantité demandée est conservée")
T.eq(v.fields.livraison_prevue, "2026-11-26")

local mails = T.mails()
T.eq(#mails, 1, "un courriel à la validation")
T.eq(mails[1].to, "jeanne.martin@example.org")
T.eq(mails[1].subject, "Commande " .. r.fields.reference .. " validée — 60 doses")
T.eq(mails[1].form, "commande")
T.eq(mails[1].record_id, r.id)
T.truthy(mails[1].body:find("60 doses (demandées : 120)", 1, true), "quantités dans le courriel")
T.truthy(mails[1].body:find("Livraison prévue le 26/11/2026, créneau : Matin (8 h – 12 h).", 1, true),
  "date et créneau mis en forme")

-- Sans « doses validées », c'est la quantité demandée qui est validée.
local vu = pharmacie:trigger("commande", urgente.id, "valider", { fields = { livraison_prevue = "2026-11-24" } })
T.state(vu, "validee")
T.eq(vu.fields.doses_validees, 100)
T.eq(dernier_courriel().subject, "Commande " .. urgente.fields.reference .. " validée — 100 doses")

-- ------------------------------------------------------------------ livraison

T.advance(3) -- jeudi 26 novembre

local l = pharmacie:trigger("commande", r.id, "livrer", {
  fields = { livree_le = "2026-11-26", numeros_lots = "SPK-2026/041, SPK-2026/042" },
})
T.state(l, "livree")
T.eq(l.fields.delai_jours, 3, "délai commande → livraison")
T.eq(l.fields.numeros_lots, "SPK-2026/041, SPK-2026/042")

local ml = dernier_courriel()
T.eq(#T.mails(), 3)
T.eq(ml.to, "jeanne.martin@example.org")
T.eq(ml.subject, "Commande " .. r.fields.reference .. " livrée")
T.truthy(ml.body:find("Les 60 doses de la commande " .. r.fields.reference .. " ont été livrées", 1, true))
T.truthy(ml.body:find("(lots : SPK-2026/041, SPK-2026/042)", 1, true))

-- ------------------------------------------------------------------ réception

-- Le centre confirme la réception et signale un défaut.
local rc = centre:trigger("commande", r.id, "receptionner", {
  fields = { reception_conforme = false }, comment = "Deux flacons cassés à l'arrivée",
})
T.state(rc, "receptionnee")
T.eq(rc.fields.reception_conforme, false)
T.eq(#T.mails(), 3, "pas de courriel à la réception")

-- Une commande réceptionnée est close : plus aucune transition.
T.conflict(pharmacie:trigger("commande", r.id, "refuser", {
  fields = { motif_refus = "Autre motif" }, comment = "trop tard",
}))
T.forbidden(centre:edit("commande", r.id, { commentaire = "merci" }), "état final : plus de modification")

-- Les listes par état.
T.eq(pharmacie:list("commande", { state = "receptionnee" }).total, 1)
T.eq(pharmacie:list("commande", { state = "validee" }).total, 1)
T.eq(centre:list("commande", { urgent = true }).total, 1)
