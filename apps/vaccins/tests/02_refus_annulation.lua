-- Issues autres que la livraison : refus par la pharmacie (d'une commande soumise
-- ou déjà validée, motif et commentaire obligatoires, courriel au centre) et
-- annulation par le centre avant validation (sans courriel).
local T = require("smallapps.test")

T.clock("2026-11-23T10:00:00Z") -- lundi 23 novembre 2026

local centre = T.user("centre1", { "centre" })
local pharmacie = T.user("pharmacie1", { "pharmacie" })

local une_ligne = require("lib.essais").une_ligne

local function commande(changes)
  local f = {
    centre = "EHPAD Les Tilleuls", type_centre = "ehpad", finess = "420000123",
    adresse = "5 avenue de Paris", code_postal = "42300", commune = "42187",
    contact_nom = "Marc Durand", contact_email = "m.durand@example.org",
    contact_telephone = "04 77 23 45 67",
    vaccin = "comirnaty", doses = 60, publics = { "residents" }, capacite_stockage = 200,
    date_souhaitee = "2026-11-27",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return une_ligne(f)
end

-- ------------------------------------------------------------------ refus d'une commande soumise

local a = centre:create("commande", commande())
T.ok(a)
T.eq(a.fields.flacons, 10, "60 doses de Comirnaty : 10 flacons de 6")

-- Le motif et le commentaire sont obligatoires.
T.invalid(pharmacie:trigger("commande", a.id, "refuser", { fields = { motif_refus = "Rupture de stock" } }),
  "_comment", "obligatoire")
T.invalid(pharmacie:trigger("commande", a.id, "refuser", { comment = "Plus de stock" }),
  "motif_refus", "obligatoire")
T.invalid(pharmacie:trigger("commande", a.id, "refuser", {
  fields = { motif_refus = "Il pleut" }, comment = "Plus de stock",
}), "motif_refus", "options proposées")
T.eq(#T.mails(), 0, "un refus invalide n'envoie rien")

local ra = pharmacie:trigger("commande", a.id, "refuser", {
  fields = { motif_refus = "Rupture de stock" }, comment = "Livraison nationale reportée",
})
T.state(ra, "refusee")
T.eq(ra.fields.motif_refus, "Rupture de stock")

local mails = T.mails()
T.eq(#mails, 1)
T.eq(mails[1].to, "m.durand@example.org")
T.eq(mails[1].subject, "Commande " .. a.fields.reference .. " refusée")
T.truthy(mails[1].body:find("Motif : Rupture de stock.", 1, true))
T.truthy(mails[1].body:find("(60 doses, centre EHPAD Les Tilleuls)", 1, true))

-- ------------------------------------------------------------------ refus d'une commande validée

local b = centre:create("commande", commande({ doses = 120, capacite_stockage = 200 }))
T.state(pharmacie:trigger("commande", b.id, "valider", { fields = { livraison_prevue = "2026-11-27" } }),
  "validee")
local rb = pharmacie:trigger("commande", b.id, "refuser", {
  fields = { motif_refus = "Commande en double" }, comment = "Déjà commandé sous le n° " .. a.id,
})
T.state(rb, "refusee")
mails = T.mails()
T.eq(#mails, 3, "validation puis refus")
T.eq(mails[3].subject, "Commande " .. b.fields.reference .. " refusée")
T.truthy(mails[3].body:find("Motif : Commande en double.", 1, true))

-- Une commande refusée ne peut plus être livrée ni annulée.
T.conflict(pharmacie:trigger("commande", b.id, "livrer", {
  fields = { livree_le = "2026-11-23", numeros_lots = "X" },
}))
T.conflict(centre:trigger("commande", b.id, "annuler"))

-- ------------------------------------------------------------------ annulation par le centre

local c = centre:create("commande", commande({ vaccin = "vaxigrip", doses = 30, publics = { "plus_65" } }))
local ac = centre:trigger("commande", c.id, "annuler", { comment = "Doses reçues d'un autre centre" })
T.state(ac, "annulee")
T.eq(#T.mails(), 3, "pas de courriel à l'annulation")

-- Le commentaire est facultatif.
local d = centre:create("commande", commande({ vaccin = "abrysvo", doses = 10, publics = { "enceintes" } }))
T.state(centre:trigger("commande", d.id, "annuler"), "annulee")

-- Une fois validée, la commande ne s'annule plus : seule la pharmacie peut la refuser.
local e = centre:create("commande", commande())
T.state(pharmacie:trigger("commande", e.id, "valider", { fields = { livraison_prevue = "2026-11-27" } }),
  "validee")
T.conflict(centre:trigger("commande", e.id, "annuler"))

-- Les états finaux dans les listes.
T.eq(pharmacie:list("commande", { state = "refusee" }).total, 2)
T.eq(pharmacie:list("commande", { state = "annulee" }).total, 2)
T.eq(centre:list("commande", { state = "annulee" }).total, 2)
