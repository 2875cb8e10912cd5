-- Contrôles de saisie : champs obligatoires, bornes et formats, règles propres à
-- l'application (conditionnement, capacité de stockage, Efluelda, département, jours
-- ouvrés et délai de préparation), gardes et champs des transitions, registre des lots.
local T = require("smallapps.test")

T.clock("2026-11-23T10:00:00Z") -- lundi 23 novembre 2026, 11 h à Paris

local centre = T.user("centre1", { "centre" })
local pharmacie = T.user("pharmacie1", { "pharmacie" })

local une_ligne = require("lib.essais").une_ligne

local function commande(changes)
  local f = {
    centre = "Centre de vaccination de Firminy", type_centre = "centre",
    adresse = "Place du Breuil", code_postal = "42700", commune = "42095",
    contact_nom = "Nadia Benali", contact_email = "nadia.benali@example.org",
    contact_telephone = "+33 4 77 40 00 00",
    vaccin = "spikevax", doses = 100, publics = { "tout_public" }, capacite_stockage = 1000,
    date_souhaitee = "2026-11-26",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return une_ligne(f)
end

local function essai(changes)
  return centre:create("commande", commande(changes))
end

-- ------------------------------------------------------------------ champs obligatoires

local vide = centre:create("commande", {})
for _, name in ipairs({ "centre", "type_centre", "adresse", "code_postal", "commune", "contact_nom",
                        "contact_email", "contact_telephone", "lignes", "publics",
                        "capacite_stockage", "date_souhaitee" }) do
  T.invalid(vide, name, "obligatoire", "champ obligatoire : " .. name)
end
T.eq(vide.errors.finess, nil, "FINESS facultatif par défaut")
T.eq(vide.errors.motif_urgence, nil, "motif demandé seulement pour une urgence")

-- FINESS obligatoire pour les officines, établissements et EHPAD, sur 9 chiffres.
T.ok(essai({ type_centre = "cabinet" }), "pas de FINESS pour un cabinet")
T.invalid(essai({ type_centre = "officine" }), "finess", "obligatoire")
T.invalid(essai({ type_centre = "etablissement" }), "finess", "obligatoire")
T.invalid(essai({ type_centre = "ehpad", finess = "42AB00000" }), "finess", "9 chiffres")
T.invalid(essai({ type_centre = "ehpad", finess = "4200000001" }), "finess")
T.ok(essai({ type_centre = "ehpad", finess = "420000789" }))

-- Motif obligatoire pour une commande urgente ; ignoré (non enregistré) sinon.
T.invalid(essai({ urgent = true }), "motif_urgence", "obligatoire")
local cache = essai({ motif_urgence = "texte d'un champ masqué" })
T.ok(cache, "un champ masqué est accepté")
T.eq(cache.fields.motif_urgence, nil, "et n'est pas enregistré")

-- ------------------------------------------------------------------ bornes et formats

T.invalid(essai({ vaccin = "vaxigrip", doses = 5 }), "lignes[1].doses", "au moins 10")
T.invalid(essai({ doses = 5010, capacite_stockage = 10000 }), "lignes[1].doses", "au plus 5")
T.invalid(essai({ doses = "cent" }), "lignes[1].doses", "nombre entier")
T.invalid(essai({ doses = 10.5 }), "lignes[1].doses", "nombre entier")
T.invalid(essai({ capacite_stockage = -1 }), "capacite_stockage", "au moins 0")
T.invalid(essai({ vaccin = "sputnik" }), "lignes[1].vaccin", "options proposées")
-- Une commande tient plusieurs vaccins, une ligne chacun ; une ligne par vaccin.
local deux = essai({ lignes = { { vaccin = "spikevax", doses = 100 }, { vaccin = "comirnaty", doses = 60 } } })
T.ok(deux)
T.eq(deux.fields.doses, 160, "total des lignes")
T.eq(deux.fields.flacons, 20, "10 flacons de Spikevax et 10 de Comirnaty")
T.eq(deux.fields.vaccins, "Spikevax × 100, Comirnaty × 60")
T.invalid(essai({ lignes = { { vaccin = "spikevax", doses = 100 }, { vaccin = "spikevax", doses = 50 } } }),
  "lignes[2].vaccin", "figure déjà à la ligne 1")
T.invalid(essai({ lignes = { { vaccin = "spikevax", doses = 100 }, { vaccin = "comirnaty", doses = 61 } } }),
  "lignes[2].doses", "multiple de 6")
T.invalid(essai({ lignes = {} }), "lignes", "obligatoire")
T.invalid(essai({ type_centre = "hopital" }), "type_centre", "options proposées")
T.invalid(essai({ publics = { "martiens" } }), "publics", "options proposées")
T.invalid(essai({ creneau = "nuit" }), "creneau", "options proposées")
T.invalid(essai({ centre = string.rep("x", 121) }), "centre", "120 caractères")
T.ok(essai({ centre = string.rep("é", 120) }), "longueur comptée en caractères, pas en octets")
T.invalid(essai({ code_postal = "4200" }), "code_postal", "5 chiffres")
T.invalid(essai({ contact_email = "nadia.example.org" }), "contact_email", "adresse électronique")
T.invalid(essai({ contact_telephone = "12 34" }), "contact_telephone", "téléphone")
T.invalid(essai({ site_web = "ftp://rdv.example.org" }), "site_web", "http")
T.ok(essai({ site_web = "https://rdv.example.org/firminy" }))
T.invalid(essai({ siren_gestionnaire = "123456789" }), "siren_gestionnaire", "clé de contrôle")
T.ok(essai({ siren_gestionnaire = "732829320" }))
T.invalid(essai({ date_souhaitee = "2026-11-31" }), "date_souhaitee", "date réelle")

-- ------------------------------------------------------------------ règles de l'application

-- Conditionnement : des flacons entiers.
T.invalid(essai({ doses = 105 }), "lignes[1].doses", "Spikevax contiennent 10 doses : commandez un multiple de 10")
T.invalid(essai({ vaccin = "comirnaty", doses = 100 }), "lignes[1].doses", "multiple de 6")
local c = essai({ vaccin = "comirnaty", doses = 96 })
T.ok(c)
T.eq(c.fields.flacons, 16)
T.eq(essai({ vaccin = "arexvy", doses = 37 }).fields.flacons, 37, "seringues unidoses")

-- Capacité de stockage.
T.invalid(essai({ doses = 600, capacite_stockage = 500 }), "lignes",
  "La commande %(600 doses%) dépasse la capacité de stockage déclarée %(500 doses%)")
T.ok(essai({ doses = 500, capacite_stockage = 500 }), "exactement la capacité")

-- Efluelda réservé aux 65 ans et plus.
T.invalid(essai({ vaccin = "efluelda", doses = 20, publics = { "risque", "soignants" } }), "publics",
  "Efluelda est réservé aux personnes de 65 ans et plus")
T.ok(essai({ vaccin = "efluelda", doses = 20, publics = { "risque", "plus_65" } }))

-- Centres du département seulement.
T.invalid(essai({ commune = "69123" }), "commune", "Loire")
T.invalid(essai({ code_postal = "69003" }), "code_postal",
  "ne livre que les centres situés dans la Loire %(42%)")

-- Livraison un jour ouvré, au moins deux jours ouvrés après la commande (hors urgence).
T.invalid(essai({ date_souhaitee = "2026-11-23" }), "date_souhaitee", "au plus tôt le 24/11/2026")
T.invalid(essai({ date_souhaitee = "2026-11-24" }), "date_souhaitee", "à partir du 25/11/2026")
T.ok(essai({ date_souhaitee = "2026-11-25" }), "deux jours ouvrés après")
T.invalid(essai({ date_souhaitee = "2026-11-28" }), "date_souhaitee", "du lundi au vendredi")
T.invalid(essai({ date_souhaitee = "2026-12-25" }), "date_souhaitee", "hors jours fériés %(Noël%)")
local u = essai({ urgent = true, motif_urgence = "Rupture imminente", date_souhaitee = "2026-11-24" })
T.ok(u, "une urgence peut être livrée le lendemain")
T.eq(u.fields.priorite, "haute")
T.invalid(essai({ urgent = true, motif_urgence = "Rupture", date_souhaitee = "2026-11-28" }),
  "date_souhaitee", "du lundi au vendredi")


-- ------------------------------------------------------------------ valider

local v = essai({ doses = 100 })
T.invalid(pharmacie:trigger("commande", v.id, "valider"), "livraison_prevue", "obligatoire")
T.invalid(pharmacie:trigger("commande", v.id, "valider", { fields = { livraison_prevue = "2026-11-20" } }),
  "livraison_prevue", "au plus tôt le 23/11/2026")
T.invalid(pharmacie:trigger("commande", v.id, "valider", {
  fields = { doses_validees = 0, livraison_prevue = "2026-11-26" },
}), "doses_validees", "au moins 1")
local trop = pharmacie:trigger("commande", v.id, "valider", {
  fields = { doses_validees = 200, livraison_prevue = "2026-11-26" },
})
T.conflict(trop, "garde : pas plus que demandé")
T.eq(trop.message, "Impossible de valider plus que les 100 doses demandées.")
local flacon = pharmacie:trigger("commande", v.id, "valider", {
  fields = { doses_validees = 55, livraison_prevue = "2026-11-26" },
})
T.conflict(flacon, "garde : flacons entiers")
T.eq(flacon.message, "Spikevax : 10 doses par flacon, validez un multiple de 10.")
local samedi = pharmacie:trigger("commande", v.id, "valider", {
  fields = { doses_validees = 50, livraison_prevue = "2026-11-28" },
})
T.conflict(samedi, "garde : jour ouvré")
T.eq(samedi.message, "La livraison prévue doit tomber un jour ouvré.")
-- The person's input is checked before the guard: a bound broken and a date missing are
-- field errors, not the guard's refusal of too many doses.
T.invalid(pharmacie:trigger("commande", v.id, "valider", { fields = { doses_validees = 5001 } }),
  "livraison_prevue", "obligatoire")
T.eq(#T.mails(), 0, "aucun courriel pour une validation refusée")
T.state(pharmacie:trigger("commande", v.id, "valider", {
  fields = { doses_validees = 50, livraison_prevue = "2026-11-27" },
}), "validee")

-- ------------------------------------------------------------------ livrer

T.invalid(pharmacie:trigger("commande", v.id, "livrer", { fields = { numeros_lots = "L1" } }),
  "livree_le", "obligatoire")
T.invalid(pharmacie:trigger("commande", v.id, "livrer", { fields = { livree_le = "2026-11-23" } }),
  "numeros_lots", "obligatoire")
T.invalid(pharmacie:trigger("commande", v.id, "livrer", {
  fields = { livree_le = "2026-11-24", numeros_lots = "L1" },
}), "livree_le", "au plus tard le 23/11/2026")
T.invalid(pharmacie:trigger("commande", v.id, "livrer", {
  fields = { livree_le = "2026-11-23", numeros_lots = string.rep("L", 201) },
}), "numeros_lots", "200 caractères")
T.invalid(pharmacie:trigger("commande", v.id, "livrer", {
  fields = { livree_le = "2026-11-23", numeros_lots = "L1", inconnu = 1 },
}), "inconnu", "inconnu")
local l = pharmacie:trigger("commande", v.id, "livrer", { fields = { livree_le = "2026-11-23", numeros_lots = "L1" } })
T.state(l, "livree")
T.eq(l.fields.delai_jours, 0, "livrée le jour de la commande")

-- Un champ d'une autre transition n'est pas accepté.
T.invalid(centre:trigger("commande", v.id, "receptionner", { fields = { motif_refus = "Autre motif" } }),
  "motif_refus", "ne renseigne pas ce champ")
T.invalid(centre:trigger("commande", v.id, "receptionner", { fields = { reception_conforme = "oui" } }),
  "reception_conforme", "true ou false")

-- ------------------------------------------------------------------ registre des lots

local lot = {
  vaccin = "spikevax", numero_lot = "SPK-2026/041", date_reception = "2026-11-20",
  date_peremption = "2027-05-31", doses_recues = 2000, prix_unitaire = "19,50",
  fournisseur = "laboratoire", conservation = "moins_20",
}
local function lot_avec(changes)
  local f = {}
  for k, v2 in pairs(lot) do f[k] = v2 end
  for k, v2 in pairs(changes) do f[k] = v2 end
  return pharmacie:create("lot", f)
end

local ok = pharmacie:create("lot", lot)
T.ok(ok)
T.eq(ok.fields.prix_unitaire, "19.50", "montant en euros, deux décimales")
local vide_lot = pharmacie:create("lot", {})
for _, name in ipairs({ "vaccin", "numero_lot", "date_reception", "date_peremption", "doses_recues",
                        "fournisseur", "conservation" }) do
  T.invalid(vide_lot, name, "obligatoire", "lot, champ obligatoire : " .. name)
end
T.ok(lot_avec({ prix_unitaire = 0 }), "doses gratuites")
T.invalid(lot_avec({ numero_lot = "SPK 041" }), "numero_lot", "Lettres, chiffres, tirets et barres obliques")
T.invalid(lot_avec({ date_reception = "2026-11-24" }), "date_reception", "au plus tard le 23/11/2026")
T.invalid(lot_avec({ date_peremption = "2026-11-20" }), "date_peremption", "déjà périmé à sa réception")
T.invalid(lot_avec({ date_peremption = "2026-11-01" }), "date_peremption", "déjà périmé")
T.invalid(lot_avec({ doses_recues = 0 }), "doses_recues", "au moins 1")
T.invalid(lot_avec({ prix_unitaire = 501 }), "prix_unitaire", "au plus 500")
T.invalid(lot_avec({ prix_unitaire = "-1" }), "prix_unitaire", "au moins 0")
T.invalid(lot_avec({ conservation = "ambiante" }), "conservation", "options proposées")

-- ------------------------------------------------------------------ délai compté depuis la commande

-- Le délai de préparation se compte depuis la commande, pas depuis la modification.
local r = essai({ date_souhaitee = "2026-11-25" })
T.advance(1) -- mardi 24
T.ok(centre:edit("commande", r.id, { commentaire = "Sonner à l'accueil" }),
  "une commande reste valable le lendemain de son dépôt")
T.invalid(centre:edit("commande", r.id, une_ligne({ vaccin = "spikevax", doses = 105 })), "lignes[1].doses",
  "multiple de 10")
