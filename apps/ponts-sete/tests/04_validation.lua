-- Contrôles de saisie : champs obligatoires et conditionnels (OMI, immatriculation,
-- classes IMDG), bornes et formats, règles propres à l'application (clé OMI, largeur,
-- ouverture inutile, prévenance de 24 h), champs et gardes des transitions.
local T = require("smallapps.test")

T.clock("2026-06-08T08:00:00Z") -- lundi 8 juin 2026, 10 h à Sète

local armateur = T.user("armateur1", { "armateur" })
local regulation = T.user("regulation1", { "regulation" })

local function demande(changes)
  local f = {
    societe = "Transports Maritimes du Golfe", siret = "73282932000074",
    contact_nom = "Sophie Marty", contact_email = "sophie.marty@example.org",
    telephone_capitaine = "04 67 00 11 22",
    navire = "Golfe du Lion", categorie = "commerce", imo = "9074729",
    longueur = 89.95, largeur = 13.2, tirant_air = 24, tirant_eau = 5.4, personnes_a_bord = 11,
    sens = "vers_etang", ponts = { "victoire", "tivoli", "gare", "sadi_carnot", "foch" },
    creneau_souhaite = "2026-06-10T06:00",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return f
end

local function essai(changes)
  return armateur:create("ouverture", demande(changes))
end

-- ------------------------------------------------------------------ champs obligatoires

T.ok(essai(), "la demande de référence est valable")

-- Ship names in capitals, accents included ("Sirène" once became "SIRèNE").
local sirene = essai({ navire = "Sirène d'Œrsted" })
T.ok(sirene)
T.eq(sirene.fields.navire, "SIRÈNE D'ŒRSTED")

local vide = armateur:create("ouverture", {})
for _, name in ipairs({ "societe", "siret", "contact_nom", "contact_email", "telephone_capitaine", "navire",
                        "categorie", "longueur", "largeur", "tirant_air", "tirant_eau", "personnes_a_bord",
                        "sens", "ponts", "creneau_souhaite" }) do
  T.invalid(vide, name, "obligatoire", "champ obligatoire : " .. name)
end

-- Numéro OMI pour le commerce, les passagers et les travaux ; immatriculation pour les autres.
T.invalid(essai({ imo = "" }), "imo", "obligatoire")
T.invalid(essai({ categorie = "passagers", imo = "" }), "imo", "obligatoire")
T.invalid(essai({ categorie = "travaux", imo = "" }), "imo", "obligatoire")
T.invalid(essai({ categorie = "peche", imo = "" }), "immatriculation", "obligatoire")
T.invalid(essai({ categorie = "plaisance_pro", imo = "" }), "immatriculation", "obligatoire")
T.ok(essai({ categorie = "autre", imo = "" }), "ni l'un ni l'autre pour « autre »")

-- Classes IMDG demandées seulement pour des matières dangereuses.
T.invalid(essai({ matieres_dangereuses = true }), "classe_imdg", "obligatoire")
T.invalid(essai({ matieres_dangereuses = true, classe_imdg = { "3", "10" } }), "classe_imdg", "options proposées")
local md = essai({ matieres_dangereuses = true, classe_imdg = { "3", "8" } })
T.ok(md)
T.eq(md.fields.classe_imdg, { "3", "8" })
local sans = essai({ classe_imdg = { "1" } })
T.ok(sans, "classes IMDG masquées sans matières dangereuses")
T.eq(sans.fields.classe_imdg, nil, "et non enregistrées")

-- ------------------------------------------------------------------ bornes et formats

T.invalid(essai({ siret = "73282932000075" }), "siret", "clé de contrôle")
T.invalid(essai({ contact_email = "sophie.marty" }), "contact_email", "adresse électronique")
T.invalid(essai({ telephone_capitaine = "0467" }), "telephone_capitaine", "téléphone")
T.invalid(essai({ suivi_ais = "www.marinetraffic.example" }), "suivi_ais", "http")
T.ok(essai({ suivi_ais = "https://www.marinetraffic.example/navire/9074729" }))
T.invalid(essai({ imo = "IMO9074729" }), "imo", "7 caractères")
T.invalid(essai({ imo = "907472A" }), "imo", "7 chiffres, sans le préfixe")
T.invalid(essai({ categorie = "yacht" }), "categorie", "options proposées")
T.invalid(essai({ pavillon = "DE" }), "pavillon", "options proposées")
T.invalid(essai({ sens = "amont" }), "sens", "options proposées")
T.invalid(essai({ ponts = { "pont_neuf" } }), "ponts", "options proposées")
T.invalid(essai({ longueur = 2.5, largeur = 1 }), "longueur", "au moins 3")
T.invalid(essai({ longueur = 161 }), "longueur", "au plus 160")
T.invalid(essai({ longueur = 89.955 }), "longueur", "au plus 2 chiffres après la virgule")
T.invalid(essai({ largeur = 31 }), "largeur", "au plus 30")
T.invalid(essai({ tirant_air = 61 }), "tirant_air", "au plus 60")
T.invalid(essai({ tirant_eau = 0.1 }), "tirant_eau", "au moins 0,2")
T.invalid(essai({ tirant_eau = 8.5 }), "tirant_eau", "au plus 8")
T.invalid(essai({ personnes_a_bord = 0 }), "personnes_a_bord", "au moins 1")
T.invalid(essai({ personnes_a_bord = 1501 }), "personnes_a_bord", "au plus 1")
T.invalid(essai({ personnes_a_bord = 2.5 }), "personnes_a_bord", "nombre entier")
T.invalid(essai({ navire = string.rep("N", 61) }), "navire", "60 caractères")
T.invalid(essai({ creneau_souhaite = "demain matin" }), "creneau_souhaite")

-- ------------------------------------------------------------------ règles de l'application

-- Clé de contrôle du numéro OMI.
T.invalid(essai({ imo = "9074728" }), "imo", "Ce numéro OMI n'est pas valide %(clé de contrôle erronée%)")

-- Largeur inférieure à la longueur.
T.invalid(essai({ largeur = 12, longueur = 12 }), "largeur", "La largeur doit être inférieure à la longueur")

-- Inutile d'ouvrir pour un navire qui passe sous les ponts fermés.
T.invalid(essai({ tirant_air = 1.6, ponts = { "gare", "tivoli" } }), "tirant_air",
  "Avec 1,60 m de tirant d'air, le navire passe sous les ponts fermés %(1,77 m sous le Pont de la Gare%)")
local foch = essai({ tirant_air = 1.6, ponts = { "foch" } })
T.ok(foch, "mais pas sous le pont Maréchal-Foch (1,50 m)")
T.eq(foch.fields.ouverture_necessaire, true)
T.ok(essai({ tirant_air = 1.77, ponts = { "gare" } }), "tirant d'air égal : ouverture nécessaire")

-- Prévenance de 24 heures (lundi 10 h à Sète).
T.invalid(essai({ creneau_souhaite = "2026-06-09T09:59" }), "creneau_souhaite",
  "au moins 24 heures avant le passage")
T.ok(essai({ creneau_souhaite = "2026-06-09T10:00" }), "exactement 24 heures")
T.invalid(essai({ creneau_souhaite = "2026-06-07T10:00" }), "creneau_souhaite", "au plus tôt le 08/06/2026")
local utc = essai({ creneau_souhaite = "2026-06-10T04:00:00Z" })
T.ok(utc, "une heure UTC est acceptée")
T.eq(utc.fields.creneau_souhaite, "2026-06-10T06:00:00", "et enregistrée en heure de Sète")

-- ------------------------------------------------------------------ transitions

local t = essai({ creneau_souhaite = "2026-06-09T11:00" })
local r = essai({ creneau_souhaite = "2026-06-10T08:00" }) -- modifiée plus bas

-- planifier
T.invalid(regulation:trigger("ouverture", t.id, "planifier"), "creneau_confirme", "obligatoire")
T.invalid(regulation:trigger("ouverture", t.id, "planifier", { fields = { creneau_confirme = "2026-06-07T08:00" } }),
  "creneau_confirme", "au plus tôt le 08/06/2026")
T.invalid(regulation:trigger("ouverture", t.id, "planifier", {
  fields = { creneau_confirme = "2026-06-09T11:00", vent_kn = 3 },
}), "vent_kn", "ne renseigne pas ce champ")
T.state(regulation:trigger("ouverture", t.id, "planifier", { fields = { creneau_confirme = "2026-06-09T11:00" } }),
  "planifiee")

-- replanifier : commentaire obligatoire
T.invalid(regulation:trigger("ouverture", t.id, "replanifier", { fields = { creneau_confirme = "2026-06-09T11:30" } }),
  "_comment", "obligatoire")

-- confirmer : vent relevé, obligatoire et borné ; au-delà de 35 nœuds, pas de manœuvre.
T.invalid(regulation:trigger("ouverture", t.id, "confirmer"), "vent_kn", "obligatoire")
T.invalid(regulation:trigger("ouverture", t.id, "confirmer", { fields = { vent_kn = -1 } }), "vent_kn", "au moins 0")
local vent = regulation:trigger("ouverture", t.id, "confirmer", { fields = { vent_kn = 36 } })
T.conflict(vent)
T.eq(vent.message, "Vent de 36 nœuds : au-delà de 35 nœuds, les ponts ne sont pas manœuvrés. Changez de créneau.")
T.state(regulation:trigger("ouverture", t.id, "confirmer", { fields = { vent_kn = 35 } }), "confirmee",
  "35 nœuds : manœuvre possible")

-- consigner le passage : heure obligatoire, au plus tard demain.
T.clock("2026-06-09T09:15:00Z") -- mardi 9 juin, 11 h 15 à Sète
T.invalid(regulation:trigger("ouverture", t.id, "consigner_passage"), "heure_passage", "obligatoire")
T.invalid(regulation:trigger("ouverture", t.id, "consigner_passage", {
  fields = { heure_passage = "2026-06-11T08:00" },
}), "heure_passage", "au plus tard le 10/06/2026")
local pa = regulation:trigger("ouverture", t.id, "consigner_passage", {
  fields = { heure_passage = "2026-06-09T10:50" },
})
T.state(pa, "passee")
T.eq(pa.fields.ecart_minutes, -10, "passé 10 minutes en avance")

-- ------------------------------------------------------------------ prévenance comptée depuis le dépôt

-- r, déposée lundi pour mercredi 8 h, est à moins de 24 heures de son créneau : elle
-- reste modifiable, le délai se comptant depuis le dépôt.
T.ok(armateur:edit("ouverture", r.id, { observations = "Arrivée par le canal maritime" }))
