-- Règles d'accès : dépôt ouvert à tous (même sans compte), chaque usager ne voit que
-- ses réclamations, champs de suivi (priorité, service suggéré, note interne, référent)
-- jamais montrés à l'usager, modification réservée aux agents, transitions réservées,
-- séparation des tâches pour la clôture, suppression par un responsable.
local T = require("smallapps.test")

T.clock("2026-03-02T09:00:00Z") -- lundi 2 mars 2026

local camille = T.user("camille", {})
local dominique = T.user("dominique", {})
local anonyme = T.anonymous()
local agent = T.user("agent1", { "agent" })
local responsable1 = T.user("responsable1", { "responsable" })
local responsable2 = T.user("responsable2", { "responsable" })

local function reclamation(changes)
  local f = {
    categorie = "voirie", objet = "Nid-de-poule avenue de Muret",
    description = "Un nid-de-poule profond s'est formé sur la voie de droite, face au n° 40.",
    adresse = "40 avenue de Muret", code_postal = "31300", commune = "31555", danger = false,
    nom = "Camille Durand", courriel = "camille.durand@example.org",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return f
end

local SUIVI = { "priorite", "service_suggere", "note_interne", "referent" }

-- ------------------------------------------------------------------ dépôt ouvert à tous

local rc = camille:create("reclamation", reclamation())
T.ok(rc, "un usager connecté")
local rd = dominique:create("reclamation", reclamation({ nom = "Dominique Roy", courriel = "d.roy@example.org" }))
T.ok(rd)
local ra = anonyme:create("reclamation", reclamation({
  nom = "Anonyme pressé", courriel = "", souhaite_reponse = false,
}))
T.ok(ra, "sans compte")
T.eq(ra.created_by, nil, "pas d'auteur connu")
local rg = responsable1:create("reclamation", reclamation({
  nom = "Usager reçu au guichet", courriel = "",
  canal_reponse = "courrier", adresse_reponse = "3 place du Capitole, 31000 Toulouse",
}))
T.ok(rg, "saisie au guichet par un responsable")
T.ok(agent:create("reclamation", reclamation()), "ou par un agent")

-- ------------------------------------------------------------------ chacun ses réclamations

T.ok(camille:read("reclamation", rc.id))
T.not_found(camille:read("reclamation", rd.id), "la réclamation d'un autre usager n'existe pas pour lui")
T.not_found(dominique:read("reclamation", rc.id))
T.not_found(camille:read("reclamation", ra.id))
T.not_found(anonyme:read("reclamation", ra.id), "sans compte, le suivi passe par le lien reçu au dépôt")
T.not_found(dominique:trigger("reclamation", rc.id, "retirer"))
T.not_found(dominique:trigger("reclamation", rc.id, "rouvrir", { comment = "x" }))
T.not_found(anonyme:trigger("reclamation", ra.id, "retirer"))

local lc = camille:list("reclamation")
T.eq(lc.total, 1, "un usager ne liste que ses réclamations")
T.eq(lc.records[1].id, rc.id)
T.eq(dominique:list("reclamation").records[1].id, rd.id)
T.eq(#anonyme:list("reclamation").records, 0)
T.eq(agent:list("reclamation").total, 5, "les agents voient tout")
T.eq(responsable2:list("reclamation").total, 5)

-- ------------------------------------------------------------------ champs de suivi

local n = agent:edit("reclamation", rc.id, { priorite = "haute", note_interne = "Riverain déjà venu au guichet" })
T.ok(n, "l'agent fixe la priorité et annote")
T.eq(n.fields.priorite, "haute")
T.eq(n.fields.service_suggere, "voirie")
T.state(agent:trigger("reclamation", rc.id, "qualifier", { fields = { service = "voirie" } }), "qualifiee")
T.state(agent:trigger("reclamation", rc.id, "affecter", {
  fields = { referent = "Paul Lenoir", echeance = "2026-03-09" },
}), "en_traitement")

local vu = camille:read("reclamation", rc.id)
for _, name in ipairs(SUIVI) do
  T.eq(vu.fields[name], nil, name .. " n'est pas montré à l'usager")
end
T.eq(vu.fields.service, "voirie", "le service retenu est public")
T.eq(vu.fields.echeance, "2026-03-09", "l'échéance aussi")
local liste = camille:list("reclamation").records[1]
for _, name in ipairs(SUIVI) do
  T.eq(liste.fields[name], nil, name .. " absent de la liste de l'usager")
end
local va = responsable2:read("reclamation", rc.id)
T.eq(va.fields.priorite, "haute")
T.eq(va.fields.note_interne, "Riverain déjà venu au guichet")
T.eq(va.fields.referent, "Paul Lenoir")

-- L'usager ne peut ni fixer ni modifier ces champs, ni modifier sa réclamation.
T.invalid(camille:create("reclamation", reclamation({ priorite = "urgente" })), "priorite")
T.invalid(anonyme:create("reclamation", reclamation({ note_interne = "VIP" })), "note_interne")
T.invalid(camille:create("reclamation", reclamation({ mode_reponse = "aucune" })), "mode_reponse",
  "pas modifier ce champ")
T.invalid(agent:edit("reclamation", rd.id, { service_suggere = "proprete" }), "service_suggere",
  "pas modifier ce champ")
T.invalid(agent:edit("reclamation", rd.id, { repondu_le = "2026-03-02" }), "repondu_le", "pas modifier ce champ")
T.forbidden(camille:edit("reclamation", rc.id, { objet = "Nid-de-poule énorme" }), "seuls les agents modifient")
T.forbidden(dominique:edit("reclamation", rd.id, { objet = "Nid-de-poule énorme" }), "même à l'état « reçue »")
T.ok(agent:edit("reclamation", rd.id, { objet = "Nid-de-poule face au n° 40" }))

-- ------------------------------------------------------------------ transitions réservées

T.forbidden(dominique:trigger("reclamation", rd.id, "qualifier", { fields = { service = "voirie" } }),
  "l'usager ne qualifie pas")
T.forbidden(dominique:trigger("reclamation", rd.id, "rejeter", {
  fields = { motif_classement = "Problème déjà résolu" }, comment = "réparé",
}), "ni ne classe sa réclamation")
T.forbidden(agent:trigger("reclamation", rd.id, "retirer"), "seul l'auteur retire")
T.forbidden(camille:trigger("reclamation", rc.id, "repondre", {
  fields = { reponse = "Je me réponds à moi-même, merci." },
}))
T.forbidden(agent:trigger("reclamation", rc.id, "cloture_auto"), "la clôture automatique ne se déclenche pas")

T.state(agent:trigger("reclamation", rc.id, "repondre", {
  fields = { reponse = "Le nid-de-poule sera rebouché jeudi par l'équipe voirie." },
}), "repondue")
T.forbidden(agent:trigger("reclamation", rc.id, "cloturer"), "un agent ne clôt pas")
T.forbidden(camille:trigger("reclamation", rc.id, "cloturer"))
T.state(responsable1:trigger("reclamation", rc.id, "cloturer"), "cloturee")

-- ------------------------------------------------------------------ séparation des tâches

-- rg a été saisie au guichet par responsable1 : un autre responsable la clôt.
T.state(responsable1:trigger("reclamation", rg.id, "qualifier", { fields = { service = "voirie" } }), "qualifiee")
T.state(responsable1:trigger("reclamation", rg.id, "affecter", {
  fields = { referent = "Paul Lenoir", echeance = "2026-03-09" },
}), "en_traitement")
T.state(responsable1:trigger("reclamation", rg.id, "repondre", {
  fields = { reponse = "Courrier envoyé : travaux programmés la semaine prochaine." },
}), "repondue")
local soi = responsable1:trigger("reclamation", rg.id, "cloturer")
T.forbidden(soi, "on ne clôt pas ce qu'on a saisi")
T.truthy(soi.message and soi.message:find("séparation des tâches", 1, true))
T.state(responsable2:trigger("reclamation", rg.id, "cloturer"), "cloturee")

-- ------------------------------------------------------------------ suppression

T.forbidden(agent:delete("reclamation", rd.id), "un agent ne supprime pas")
T.forbidden(dominique:delete("reclamation", rd.id), "l'auteur non plus")
T.ok(responsable2:delete("reclamation", rd.id))
T.not_found(dominique:read("reclamation", rd.id))
T.eq(dominique:list("reclamation").total, 0)
T.eq(agent:list("reclamation").total, 4)
