-- Contrôles de saisie : champs obligatoires et conditionnels (précision, coordonnées
-- selon le canal de réponse, indemnisation), bornes et formats, règles propres à
-- l'application (territoire, délai et conditions d'une demande d'indemnisation),
-- champs, commentaires et gardes des transitions.
local T = require("smallapps.test")

T.clock("2026-03-02T09:00:00Z") -- lundi 2 mars 2026, 10 h à Paris

local camille = T.user("camille", {})
local agent = T.user("agent1", { "agent" })

local function reclamation(changes)
  local f = {
    categorie = "voirie", objet = "Pneu crevé sur un nid-de-poule",
    description = "Mon pneu avant a éclaté sur un nid-de-poule non signalé, chemin de Pouvourville.",
    adresse = "Chemin de Pouvourville", code_postal = "31400", commune = "31555", danger = false,
    nom = "Camille Durand", courriel = "camille.durand@example.org",
  }
  for k, v in pairs(changes or {}) do f[k] = v end
  return f
end

local function essai(changes)
  return camille:create("reclamation", reclamation(changes))
end

local INDEMNISATION = {
  demande_indemnisation = true, montant_dommage = "189,90", iban = "FR7630006000011234567890189",
  date_constat = "2026-02-20",
}
local function indemnisation(changes)
  local f = {}
  for k, v in pairs(INDEMNISATION) do f[k] = v end
  for k, v in pairs(changes or {}) do f[k] = v end
  return essai(f)
end

-- ------------------------------------------------------------------ champs obligatoires

local vide = camille:create("reclamation", {})
for _, name in ipairs({ "categorie", "objet", "description", "adresse", "code_postal", "commune",
                        "nom", "courriel" }) do
  T.invalid(vide, name, "obligatoire", "champ obligatoire : " .. name)
end
-- La question du danger a son propre message : il dit pourquoi on la pose.
T.invalid(vide, "danger", "décide de l'urgence", "danger : Oui ou Non, avec la raison")

-- Précision demandée pour la catégorie « Autre ».
T.invalid(essai({ categorie = "autre" }), "precision_categorie", "obligatoire")
T.ok(essai({ categorie = "autre", precision_categorie = "Mobilier urbain dégradé" }))
local masque = essai({ categorie = "voirie", precision_categorie = "ignorée" })
T.ok(masque, "précision masquée hors « Autre »")
T.eq(masque.fields.precision_categorie, nil, "et non enregistrée")

-- Coordonnées selon le canal de réponse.
T.invalid(essai({ canal_reponse = "telephone" }), "telephone", "obligatoire")
T.invalid(essai({ canal_reponse = "courrier" }), "adresse_reponse", "obligatoire")
T.invalid(essai({ courriel = "" }), "courriel", "obligatoire")
T.invalid(essai({ nom = "" }), "nom", "obligatoire")
local courrier = essai({ canal_reponse = "courrier", courriel = "", adresse_reponse = "8 rue du Taur, 31000 Toulouse" })
T.ok(courrier)
T.eq(courrier.fields.mode_reponse, "courrier")
local sans = essai({ souhaite_reponse = false, nom = "", courriel = "", canal_reponse = "telephone" })
T.ok(sans, "aucune coordonnée sans réponse souhaitée")
T.eq(sans.fields.mode_reponse, "aucune")
T.eq(sans.fields.canal_reponse, nil, "canal masqué, donc vide")

-- ------------------------------------------------------------------ bornes et formats

T.invalid(essai({ categorie = "stationnement" }), "categorie", "options proposées")
T.invalid(essai({ objet = string.rep("o", 121) }), "objet", "120 caractères")
T.invalid(essai({ description = "Trou dans la route" }), "description", "au moins 20 caractères")
T.invalid(essai({ description = string.rep("d", 4001) }), "description", "4000 caractères")
T.invalid(essai({ date_constat = "2026-03-03" }), "date_constat", "au plus tard le 02/03/2026")
T.invalid(essai({ date_constat = "02/03/2026" }), "date_constat", "AAAA%-MM%-JJ")
T.invalid(essai({ code_postal = "3100" }), "code_postal", "5 chiffres")
T.invalid(essai({ courriel = "camille@" }), "courriel", "adresse électronique")
T.invalid(essai({ canal_reponse = "telephone", telephone = "123" }), "telephone", "téléphone")
T.invalid(essai({ danger = "oui" }), "danger", "true ou false")
local tel = essai({ canal_reponse = "telephone", telephone = "05 61 22 33 44" })
T.ok(tel)
T.eq(tel.fields.telephone, "+33561223344", "téléphone en E.164")

-- ------------------------------------------------------------------ avertissement

-- Un constat de plus de trois mois demande confirmation ; rien n'est enregistré avant.
local ancien = { date_constat = "2025-01-10", objet = "Banc cassé depuis longtemps" }
T.warning(essai(ancien), "date_constat", "plus de trois mois")
local confirme = camille:create("reclamation", reclamation(ancien), { confirm = true })
T.ok(confirme, "confirmé : enregistré")
T.ok(essai({ date_constat = "2026-02-20" }), "constat récent : pas d'avertissement")

-- ------------------------------------------------------------------ territoire

T.invalid(essai({ commune = "75056" }), "commune", "Haute%-Garonne")
T.invalid(essai({ commune = "Toulouse" }), "commune", "code")
T.invalid(essai({ code_postal = "75001" }), "code_postal",
  "que les réclamations situées dans la Haute%-Garonne")
T.invalid(essai({ code_postal = "98000" }), "code_postal", "Haute%-Garonne")
T.ok(essai({ code_postal = "31700", commune = "31069" }))

-- ------------------------------------------------------------------ indemnisation

local ok = indemnisation()
T.ok(ok)
T.eq(ok.fields.montant_dommage, "189.90", "montant saisi à la française")
T.eq(ok.fields.iban, "FR7630006000011234567890189", "l'auteur voit son IBAN")

-- Proposée seulement pour la voirie, l'éclairage et les espaces verts.
local bruit = indemnisation({ categorie = "bruit" })
T.ok(bruit, "masquée pour le bruit")
T.eq(bruit.fields.demande_indemnisation, nil)
T.eq(bruit.fields.montant_dommage, nil)
T.eq(bruit.fields.iban, nil, "IBAN masqué non enregistré")

T.invalid(indemnisation({ montant_dommage = "" }), "montant_dommage", "obligatoire")
T.invalid(indemnisation({ iban = "" }), "iban", "obligatoire")
T.invalid(indemnisation({ iban = "FR7630006000011234567890188" }), "iban", "clé de contrôle")
T.invalid(indemnisation({ montant_dommage = "0,50" }), "montant_dommage", "au moins 1,00")
T.invalid(indemnisation({ montant_dommage = 10000.01 }), "montant_dommage", "au plus 10.+000,00")
T.ok(indemnisation({ montant_dommage = 10000 }), "10 000 € tout juste")

-- Date du dommage obligatoire et au plus 60 jours avant le dépôt.
T.invalid(indemnisation({ date_constat = "" }), "date_constat",
  "Indiquez la date du dommage pour une demande d'indemnisation")
T.ok(indemnisation({ date_constat = "2026-01-01" }), "60 jours avant le dépôt")
T.invalid(indemnisation({ date_constat = "2025-12-31" }), "date_constat",
  "dans les 60 jours suivant le dommage")

-- Une demande d'indemnisation appelle une réponse écrite.
T.invalid(indemnisation({ souhaite_reponse = false }), "souhaite_reponse",
  "Une demande d'indemnisation appelle une réponse écrite")

-- Le délai se compte depuis le dépôt, pas depuis la dernière modification.
local tard = indemnisation({ date_constat = "2026-01-01" })
T.advance(10) -- jeudi 12 mars
T.ok(agent:edit("reclamation", tard.id, { note_interne = "Devis demandé" }),
  "toujours recevable dix jours plus tard")

-- ------------------------------------------------------------------ transitions

-- qualifier : service obligatoire ; un danger signalé exige une priorité haute ou urgente.
local d = essai({ danger = true, objet = "Plaque d'égout descellée" })
T.ok(d)
T.eq(agent:read("reclamation", d.id).fields.priorite, "urgente", "danger : priorité urgente au dépôt")
T.ok(agent:edit("reclamation", d.id, { priorite = "normale" }))
local g = agent:trigger("reclamation", d.id, "qualifier", { fields = { service = "voirie" } })
T.conflict(g, "danger en priorité normale")
T.truthy(g.message:find("Le citoyen signale un danger : fixez la priorité à « Haute » ou « Urgente »", 1, true))
T.ok(agent:edit("reclamation", d.id, { priorite = "haute" }))
T.invalid(agent:trigger("reclamation", d.id, "qualifier"), "service", "obligatoire")
T.invalid(agent:trigger("reclamation", d.id, "qualifier", { fields = { service = "police" } }),
  "service", "options proposées")
T.state(agent:trigger("reclamation", d.id, "qualifier", { fields = { service = "voirie" } }), "qualifiee")

-- reorienter : commentaire et service obligatoires.
T.invalid(agent:trigger("reclamation", d.id, "reorienter", { fields = { service = "eclairage" } }),
  "_comment", "obligatoire")
T.invalid(agent:trigger("reclamation", d.id, "reorienter", { comment = "autre service" }), "service", "obligatoire")

-- affecter : référent et échéance ; une réclamation urgente se traite sous 2 jours ouvrés.
T.ok(agent:edit("reclamation", d.id, { priorite = "urgente" }))
T.invalid(agent:trigger("reclamation", d.id, "affecter", { fields = { echeance = "2026-03-13" } }),
  "referent", "obligatoire")
T.invalid(agent:trigger("reclamation", d.id, "affecter", { fields = { referent = "Paul Lenoir" } }),
  "echeance", "obligatoire")
T.invalid(agent:trigger("reclamation", d.id, "affecter", {
  fields = { referent = "Paul Lenoir", echeance = "2026-03-11" },
}), "echeance", "au plus tôt le 12/03/2026")
local u = agent:trigger("reclamation", d.id, "affecter", {
  fields = { referent = "Paul Lenoir", echeance = "2026-03-17" },
})
T.conflict(u, "échéance trop lointaine pour une urgence")
T.eq(u.message, "Réclamation urgente : l'échéance doit tomber dans les 2 jours ouvrés (2026-03-16 au plus tard).")
T.state(agent:trigger("reclamation", d.id, "affecter", {
  fields = { referent = "Paul Lenoir", echeance = "2026-03-16" },
}), "en_traitement", "jeudi + 2 jours ouvrés = lundi")

-- repondre : réponse d'au moins 20 caractères.
T.invalid(agent:trigger("reclamation", d.id, "repondre"), "reponse", "obligatoire")
T.invalid(agent:trigger("reclamation", d.id, "repondre", { fields = { reponse = "C'est réparé." } }),
  "reponse", "au moins 20 caractères")
T.state(agent:trigger("reclamation", d.id, "repondre", {
  fields = { reponse = "La plaque a été rescellée le jour même." },
}), "repondue")

-- rouvrir : commentaire obligatoire.
T.invalid(camille:trigger("reclamation", d.id, "rouvrir"), "_comment", "obligatoire")
T.invalid(camille:trigger("reclamation", d.id, "rouvrir", { comment = "   " }), "_comment", "obligatoire")

-- rejeter et clore sans réponse : commentaire et motif obligatoires.
local x = essai()
T.invalid(agent:trigger("reclamation", x.id, "rejeter", {
  fields = { motif_classement = "Réclamation non fondée" },
}), "_comment", "obligatoire")
T.invalid(agent:trigger("reclamation", x.id, "rejeter", { comment = "Rien constaté" }),
  "motif_classement", "obligatoire")
T.invalid(agent:trigger("reclamation", x.id, "rejeter", {
  fields = { motif_classement = "Flemme" }, comment = "Rien constaté",
}), "motif_classement", "options proposées")
local y = essai({ souhaite_reponse = false, nom = "", courriel = "" })
T.state(agent:trigger("reclamation", y.id, "qualifier", { fields = { service = "voirie" } }), "qualifiee")
T.state(agent:trigger("reclamation", y.id, "affecter", {
  fields = { referent = "Paul Lenoir", echeance = "2026-03-20" },
}), "en_traitement")
T.invalid(agent:trigger("reclamation", y.id, "clore_sans_reponse"), "_comment", "obligatoire")

-- ------------------------------------------------------------------ une option inconnue

-- A reply channel that is no option is the person's field error, even though the app's
-- compute of mode_reponse trips on it (it answered 500 before).
T.invalid(essai({ canal_reponse = "pigeon" }), "canal_reponse")
