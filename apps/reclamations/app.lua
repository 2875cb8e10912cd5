-- Réclamations citoyennes (exemple smallapps).
--
-- Tout le monde peut déposer une réclamation, sans compte (lien de suivi). Les agents
-- la qualifient et l'orientent vers un service, l'affectent à un référent, répondent
-- au citoyen puis un responsable la clôt (pas la personne qui l'a saisie : séparation
-- des tâches quand un agent saisit une réclamation reçue au guichet ou par téléphone).
-- Sans clôture, une réclamation répondue se clôt seule après 30 jours.

local fr = require "smallapps.fr"

-- Territoire couvert : les réclamations situées ailleurs sont refusées à la saisie.
local DEPARTEMENT = "31"
local NOM_TERRITOIRE = "la Haute-Garonne"
-- Délai de recevabilité d'une demande d'indemnisation (jours après le dommage).
local DELAI_INDEMNISATION = 60

local SERVICE = {
  name = "service", type = "choice", label = "Service chargé du traitement", required = true,
  widget = "select",
  options = {
    { "voirie", "Voirie et déplacements" },
    { "proprete", "Propreté urbaine" },
    { "eclairage", "Éclairage public" },
    { "tranquillite", "Tranquillité publique" },
    { "espaces_verts", "Espaces verts et environnement" },
    { "relation_usagers", "Relation aux usagers" },
  },
}

-- Service proposé d'après la catégorie choisie par le citoyen.
local SERVICE_PAR_CATEGORIE = {
  voirie = "voirie", proprete = "proprete", eclairage = "eclairage",
  bruit = "tranquillite", espaces_verts = "espaces_verts", autre = "relation_usagers",
}

local SIGNATURE = "\n\nService Relation aux usagers\n"
  .. "Suivez votre réclamation à tout moment avec le lien reçu lors du dépôt."

return {
  title = "Réclamations citoyennes",
  description = "Signalez un problème sur l'espace public (voirie, propreté, éclairage, bruit, "
    .. "espaces verts…) et suivez son traitement.",
  owner = "Pôle Small Apps — DSI (référente : direction de la Relation aux usagers)",
  version = "1.0.3",

  roles = {
    agent = "Agent de la Relation aux usagers",
    responsable = "Responsable de service",
  },

  privacy = {
    purpose = "Traitement des réclamations et signalements des usagers sur l'espace public",
    legal_basis = "mission d'intérêt public (article 6-1-e du RGPD)",
    retention_days = 1095,
    contact = "dpd@collectivite.example",
    recipients = {
      "Direction de la Relation aux usagers",
      "Services techniques concernés (voirie, propreté, éclairage, espaces verts)",
      "Police municipale (nuisances sonores)",
      "Assureur de la collectivité (demandes d'indemnisation)",
    },
  },

  forms = {
    {
      id = "reclamation",
      title = "Déposer une réclamation",
      description = "Pour une urgence mettant des personnes en danger, appelez le 112. "
        .. "Les champs obligatoires sont signalés.",
      -- Un usager peut interrompre sa saisie : un lien lui permet de la reprendre.
      drafts = true,

      fields = {
        { name = "s_reclamation", type = "section", label = "Votre réclamation" },
        { name = "categorie", type = "choice", label = "Catégorie", required = true, widget = "radio",
          options = {
            { "voirie", "Voirie (chaussée, trottoir, signalisation)" },
            { "proprete", "Propreté (dépôt sauvage, tags, corbeilles)" },
            { "eclairage", "Éclairage public" },
            { "bruit", "Bruit et nuisances" },
            { "espaces_verts", "Espaces verts, arbres" },
            { "autre", "Autre" },
          } },
        { name = "precision_categorie", type = "text", label = "Précisez la nature du problème",
          max_length = 120, visible_if = { categorie = "autre" }, required = true },
        { name = "objet", type = "text", label = "Objet", required = true, max_length = 120,
          placeholder = "Ex. : lampadaire éteint devant le n° 12" },
        { name = "description", type = "textarea", label = "Description", required = true,
          min_length = 20, max_length = 4000,
          help = "Décrivez le problème, depuis quand il existe, et ce que vous attendez." },
        { name = "date_constat", type = "date", label = "Date du constat", max = "today" },
        { name = "photo", type = "file", label = "Photo", max_size = 8 * 1024 * 1024,
          accept = { "image/jpeg", "image/png", "image/webp" },
          help = "Facultatif. JPEG, PNG ou WebP, 8 Mo au plus." },
        { name = "danger", type = "yes_no", label = "Le problème présente-t-il un danger pour les usagers ?",
          required = true, messages = { required = "Dites-nous si le problème présente un danger : "
            .. "c'est ce qui décide de l'urgence du traitement." } },

        { name = "s_lieu", type = "section", label = "Lieu" },
        { name = "adresse", type = "text", label = "Adresse ou lieu précis", required = true,
          max_length = 200, placeholder = "N°, rue, ou repère (parc, arrêt de bus…)" },
        { name = "code_postal", type = "postal_code", label = "Code postal", required = true },
        { name = "commune", type = "commune", label = "Commune", required = true, departement = "31",
          help = "Nom de la commune ou son code postal." },

        { name = "s_indemnisation", type = "section", label = "Dommage subi",
          help = "Uniquement si un bien vous appartenant a été endommagé (ex. pneu crevé sur un nid-de-poule)." },
        { name = "demande_indemnisation", type = "boolean", label = "Je demande l'indemnisation d'un dommage",
          visible_if = { categorie = { "voirie", "eclairage", "espaces_verts" } }, default = false },
        { name = "montant_dommage", type = "money", label = "Montant estimé du dommage", min = 1, max = 10000,
          visible_if = { demande_indemnisation = true }, required = true,
          help = "Joignez le devis ou la facture lors de l'instruction. Au-delà de 10 000 €, "
            .. "adressez un courrier recommandé." },
        { name = "iban", type = "iban", label = "IBAN pour le remboursement", personal = true,
          visible_if = { demande_indemnisation = true }, required = true,
          help = "Compte au nom du demandeur. Vous seul et les agents instructeurs le voyez." },

        { name = "s_contact", type = "section", label = "Vos coordonnées" },
        { name = "souhaite_reponse", type = "boolean", label = "Je souhaite recevoir une réponse",
          default = true },
        { name = "canal_reponse", type = "choice", label = "Répondre de préférence par", widget = "radio",
          visible_if = { souhaite_reponse = true }, required = true, default = "courriel",
          options = { { "courriel", "Courriel" }, { "telephone", "Téléphone" }, { "courrier", "Courrier postal" } } },
        { name = "nom", type = "text", label = "Nom et prénom", max_length = 120, personal = true,
          required_if = { souhaite_reponse = true } },
        { name = "courriel", type = "email", label = "Adresse électronique", personal = true,
          required_if = { canal_reponse = "courriel" } },
        { name = "telephone", type = "phone", label = "Numéro de téléphone", personal = true,
          required_if = { canal_reponse = "telephone" } },
        { name = "adresse_reponse", type = "textarea", label = "Adresse postale", max_length = 300,
          personal = true, visible_if = { canal_reponse = "courrier" }, required = true },
        { name = "mode_reponse", type = "choice", label = "Réponse attendue",
          options = { { "courriel", "Par courriel" }, { "telephone", "Par téléphone" },
                      { "courrier", "Par courrier" }, { "aucune", "Aucune" } },
          compute = function(r)
            if not r.souhaite_reponse then return "aucune" end
            return r.canal_reponse or "aucune"
          end },

        { name = "s_suivi", type = "section", label = "Suivi" },
        { name = "priorite", type = "choice", label = "Priorité", widget = "radio",
          options = { { "basse", "Basse" }, { "normale", "Normale" }, { "haute", "Haute" }, { "urgente", "Urgente" } },
          editable_by = { "agent", "responsable" }, private = { "agent", "responsable" } },
        { name = "service_suggere", type = "choice", label = "Service suggéré", options = SERVICE.options,
          private = { "agent", "responsable" },
          help = "Déduit de la catégorie ; le service retenu est choisi à la qualification.",
          compute = function(r)
            return SERVICE_PAR_CATEGORIE[r.categorie]
          end },
        { name = "note_interne", type = "textarea", label = "Note interne", max_length = 4000,
          editable_by = { "agent", "responsable" }, private = { "agent", "responsable" },
          help = "Jamais visible du citoyen, ni dans les exports ouverts." },
        { name = "repondu_le", type = "date", label = "Réponse envoyée le", readonly = true },
      },

      -- Un constat ancien n'empêche pas le dépôt, mais il vaut une vérification (au dépôt
      -- seulement : r.id est nil tant que la réclamation n'est pas enregistrée).
      warn = function(r, ctx)
        if r.id == nil and r.date_constat and fr.ecart_jours(r.date_constat, ctx.today) > 90 then
          return { date_constat = "Constat de plus de trois mois : vérifiez la date ; "
            .. "un problème ancien a peut-être déjà été signalé ou traité." }
        end
      end,

      validate = function(r, ctx)
        local err = {}

        if r.code_postal and fr.departement(r.code_postal) ~= DEPARTEMENT then
          err.code_postal = "Nous ne pouvons traiter que les réclamations situées dans "
            .. NOM_TERRITOIRE .. ". Adressez-vous à la mairie concernée."
        end

        if r.demande_indemnisation then
          if not r.date_constat then
            err.date_constat = "Indiquez la date du dommage pour une demande d'indemnisation."
          else
            local depose_le = r.created_at and fr.heure_paris(r.created_at) or ctx.today
            local depuis = fr.ecart_jours(r.date_constat, depose_le)
            if depuis > DELAI_INDEMNISATION then
              err.date_constat = string.format("Les demandes d'indemnisation doivent être déposées dans "
                .. "les %d jours suivant le dommage.", DELAI_INDEMNISATION)
            end
          end
        end

        if r.demande_indemnisation and not r.souhaite_reponse then
          err.souhaite_reponse = "Une demande d'indemnisation appelle une réponse écrite : "
            .. "cochez « Je souhaite recevoir une réponse » et indiquez vos coordonnées."
        end

        if next(err) then return err end
      end,

      on_create = function(r)
        -- Une réclamation signalant un danger est traitée en priorité.
        r.priorite = r.danger and "urgente" or "normale"
      end,

      access = {
        create = { "public" },
        read = { user = "own", agent = "all", responsable = "all" },
        delete = { "responsable" },
      },

      list = {
        columns = { "objet", "categorie", "commune", "priorite", "service", "created_at" },
        filters = { "categorie", "priorite", "service", "commune", "danger", "mode_reponse" },
        search = { "objet", "description", "adresse" },
        sort = "-created_at",
        page_size = 30,
      },

      workflow = {
        initial = "recue",
        states = {
          { id = "recue", label = "Reçue",
            description = "La réclamation attend d'être qualifiée et orientée vers un service.",
            editable_by = { "agent", "responsable" }, due_days = 3 },
          { id = "qualifiee", label = "Qualifiée",
            description = "Orientée vers le service compétent, en attente d'un référent.",
            editable_by = { "agent", "responsable" }, due_days = 15 },
          { id = "en_traitement", label = "En cours de traitement",
            description = "Un agent référent traite la réclamation.",
            editable_by = { "agent", "responsable" }, due_days = 15 },
          { id = "repondue", label = "Réponse envoyée",
            description = "Une réponse a été apportée ; la réclamation sera close par un responsable "
              .. "(ou automatiquement après 30 jours).",
            editable_by = { "agent", "responsable" } },
          { id = "cloturee", label = "Clôturée", final = true,
            description = "Le traitement est terminé." },
          { id = "classee", label = "Classée sans suite", final = true,
            description = "Réclamation hors compétence, en double ou non fondée." },
          { id = "retiree", label = "Retirée", final = true,
            description = "Retirée par son auteur." },
        },
        transitions = {
          { id = "qualifier", label = "Qualifier et orienter", from = "recue", to = "qualifiee",
            roles = { "agent", "responsable" }, comment = "optional",
            fields = { SERVICE },
            guard = function(r)
              if r.danger and (r.priorite == nil or r.priorite == "basse" or r.priorite == "normale") then
                return false, "Le citoyen signale un danger : fixez la priorité à « Haute » ou « Urgente », "
                  .. "ou décochez le danger s'il n'est pas avéré, avant d'orienter la réclamation."
              end
              return true
            end },

          { id = "rejeter", label = "Classer sans suite", from = { "recue", "qualifiee" }, to = "classee",
            roles = { "agent", "responsable" }, comment = "required",
            fields = {
              { name = "motif_classement", type = "choice", label = "Motif", required = true, widget = "radio",
                options = { "Hors de nos compétences", "Réclamation en double", "Réclamation non fondée",
                            "Problème déjà résolu" } },
            },
            notify = {
              to = "field:courriel",
              subject = "Votre réclamation « {{objet}} »",
              body = "Bonjour {{nom}},\n\nVotre réclamation « {{objet}} » ({{adresse}}, {{commune}}) "
                .. "a été classée sans suite.\nMotif : {{motif_classement}}." .. SIGNATURE,
            } },

          { id = "retirer", label = "Retirer ma réclamation", from = "recue", to = "retiree",
            roles = { "owner" }, comment = "optional" },

          { id = "affecter", label = "Affecter à un référent", from = "qualifiee", to = "en_traitement",
            roles = { "agent", "responsable" }, comment = "optional",
            fields = {
              { name = "referent", type = "text", label = "Agent référent", required = true, max_length = 80,
                private = { "agent", "responsable" } },
              { name = "echeance", type = "date", label = "Échéance de traitement", required = true,
                min = "today" },
            },
            guard = function(r, ctx)
              if r.echeance and r.priorite == "urgente"
                  and r.echeance > fr.jours_ouvres(ctx.today, 2) then
                return false, "Réclamation urgente : l'échéance doit tomber dans les 2 jours ouvrés ("
                  .. fr.jours_ouvres(ctx.today, 2) .. " au plus tard)."
              end
              return true
            end },

          { id = "reorienter", label = "Réorienter vers un autre service",
            from = { "qualifiee", "en_traitement" }, to = "qualifiee",
            roles = { "agent", "responsable" }, comment = "required",
            fields = { SERVICE } },

          { id = "repondre", label = "Répondre au citoyen", from = "en_traitement", to = "repondue",
            roles = { "agent", "responsable" }, comment = "optional",
            fields = {
              { name = "reponse", type = "textarea", label = "Réponse", required = true,
                min_length = 20, max_length = 4000,
                help = "Envoyée telle quelle au citoyen par courriel (la page de suivi ne montre que l’état et ses dates)." },
            },
            guard = function(r)
              if not r.souhaite_reponse then
                return false, "Le citoyen ne souhaite pas de réponse : utilisez « Clore sans réponse »."
              end
              return true
            end,
            action = function(r, ctx)
              r.repondu_le = ctx.today
              if r.mode_reponse ~= "courriel" then
                ctx.log("réponse à transmettre par " .. tostring(r.mode_reponse) .. " : " .. tostring(r.objet))
              end
            end,
            notify = {
              to = "field:courriel",
              subject = "Réponse à votre réclamation « {{objet}} »",
              body = "Bonjour {{nom}},\n\nVous nous avez signalé : « {{objet}} » ({{adresse}}, {{commune}}).\n\n"
                .. "{{reponse}}" .. SIGNATURE,
            } },

          { id = "clore_sans_reponse", label = "Clore sans réponse", from = "en_traitement", to = "cloturee",
            roles = { "agent", "responsable" }, comment = "required",
            guard = function(r)
              if r.souhaite_reponse then
                return false, "Le citoyen attend une réponse : utilisez « Répondre au citoyen »."
              end
              return true
            end },

          { id = "rouvrir", label = "Rouvrir", from = "repondue", to = "en_traitement",
            roles = { "owner", "agent", "responsable" }, comment = "required" },

          { id = "cloturer", label = "Clôturer", from = "repondue", to = "cloturee",
            roles = { "responsable" }, self_approval = false, comment = "optional" },

          { id = "cloture_auto", label = "Clôture automatique", from = "repondue", to = "cloturee",
            after_days = 30 },
        },
      },
    },
  },
}
