-- Les autres issues d'une réclamation : classement sans suite (depuis « reçue » ou
-- « qualifiée », courriel au citoyen quand il a laissé une adresse), retrait par son
-- auteur, clôture sans réponse quand aucune n'est attendue, réponse par téléphone
-- (sans courriel), réorientation avant affectation et réouverture par un agent.
local T = require("smallapps.test")

T.clock("2026-03-02T09:00:00Z") -- lundi 2 mars 2026

local camille = T.user("camille", {})
local anonyme = T.anonymous()
local agent = T.user("agent1", { "agent" })
local responsable = T.user("responsable1", { "responsable" })

local function reclamation(auteur, changes)
  local f = {
    categorie = "proprete", objet = "Dépôt sauvage rue Bayard",
    description = "Des sacs d'ordures et un matelas sont déposés sur le trottoir depuis lundi.",
    adresse = "25 rue Bayard", code_postal = "31000", commune = "31555", danger = false,
    nom = "Camille Durand", courriel = "camille.durand@example.org",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return auteur:create("reclamation", f)
end

local function traiter(id)
  T.state(agent:trigger("reclamation", id, "qualifier", { fields = { service = "proprete" } }), "qualifiee")
  T.state(agent:trigger("reclamation", id, "affecter", {
    fields = { referent = "Équipe propreté centre", echeance = "2026-03-13" },
  }), "en_traitement")
end

-- ------------------------------------------------------------------ classement sans suite

local doublon = reclamation(camille)
local cs = agent:trigger("reclamation", doublon.id, "rejeter", {
  fields = { motif_classement = "Réclamation en double" }, comment = "Déjà signalé sous le n° 1",
})
T.state(cs, "classee", "classée depuis « reçue »")
local mails = T.mails()
T.eq(#mails, 1)
T.eq(mails[1].to, "camille.durand@example.org")
T.eq(mails[1].subject, "Votre réclamation « Dépôt sauvage rue Bayard »")
T.truthy(mails[1].body:find("a été classée sans suite.\nMotif : Réclamation en double.", 1, true))

local hors = reclamation(anonyme, { objet = "Bruit du chantier de l'autoroute", categorie = "bruit",
  nom = "Jean Martin", courriel = "jean.martin@example.org" })
T.ok(hors, "dépôt sans compte")
T.state(agent:trigger("reclamation", hors.id, "qualifier", { fields = { service = "tranquillite" } }), "qualifiee")
T.state(responsable:trigger("reclamation", hors.id, "rejeter", {
  fields = { motif_classement = "Hors de nos compétences" }, comment = "Chantier de l'État : voir la DIR Sud-Ouest",
}), "classee", "classée depuis « qualifiée »")
T.eq(#T.mails(), 2)
T.eq(T.mails()[2].to, "jean.martin@example.org")

-- Sans adresse électronique, personne à prévenir.
local tel = reclamation(anonyme, { canal_reponse = "telephone", telephone = "05 61 22 33 44", courriel = "" })
T.ok(tel)
T.state(agent:trigger("reclamation", tel.id, "rejeter", {
  fields = { motif_classement = "Problème déjà résolu" }, comment = "Enlevé ce matin",
}), "classee")
T.eq(#T.mails(), 2, "pas de courriel sans adresse")

-- ------------------------------------------------------------------ retrait par l'auteur

local w = reclamation(camille)
T.state(camille:trigger("reclamation", w.id, "retirer", { comment = "Les sacs ont été enlevés" }), "retiree")
local w2 = reclamation(camille)
T.state(agent:trigger("reclamation", w2.id, "qualifier", { fields = { service = "proprete" } }), "qualifiee")
T.conflict(camille:trigger("reclamation", w2.id, "retirer"), "plus de retrait une fois qualifiée")

-- ------------------------------------------------------------------ clôture sans réponse

local muette = reclamation(camille, { souhaite_reponse = false, nom = "", courriel = "" })
T.ok(muette)
T.eq(muette.fields.mode_reponse, "aucune")
traiter(muette.id)
local g = agent:trigger("reclamation", muette.id, "repondre", {
  fields = { reponse = "Le dépôt a été enlevé par nos équipes ce matin." },
})
T.conflict(g, "pas de réponse à qui n'en veut pas")
T.eq(g.message, "Le citoyen ne souhaite pas de réponse : utilisez « Clore sans réponse ».")
T.state(agent:trigger("reclamation", muette.id, "clore_sans_reponse", { comment = "Dépôt enlevé" }), "cloturee")

-- À l'inverse, on ne clôt pas sans réponse une réclamation qui en attend une.
local attend = reclamation(camille)
traiter(attend.id)
local g2 = agent:trigger("reclamation", attend.id, "clore_sans_reponse", { comment = "Fait" })
T.conflict(g2)
T.eq(g2.message, "Le citoyen attend une réponse : utilisez « Répondre au citoyen ».")

-- ------------------------------------------------------------------ réponse par téléphone

local avant = #T.mails()
local ph = reclamation(camille, { canal_reponse = "telephone", telephone = "06 10 20 30 40", courriel = "" })
T.eq(ph.fields.mode_reponse, "telephone")
traiter(ph.id)
T.state(agent:trigger("reclamation", ph.id, "repondre", {
  fields = { reponse = "Appel passé à l'usager : dépôt enlevé le jour même." },
}), "repondue")
T.eq(#T.mails(), avant, "réponse transmise par téléphone : aucun courriel")

-- Un agent peut aussi rouvrir, avec un commentaire.
T.state(agent:trigger("reclamation", ph.id, "rouvrir", { comment = "Nouveau dépôt signalé au même endroit" }),
  "en_traitement")

-- ------------------------------------------------------------------ réorientation avant affectation

local ro = reclamation(camille, { categorie = "espaces_verts", objet = "Branche cassée au square" })
T.state(agent:trigger("reclamation", ro.id, "qualifier", { fields = { service = "proprete" } }), "qualifiee")
local r2 = agent:trigger("reclamation", ro.id, "reorienter", {
  fields = { service = "espaces_verts" }, comment = "Élagage : service des espaces verts",
})
T.state(r2, "qualifiee")
T.eq(r2.fields.service, "espaces_verts")

T.eq(agent:list("reclamation", { state = "classee" }).total, 3)
T.eq(agent:list("reclamation", { state = "retiree" }).total, 1)
T.eq(camille:list("reclamation", { state = "cloturee" }).total, 1)
