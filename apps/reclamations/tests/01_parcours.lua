-- Parcours d'une réclamation : dépôt par un usager connecté, qualification, affectation
-- à un référent, réponse (courriel), réouverture par l'usager, réorientation vers un
-- autre service, nouvelle réponse, clôture par un responsable. Vérifie les états, les
-- champs calculés et les courriels envoyés à l'usager.
local T = require("smallapps.test")

T.clock("2026-03-02T09:00:00Z") -- lundi 2 mars 2026, 10 h à Paris

local camille = T.user("camille", {}) -- un usager : aucun rôle
local agent = T.user("agent1", { "agent" })
local responsable = T.user("responsable1", { "responsable" })

local function dernier_courriel()
  local mails = T.mails()
  return mails[#mails]
end

-- ------------------------------------------------------------------ dépôt

local r = camille:create("reclamation", {
  categorie = "eclairage",
  objet = "Lampadaire éteint devant le n° 12",
  description = "Le lampadaire devant le 12 rue des Lilas est éteint depuis une semaine.",
  date_constat = "2026-02-23",
  adresse = "12 rue des Lilas", code_postal = "31000", commune = "31555", danger = false,
  nom = "Camille Durand", courriel = "camille.durand@example.org",
})
T.ok(r)
T.state(r, "recue")
T.eq(r.created_by, "camille")
T.eq(r.fields.souhaite_reponse, true, "réponse souhaitée par défaut")
T.eq(r.fields.canal_reponse, "courriel", "par courriel par défaut")
T.eq(r.fields.mode_reponse, "courriel", "champ calculé")
T.eq(r.fields.danger, false)
T.eq(r.fields.priorite, nil, "la priorité n'est pas montrée à l'usager")
T.eq(#T.mails(), 0, "aucun courriel au dépôt")

local vu = agent:read("reclamation", r.id)
T.eq(vu.fields.priorite, "normale", "priorité normale sans danger")
T.eq(vu.fields.service_suggere, "eclairage", "service suggéré d'après la catégorie")

-- ------------------------------------------------------------------ qualification, affectation

local q = agent:trigger("reclamation", r.id, "qualifier", { fields = { service = "eclairage" } })
T.state(q, "qualifiee")
T.eq(q.fields.service, "eclairage")

T.advance(1) -- mardi 3 mars
local a = agent:trigger("reclamation", r.id, "affecter", {
  fields = { referent = "Marc Blanc", echeance = "2026-03-16" }, comment = "Équipe éclairage secteur nord",
})
T.state(a, "en_traitement")
T.eq(a.fields.referent, "Marc Blanc")
T.eq(a.fields.echeance, "2026-03-16")

-- ------------------------------------------------------------------ réponse

T.advance(2) -- jeudi 5 mars
local rep = agent:trigger("reclamation", r.id, "repondre", {
  fields = { reponse = "L'ampoule a été remplacée ce matin par nos équipes." },
})
T.state(rep, "repondue")
T.eq(rep.fields.repondu_le, "2026-03-05", "date de réponse notée")

local m = dernier_courriel()
T.eq(#T.mails(), 1)
T.eq(m.to, "camille.durand@example.org")
T.eq(m.subject, "Réponse à votre réclamation « Lampadaire éteint devant le n° 12 »")
T.truthy(m.body:find("Bonjour Camille Durand,", 1, true))
T.truthy(m.body:find("(12 rue des Lilas, Toulouse (31))", 1, true), "la commune par son nom")
T.truthy(m.body:find("L'ampoule a été remplacée ce matin par nos équipes.", 1, true),
  "la réponse est dans le courriel")
T.eq(m.record_id, r.id)

-- ------------------------------------------------------------------ réouverture par l'usager

T.advance(1) -- vendredi 6 mars
local ro = camille:trigger("reclamation", r.id, "rouvrir", {
  comment = "Le lampadaire s'éteint encore chaque soir vers 22 h.",
})
T.state(ro, "en_traitement", "l'usager rouvre sa réclamation")
T.eq(ro.fields.referent, nil, "le référent n'est pas montré à l'usager")

-- Le problème vient du réseau : réorientation vers la voirie, puis nouvelle affectation.
local re = agent:trigger("reclamation", r.id, "reorienter", {
  fields = { service = "voirie" }, comment = "Câble endommagé par des travaux de voirie",
})
T.state(re, "qualifiee")
T.eq(re.fields.service, "voirie")
T.state(agent:trigger("reclamation", r.id, "affecter", {
  fields = { referent = "Nora Haddad", echeance = "2026-03-20" },
}), "en_traitement")

T.advance(7) -- vendredi 13 mars
local rep2 = agent:trigger("reclamation", r.id, "repondre", {
  fields = { reponse = "Le câble d'alimentation a été réparé ; l'éclairage fonctionne de nouveau." },
})
T.state(rep2, "repondue")
T.eq(rep2.fields.repondu_le, "2026-03-13")
T.eq(#T.mails(), 2, "un courriel par réponse")
T.truthy(dernier_courriel().body:find("Le câble d'alimentation a été réparé", 1, true))

-- ------------------------------------------------------------------ clôture

local c = responsable:trigger("reclamation", r.id, "cloturer", { comment = "Réparation vérifiée sur place" })
T.state(c, "cloturee")
T.eq(#T.mails(), 2, "pas de courriel à la clôture")
T.conflict(camille:trigger("reclamation", r.id, "rouvrir", { comment = "encore" }), "close : plus de réouverture")
T.forbidden(agent:edit("reclamation", r.id, { note_interne = "après coup" }), "état final : plus de modification")

T.eq(camille:read("reclamation", r.id).state, "cloturee", "l'usager suit l'état")
T.eq(agent:list("reclamation", { state = "cloturee" }).total, 1)
T.eq(agent:list("reclamation", { service = "voirie" }).total, 1)
T.eq(agent:list("reclamation", { q = "lampadaire" }).total, 1)
