-- Règles d'accès : qui peut commander, cloisonnement entre centres (lecture, listes,
-- modification), note interne réservée à la pharmacie, champs réservés, transitions
-- réservées à un rôle ou à l'auteur, séparation des tâches, suppression, et registre
-- des lots réservé à la pharmacie.
local T = require("smallapps.test")

T.clock("2026-11-23T10:00:00Z") -- lundi 23 novembre 2026

local centre1 = T.user("centre1", { "centre" })
local centre2 = T.user("centre2", { "centre" })
local pharmacie1 = T.user("pharmacie1", { "pharmacie" })
-- Préparateur qui commande aussi pour le centre de vaccination de l'hôpital.
local pharmacie2 = T.user("pharmacie2", { "pharmacie", "centre" })
local sans_role = T.user("visiteur", {})
local anonyme = T.anonymous()
local admin = T.admin("root")

local une_ligne = require("lib.essais").une_ligne

local function commande(changes)
  local f = {
    centre = "Centre de vaccination de Montbrison", type_centre = "centre",
    adresse = "1 place de l'Hôtel-de-Ville", code_postal = "42600", commune = "42147",
    contact_nom = "Claire Petit", contact_email = "claire.petit@example.org",
    contact_telephone = "04 77 96 00 00",
    vaccin = "influvac", doses = 50, publics = { "plus_65" }, capacite_stockage = 300,
    date_souhaitee = "2026-11-26",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return une_ligne(f)
end

-- ------------------------------------------------------------------ qui peut commander

local r1 = centre1:create("commande", commande())
T.ok(r1, "un centre commande")
T.forbidden(pharmacie1:create("commande", commande()), "la pharmacie seule ne commande pas")
T.forbidden(sans_role:create("commande", commande()), "un compte sans rôle ne commande pas")
T.forbidden(anonyme:create("commande", commande()), "il faut être connecté")
local r2 = centre2:create("commande", commande({ centre = "Cabinet infirmier de Feurs", type_centre = "cabinet",
  code_postal = "42110", commune = "42094" }))
T.ok(r2)

-- ------------------------------------------------------------------ cloisonnement entre centres

T.ok(centre1:read("commande", r1.id))
T.not_found(centre1:read("commande", r2.id), "la commande d'un autre centre n'existe pas pour lui")
T.not_found(centre2:read("commande", r1.id))
T.not_found(centre2:edit("commande", r1.id, { doses = 10 }))
T.not_found(centre2:trigger("commande", r1.id, "annuler"))
T.not_found(centre2:delete("commande", r1.id))
T.not_found(sans_role:read("commande", r1.id))
T.not_found(anonyme:read("commande", r1.id))

local l1 = centre1:list("commande")
T.eq(l1.total, 1, "un centre ne liste que ses commandes")
T.eq(l1.records[1].id, r1.id)
T.eq(centre2:list("commande").records[1].id, r2.id)
T.eq(pharmacie1:list("commande").total, 2, "la pharmacie voit toutes les commandes")
T.eq(admin:list("commande").total, 2)
T.eq(#sans_role:list("commande").records, 0)
T.eq(#anonyme:list("commande").records, 0)
T.ok(pharmacie1:read("commande", r2.id))
T.ok(admin:read("commande", r2.id))

-- ------------------------------------------------------------------ note interne et champs réservés

local n = pharmacie1:edit("commande", r1.id, { note_interne = "Rappeler le centre : stock faible", priorite = "haute" })
T.ok(n, "la pharmacie annote et change la priorité")
T.eq(n.fields.note_interne, "Rappeler le centre : stock faible")
T.eq(n.fields.priorite, "haute")

local vu = centre1:read("commande", r1.id)
T.eq(vu.fields.note_interne, nil, "la note interne n'est pas transmise au centre")
T.eq(vu.fields.priorite, "haute", "la priorité est visible du centre")
T.eq(centre1:list("commande").records[1].fields.note_interne, nil, "ni dans sa liste")
T.eq(pharmacie1:read("commande", r1.id).fields.note_interne, "Rappeler le centre : stock faible")

T.invalid(centre1:edit("commande", r1.id, { note_interne = "lu" }), "note_interne")
T.invalid(centre1:edit("commande", r1.id, { priorite = "normale" }), "priorite", "pas modifier ce champ")
T.invalid(centre1:edit("commande", r1.id, { reference = "CMD-1" }), "reference", "pas modifier ce champ")
T.invalid(pharmacie1:edit("commande", r1.id, { reference = "CMD-1" }), "reference", "pas modifier ce champ")
T.invalid(centre1:edit("commande", r1.id, { flacons = 3 }), "flacons", "pas modifier ce champ")
T.invalid(centre1:edit("commande", r1.id, { delai_jours = 0 }), "delai_jours", "pas modifier ce champ")
T.invalid(centre1:create("commande", commande({ priorite = "haute" })), "priorite", "pas modifier ce champ")
-- Les champs de transition ne se remplissent qu'en déclenchant la transition.
T.invalid(centre1:edit("commande", r1.id, { doses_validees = 10 }), "doses_validees")
T.invalid(pharmacie1:trigger("commande", r1.id, "valider", {
  fields = { doses = 10, livraison_prevue = "2026-11-26" },
}), "doses", "ne renseigne pas ce champ")

-- ------------------------------------------------------------------ modification selon l'état

T.ok(centre1:edit("commande", r1.id, { commentaire = "Livrer par l'entrée du parking" }),
  "l'auteur modifie sa commande soumise")
T.ok(pharmacie1:edit("commande", r1.id, { creneau = "apres_midi" }), "la pharmacie aussi")

-- ------------------------------------------------------------------ transitions réservées

T.forbidden(centre1:trigger("commande", r1.id, "valider", { fields = { livraison_prevue = "2026-11-26" } }),
  "un centre ne valide pas")
T.forbidden(centre1:trigger("commande", r1.id, "refuser", {
  fields = { motif_refus = "Autre motif" }, comment = "finalement non",
}), "un centre ne refuse pas")
T.forbidden(pharmacie1:trigger("commande", r1.id, "annuler"), "seul l'auteur annule")
T.forbidden(pharmacie1:trigger("commande", r1.id, "reception_tacite"),
  "une transition automatique ne se déclenche pas à la main")

T.state(pharmacie1:trigger("commande", r1.id, "valider", { fields = { livraison_prevue = "2026-11-26" } }),
  "validee")
T.conflict(pharmacie1:trigger("commande", r1.id, "valider", { fields = { livraison_prevue = "2026-11-26" } }),
  "déjà validée")
T.forbidden(centre1:edit("commande", r1.id, { commentaire = "encore" }), "validée : seule la pharmacie modifie")
T.ok(pharmacie1:edit("commande", r1.id, { note_interne = "Préparée" }))
T.forbidden(centre1:trigger("commande", r1.id, "livrer", {
  fields = { livree_le = "2026-11-23", numeros_lots = "L1" },
}), "un centre ne marque pas livré")
T.conflict(centre1:trigger("commande", r1.id, "receptionner"), "pas encore livrée")

T.state(pharmacie1:trigger("commande", r1.id, "livrer", {
  fields = { livree_le = "2026-11-23", numeros_lots = "INF-77" },
}), "livree")
T.forbidden(pharmacie1:trigger("commande", r1.id, "receptionner"), "seul le centre auteur confirme la réception")
T.not_found(centre2:trigger("commande", r1.id, "receptionner"), "un autre centre ne voit pas la commande")
T.state(centre1:trigger("commande", r1.id, "receptionner"), "receptionnee")
-- a transition field left out takes its default, as on a create
T.eq(centre1:read("commande", r1.id).fields.reception_conforme, true)

-- ------------------------------------------------------------------ séparation des tâches

local h = pharmacie2:create("commande", commande({
  centre = "Centre hospitalier de Roanne", type_centre = "etablissement", finess = "420000456",
  code_postal = "42300", commune = "42187",
}))
T.ok(h, "pharmacie2 commande pour l'hôpital")
local auto = pharmacie2:trigger("commande", h.id, "valider", { fields = { livraison_prevue = "2026-11-26" } })
T.forbidden(auto, "on ne valide pas sa propre commande")
T.truthy(auto.message and auto.message:find("séparation des tâches", 1, true), "le refus dit pourquoi")
T.state(pharmacie1:trigger("commande", h.id, "valider", { fields = { livraison_prevue = "2026-11-26" } }),
  "validee", "un autre pharmacien valide")

-- ------------------------------------------------------------------ suppression

T.forbidden(centre2:delete("commande", r2.id), "un centre ne supprime pas")
T.ok(pharmacie1:delete("commande", r2.id), "la pharmacie supprime")
T.not_found(pharmacie1:read("commande", r2.id))
T.not_found(centre2:read("commande", r2.id))
T.eq(centre2:list("commande").total, 0)

-- ------------------------------------------------------------------ registre des lots

local lot = {
  vaccin = "influvac", numero_lot = "INF-2026/77", date_reception = "2026-11-20",
  date_peremption = "2027-06-30", doses_recues = 5000, fournisseur = "spf", conservation = "2_8",
}
local l = pharmacie1:create("lot", lot)
T.ok(l, "la pharmacie tient le registre")
T.forbidden(centre1:create("lot", lot), "un centre n'enregistre pas de lot")
T.forbidden(anonyme:create("lot", lot))
T.not_found(centre1:read("lot", l.id), "ni ne les lit")
T.eq(#centre1:list("lot").records, 0)
T.not_found(centre1:edit("lot", l.id, { remarques = "vu" }))
T.not_found(centre1:delete("lot", l.id))
local le = pharmacie1:edit("lot", l.id, { remarques = "Carton légèrement abîmé" })
T.ok(le, "registre modifiable par la pharmacie (formulaire sans workflow)")
T.eq(le.state, nil, "pas d'état sans workflow")
T.eq(pharmacie1:list("lot", { vaccin = "influvac" }).total, 1)
T.ok(pharmacie1:delete("lot", l.id))
T.not_found(pharmacie1:read("lot", l.id))
