-- Le temps qui passe : réclamations en retard (3 jours pour qualifier, 15 pour traiter),
-- clôture automatique 30 jours après la réponse, et effacement des données
-- personnelles (nom, coordonnées, IBAN) trois ans après la clôture.
local T = require("smallapps.test")

T.clock("2026-03-02T09:00:00Z") -- lundi 2 mars 2026

local camille = T.user("camille", {})
local agent = T.user("agent1", { "agent" })

local function reclamation(objet, changes)
  local f = {
    categorie = "espaces_verts", objet = objet,
    description = "Une grosse branche de platane menace de tomber sur l'allée du parc.",
    date_constat = "2026-02-28",
    adresse = "Jardin des Plantes, allée Frédéric-Mistral", code_postal = "31400", commune = "31555", danger = false,
    nom = "Camille Durand", courriel = "camille.durand@example.org",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return camille:create("reclamation", f)
end

local function etat(id)
  return agent:read("reclamation", id).state
end

-- ------------------------------------------------------------------ retard

local attente = reclamation("Branche menaçante")
local traitee = reclamation("Banc cassé", {
  demande_indemnisation = true, montant_dommage = 45, iban = "FR7630006000011234567890189",
})
T.ok(attente)
T.ok(traitee)
T.state(agent:trigger("reclamation", traitee.id, "qualifier", { fields = { service = "espaces_verts" } }),
  "qualifiee")

T.advance(3.5) -- jeudi 5 mars, 21 h
T.eq(agent:read("reclamation", attente.id).overdue, true, "à qualifier sous 3 jours")
T.eq(agent:read("reclamation", traitee.id).overdue, false, "qualifiée : 15 jours")
local retard = agent:list("reclamation", { overdue = true })
T.eq(retard.total, 1)
T.eq(retard.records[1].id, attente.id)
T.eq(camille:list("reclamation", { overdue = true }).total, 1, "l'usager le voit aussi")

T.state(agent:trigger("reclamation", traitee.id, "affecter", {
  fields = { referent = "Service des jardins", echeance = "2026-03-20" },
}), "en_traitement")
T.advance(15.5) -- samedi 21 mars
T.eq(agent:read("reclamation", traitee.id).overdue, true, "en traitement depuis plus de 15 jours")
T.eq(agent:list("reclamation", { overdue = true, state = "en_traitement" }).total, 1)

-- ------------------------------------------------------------------ clôture automatique (30 jours)

T.state(agent:trigger("reclamation", traitee.id, "repondre", {
  fields = { reponse = "Le banc a été remplacé ; votre indemnisation est transmise à notre assureur." },
}), "repondue")
T.eq(agent:read("reclamation", traitee.id).overdue, false, "pas d'échéance une fois répondu")
T.eq(#T.mails(), 1)

T.advance(29.5)
T.eq(T.tick().moved, 0, "pas avant 30 jours")
T.eq(etat(traitee.id), "repondue")

T.advance(0.5)
T.eq(T.tick().moved, 1, "30 jours après la réponse")
T.eq(etat(traitee.id), "cloturee")
T.eq(camille:read("reclamation", traitee.id).state, "cloturee")
T.eq(etat(attente.id), "recue", "une réclamation non répondue ne se clôt pas seule")
T.eq(T.tick().moved, 0)
T.eq(#T.mails(), 1, "pas de courriel à la clôture automatique")
T.conflict(camille:trigger("reclamation", traitee.id, "rouvrir", { comment = "trop tard ?" }))

-- ------------------------------------------------------------------ conservation (1095 jours)

T.advance(1094)
T.eq(T.tick().purged, 0, "pas avant trois ans")

T.advance(2)
T.eq(T.tick().purged, 1)
local p = agent:read("reclamation", traitee.id)
T.state(p, "cloturee")
T.truthy(p.purged_at)
T.eq(p.fields.nom, nil, "nom effacé")
T.eq(p.fields.courriel, nil, "courriel effacé")
T.eq(p.fields.iban, nil, "IBAN effacé")
T.eq(p.fields.objet, "Banc cassé", "le reste demeure")
T.eq(p.fields.montant_dommage, "45.00")
T.eq(camille:read("reclamation", traitee.id).purged_at, p.purged_at)

local a = agent:read("reclamation", attente.id)
T.eq(a.purged_at, nil, "une réclamation jamais close n'est pas effacée")
T.eq(a.fields.nom, "Camille Durand")
