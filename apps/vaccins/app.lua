-- Commandes de vaccins — Département de la Loire (exemple smallapps).
--
-- Les centres de vaccination (centres, officines, établissements, cabinets) commandent
-- leurs doses ; la pharmacie départementale valide (en ajustant au besoin la
-- quantité), livre ou refuse ; le centre confirme la réception. La pharmacie tient
-- aussi le registre des lots reçus (formulaire sans workflow).

local fr = require "smallapps.fr"
local cond = require "lib.conditionnement"

-- Les commandes viennent des centres de ce département.
local DEPARTEMENT = "42"
local NOM_DEPARTEMENT = "la Loire"

local VACCINS = cond.options()

local PUBLICS = {
  { "plus_65", "Personnes de 65 ans et plus" },
  { "risque", "Personnes à risque (comorbidités)" },
  { "immunodeprimes", "Personnes immunodéprimées" },
  { "enceintes", "Femmes enceintes" },
  { "soignants", "Professionnels de santé et du médico-social" },
  { "residents", "Résidents d'EHPAD / USLD" },
  { "tout_public", "Tout public éligible" },
}

local function contient(liste, valeur)
  if type(liste) ~= "table" then return false end
  for _, v in ipairs(liste) do
    if v == valeur then return true end
  end
  return false
end

-- Messages envoyés au contact du centre.
local SIGNATURE = "\n\nPharmacie départementale de la Loire\n"
  .. "Ce message est envoyé automatiquement, merci de ne pas y répondre."

return {
  title = "Commandes de vaccins",
  description = "Les centres de vaccination commandent leurs doses ; la pharmacie "
    .. "départementale valide, livre ou refuse, et tient le registre des lots.",
  owner = "Pôle Small Apps — DSI (référente : pharmacie départementale)",
  version = "1.2.0",

  roles = {
    centre = "Centre de vaccination",
    pharmacie = "Pharmacie départementale",
  },

  privacy = {
    purpose = "Gestion des commandes et de la livraison des doses de vaccins aux centres de vaccination du département",
    legal_basis = "mission d'intérêt public (article 6-1-e du RGPD) — politique vaccinale départementale",
    retention_days = 730,
    contact = "dpd@loire.example",
    recipients = {
      "Pharmacie départementale",
      "Agence régionale de santé Auvergne-Rhône-Alpes (statistiques agrégées)",
    },
  },

  forms = {
    ---------------------------------------------------------------------------
    -- Commande de doses (formulaire principal, avec workflow)
    ---------------------------------------------------------------------------
    {
      id = "commande",
      title = "Commande de doses",
      description = "Une ligne par vaccin commandé. Les commandes passées avant 12 h un jour "
        .. "ouvré sont traitées le jour même.",
      -- Le centre prépare sa commande au fil de l'inventaire du réfrigérateur.
      drafts = true,

      fields = {
        { name = "s_centre", type = "section", label = "Centre de vaccination" },
        { name = "reference", type = "text", label = "Référence de la commande", readonly = true,
          max_length = 20, help = "Attribuée automatiquement à l'enregistrement." },
        { name = "centre", type = "text", label = "Nom du centre", required = true, max_length = 120,
          placeholder = "Centre de vaccination de Saint-Étienne Centre-Deux" },
        { name = "type_centre", type = "choice", label = "Type de structure", required = true,
          widget = "radio",
          options = {
            { "centre", "Centre de vaccination" },
            { "officine", "Pharmacie d'officine" },
            { "etablissement", "Établissement de santé" },
            { "ehpad", "EHPAD" },
            { "cabinet", "Cabinet médical ou infirmier" },
          } },
        { name = "finess", type = "text", label = "Numéro FINESS", max_length = 9,
          pattern = "%d%d%d%d%d%d%d%d%d",
          pattern_message = "Le numéro FINESS compte 9 chiffres (ex. 420000000).",
          required_if = { type_centre = { "officine", "etablissement", "ehpad" } } },
        { name = "siren_gestionnaire", type = "siren", label = "SIREN de l'organisme gestionnaire",
          help = "Commune, hôpital, association… qui gère le centre." },
        { name = "adresse", type = "text", label = "Adresse de livraison", required = true,
          max_length = 200 },
        { name = "code_postal", type = "postal_code", label = "Code postal", required = true },
        { name = "commune", type = "commune", label = "Commune", required = true, departement = "42",
          help = "Nom de la commune ou son code postal." },
        { name = "site_web", type = "url", label = "Page de prise de rendez-vous",
          placeholder = "https://", help = "Facultatif : affichée aux autres centres pour orienter le public." },

        { name = "s_contact", type = "section", label = "Responsable de la commande" },
        { name = "contact_nom", type = "text", label = "Nom et prénom", required = true,
          max_length = 120, personal = true },
        { name = "contact_email", type = "email", label = "Courriel", required = true, personal = true,
          help = "Les avis de validation, de refus et de livraison y sont envoyés." },
        { name = "contact_telephone", type = "phone", label = "Téléphone", required = true,
          personal = true, help = "Joignable le jour de la livraison." },

        { name = "s_commande", type = "section", label = "Commande" },
        { name = "lignes", type = "repeat", label = "Vaccins commandés", required = true,
          min = 1, max = 7, help = "Une ligne par vaccin.",
          fields = {
            { name = "vaccin", type = "choice", label = "Vaccin", required = true, widget = "select",
              options = VACCINS },
            { name = "doses", type = "integer", label = "Nombre de doses", required = true,
              min = 10, max = 5000,
              help = "Multiple du nombre de doses par flacon (Comirnaty : 6, Spikevax : 10)." },
          } },
        { name = "vaccins", type = "text", label = "Vaccins", max_length = 400,
          help = "Résumé des lignes, pour les listes et la recherche.",
          compute = function(r)
            local t = {}
            for _, l in ipairs(r.lignes or {}) do
              t[#t + 1] = cond.nom(l.vaccin) .. " × " .. tostring(l.doses)
            end
            return #t > 0 and table.concat(t, ", ") or nil
          end },
        { name = "doses", type = "integer", label = "Nombre total de doses",
          help = "Somme des lignes.",
          compute = function(r)
            local n = 0
            for _, l in ipairs(r.lignes or {}) do
              if math.type(l.doses) ~= "integer" then return nil end
              n = n + l.doses
            end
            return n > 0 and n or nil
          end },
        { name = "flacons", type = "integer", label = "Nombre de flacons ou seringues",
          help = "Calculé d'après le conditionnement de chaque vaccin.",
          compute = function(r)
            local n = 0
            for _, l in ipairs(r.lignes or {}) do
              local f = cond.flacons(l.vaccin, l.doses)
              if not f then return nil end
              n = n + f
            end
            return n > 0 and n or nil
          end },
        { name = "publics", type = "multichoice", label = "Publics vaccinés", required = true,
          options = PUBLICS, min = 1 },
        { name = "capacite_stockage", type = "integer", label = "Capacité de stockage réfrigéré (doses)",
          required = true, min = 0, max = 100000,
          help = "Nombre de doses que le centre peut conserver entre +2 °C et +8 °C." },
        { name = "date_souhaitee", type = "date", label = "Livraison souhaitée le", required = true,
          min = "today+1",
          help = "Un jour ouvré, au moins deux jours ouvrés après la commande (sauf urgence)." },
        { name = "creneau", type = "choice", label = "Créneau de livraison", widget = "radio",
          default = "matin",
          options = { { "matin", "Matin (8 h – 12 h)" }, { "apres_midi", "Après-midi (13 h 30 – 17 h)" } } },
        { name = "urgent", type = "boolean", label = "Commande urgente", default = false,
          help = "Rupture imminente, campagne en EHPAD, cas groupés…" },
        { name = "motif_urgence", type = "textarea", label = "Motif de l'urgence", max_length = 1000,
          visible_if = { urgent = true }, required = true },
        { name = "commentaire", type = "textarea", label = "Commentaire pour la pharmacie",
          max_length = 2000 },

        { name = "s_pharmacie", type = "section", label = "Suivi par la pharmacie" },
        { name = "priorite", type = "choice", label = "Priorité de préparation", widget = "radio",
          options = { { "normale", "Normale" }, { "haute", "Haute" } },
          editable_by = { "pharmacie" },
          help = "Fixée à « Haute » pour les commandes urgentes ; modifiable par la pharmacie." },
        { name = "note_interne", type = "textarea", label = "Note interne de la pharmacie",
          max_length = 4000, private = { "pharmacie" }, editable_by = { "pharmacie" } },
        { name = "delai_jours", type = "integer", label = "Délai commande → livraison (jours)",
          readonly = true, help = "Renseigné à la livraison." },
      },

      validate = function(r, ctx)
        local err = {}
        local vus = {}

        for i, l in ipairs(r.lignes or {}) do
          local champ = "lignes[" .. i .. "]."
          -- Un vaccin par ligne : deux lignes du même vaccin s'additionnent.
          if vus[l.vaccin] then
            err[champ .. "vaccin"] = cond.nom(l.vaccin) .. " figure déjà à la ligne "
              .. vus[l.vaccin] .. " : ajoutez-y les doses."
          end
          vus[l.vaccin] = vus[l.vaccin] or i
          -- Conditionnement : on ne livre que des flacons entiers.
          local n = cond.doses_par_flacon(l.vaccin)
          if math.type(l.doses) == "integer" and n > 1 and l.doses % n ~= 0 then
            err[champ .. "doses"] = string.format(
              "Les flacons %s contiennent %d doses : commandez un multiple de %d.",
              cond.nom(l.vaccin), n, n)
          end
          -- Vaccin réservé à un public.
          local vaccin = cond.info(l.vaccin)
          if vaccin and vaccin.reserve and not contient(r.publics, vaccin.reserve) then
            err.publics = cond.nom(l.vaccin) .. " est réservé aux personnes de 65 ans et plus."
          end
        end
        if math.type(r.doses) == "integer" and math.type(r.capacite_stockage) == "integer"
            and r.doses > r.capacite_stockage then
          err.lignes = string.format("La commande (%d doses) dépasse la capacité de stockage déclarée (%d doses).",
            r.doses, r.capacite_stockage)
        end

        -- Centre situé dans le département.
        if r.code_postal and fr.departement(r.code_postal) ~= DEPARTEMENT then
          err.code_postal = "La pharmacie départementale ne livre que les centres situés dans "
            .. NOM_DEPARTEMENT .. " (" .. DEPARTEMENT .. ")."
        end

        -- Livraison un jour ouvré, avec deux jours ouvrés de préparation hors urgence.
        if r.date_souhaitee then
          if not fr.est_ouvre(r.date_souhaitee) then
            err.date_souhaitee = "Les livraisons ont lieu du lundi au vendredi, hors jours fériés"
              .. (fr.jour_ferie(r.date_souhaitee) and (" (" .. fr.jour_ferie(r.date_souhaitee) .. ")") or "")
              .. "."
          elseif not r.urgent then
            -- Délai compté depuis la date de la commande (aujourd'hui à la création),
            -- à l'heure de Paris : created_at est en UTC.
            local commandee_le = r.created_at and fr.heure_paris(r.created_at):sub(1, 10) or ctx.today
            local au_plus_tot = fr.jours_ouvres(commandee_le, 2)
            if r.date_souhaitee < au_plus_tot then
              err.date_souhaitee = "Hors urgence, la livraison est possible à partir du "
                .. au_plus_tot:sub(9, 10) .. "/" .. au_plus_tot:sub(6, 7) .. "/" .. au_plus_tot:sub(1, 4) .. "."
            end
          end
        end

        if next(err) then return err end
      end,

      on_create = function(r, ctx)
        -- Référence lisible à dicter au téléphone : CMD-AAAAMMJJ-XXXX-XXXX (indicative,
        -- le numéro de la commande fait foi). Tirée au hasard plutôt que comptée, pour
        -- que deux commandes simultanées ne se la disputent pas : 32^8 suffixes par
        -- jour, moins d'une chance sur deux millions qu'un jour de mille commandes en
        -- voie deux partager la même.
        local alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" -- sans I, O, 0, 1
        local suffixe = {}
        for i = 1, 8 do
          local k = math.random(#alphabet)
          suffixe[i] = alphabet:sub(k, k)
        end
        r.reference = "CMD-" .. ctx.today:gsub("-", "") .. "-" .. table.concat(suffixe, "", 1, 4)
          .. "-" .. table.concat(suffixe, "", 5, 8)
        r.priorite = r.urgent and "haute" or "normale"
      end,

      access = {
        create = { "centre" },
        read = { centre = "own", pharmacie = "all" },
        delete = { "pharmacie" },
      },

      list = {
        columns = { "reference", "centre", "vaccins", "doses", "date_souhaitee", "urgent" },
        filters = { "urgent", "type_centre", "commune", "priorite" },
        search = { "reference", "centre", "vaccins", "contact_nom" },
        sort = "date_souhaitee",
        page_size = 50,
      },

      workflow = {
        initial = "soumise",
        states = {
          { id = "soumise", label = "Soumise",
            description = "La commande attend la validation de la pharmacie. Le centre peut encore la modifier ou l'annuler.",
            editable_by = { "owner", "pharmacie" }, due_days = 2 },
          { id = "validee", label = "Validée",
            description = "La pharmacie a validé la commande (quantité éventuellement ajustée) et la prépare.",
            editable_by = { "pharmacie" }, due_days = 5 },
          { id = "livree", label = "Livrée",
            description = "Les doses ont été livrées ; le centre confirme la réception.",
            editable_by = { "pharmacie" }, due_days = 7 },
          { id = "receptionnee", label = "Réceptionnée", final = true,
            description = "Réception confirmée par le centre (ou réputée conforme après 7 jours)." },
          { id = "refusee", label = "Refusée", final = true,
            description = "La pharmacie a refusé la commande ; le motif est dans l'historique." },
          { id = "annulee", label = "Annulée", final = true,
            description = "Le centre a annulé sa commande avant validation." },
        },
        transitions = {
          { id = "valider", label = "Valider la commande", from = "soumise", to = "validee",
            roles = { "pharmacie" }, self_approval = false, comment = "optional",
            fields = {
              { name = "doses_validees", type = "integer", label = "Doses validées", min = 1, max = 5000,
                help = "Laisser vide pour valider la quantité demandée." },
              { name = "livraison_prevue", type = "date", label = "Livraison prévue le", required = true,
                min = "today" },
            },
            guard = function(r)
              local n = r.doses_validees or r.doses
              if math.type(n) ~= "integer" then return true end
              if math.type(r.doses) == "integer" and n > r.doses then
                return false, string.format("Impossible de valider plus que les %d doses demandées.", r.doses)
              end
              -- Une seule ligne : la quantité validée reste en flacons entiers.
              local lignes = r.lignes or {}
              local par_flacon = #lignes == 1 and cond.doses_par_flacon(lignes[1].vaccin) or 1
              if n % par_flacon ~= 0 then
                return false, string.format("%s : %d doses par flacon, validez un multiple de %d.",
                  cond.nom(lignes[1].vaccin), par_flacon, par_flacon)
              end
              if r.livraison_prevue and not fr.est_ouvre(r.livraison_prevue) then
                return false, "La livraison prévue doit tomber un jour ouvré."
              end
              return true
            end,
            action = function(r, ctx)
              if r.doses_validees == nil then
                r.doses_validees = r.doses
              end
              if r.doses_validees ~= r.doses then
                ctx.log(string.format("commande %s : quantité ajustée de %d à %d doses",
                  tostring(r.reference), r.doses, r.doses_validees))
              end
            end,
            notify = {
              to = "field:contact_email",
              subject = "Commande {{reference}} validée — {{doses_validees}} doses",
              body = "Bonjour {{contact_nom}},\n\n"
                .. "La pharmacie départementale a validé la commande {{reference}} du centre {{centre}} : "
                .. "{{doses_validees}} doses (demandées : {{doses}}).\n"
                .. "Livraison prévue le {{livraison_prevue}}, créneau : {{creneau}}.\n"
                .. "Merci de vérifier la disponibilité de votre réfrigérateur." .. SIGNATURE,
            } },

          { id = "refuser", label = "Refuser", from = { "soumise", "validee" }, to = "refusee",
            roles = { "pharmacie" }, comment = "required",
            fields = {
              { name = "motif_refus", type = "choice", label = "Motif du refus", required = true,
                widget = "select",
                options = { "Rupture de stock", "Quantité non justifiée", "Public non éligible",
                            "Commande en double", "Centre hors département", "Autre motif" } },
            },
            notify = {
              to = "field:contact_email",
              subject = "Commande {{reference}} refusée",
              body = "Bonjour {{contact_nom}},\n\n"
                .. "La pharmacie départementale ne peut pas honorer la commande {{reference}} "
                .. "({{doses}} doses, centre {{centre}}).\nMotif : {{motif_refus}}.\n"
                .. "Le détail est consultable dans l'historique de la commande ; vous pouvez "
                .. "passer une nouvelle commande si besoin." .. SIGNATURE,
            } },

          { id = "annuler", label = "Annuler ma commande", from = "soumise", to = "annulee",
            roles = { "owner" }, comment = "optional" },

          { id = "livrer", label = "Marquer livrée", from = "validee", to = "livree",
            roles = { "pharmacie" }, comment = "optional",
            fields = {
              { name = "livree_le", type = "date", label = "Livrée le", required = true,
                max = "today" },
              { name = "numeros_lots", type = "text", label = "Numéro(s) de lot", required = true,
                max_length = 200, help = "Séparés par des virgules, pour la traçabilité." },
            },
            action = function(r)
              if r.livree_le and r.created_at then
                r.delai_jours = fr.ecart_jours(fr.heure_paris(r.created_at), r.livree_le)
              end
            end,
            notify = {
              to = "field:contact_email",
              subject = "Commande {{reference}} livrée",
              body = "Bonjour {{contact_nom}},\n\n"
                .. "Les {{doses_validees}} doses de la commande {{reference}} ont été livrées "
                .. "le {{livree_le}} (lots : {{numeros_lots}}).\n"
                .. "Merci de confirmer la réception dans l'application : sans retour de votre part "
                .. "sous 7 jours, la livraison sera réputée conforme." .. SIGNATURE,
            } },

          { id = "receptionner", label = "Confirmer la réception", from = "livree", to = "receptionnee",
            roles = { "owner" }, comment = "optional",
            fields = {
              { name = "reception_conforme", type = "boolean", label = "Livraison conforme (quantité, chaîne du froid)",
                default = true },
            } },

          { id = "reception_tacite", label = "Réception réputée conforme", from = "livree",
            to = "receptionnee", after_days = 7 },
        },
      },
    },

    ---------------------------------------------------------------------------
    -- Registre des lots reçus par la pharmacie (sans workflow)
    ---------------------------------------------------------------------------
    {
      id = "lot",
      title = "Lots reçus",
      description = "Registre des lots de vaccins reçus par la pharmacie départementale.",
      fields = {
        { name = "vaccin", type = "choice", label = "Vaccin", required = true, widget = "select",
          options = VACCINS },
        { name = "numero_lot", type = "text", label = "Numéro de lot", required = true, max_length = 30,
          pattern = "[%w%-/]+", pattern_message = "Lettres, chiffres, tirets et barres obliques uniquement." },
        { name = "date_reception", type = "date", label = "Reçu le", required = true, max = "today" },
        { name = "date_peremption", type = "date", label = "Date de péremption", required = true },
        { name = "doses_recues", type = "integer", label = "Doses reçues", required = true,
          min = 1, max = 1000000 },
        { name = "prix_unitaire", type = "money", label = "Prix unitaire HT par dose", min = 0, max = 500,
          help = "Laisser vide pour les doses fournies gratuitement par l'État." },
        { name = "fournisseur", type = "choice", label = "Fournisseur", required = true, widget = "radio",
          options = {
            { "spf", "Santé publique France" },
            { "laboratoire", "Laboratoire titulaire" },
            { "grossiste", "Grossiste-répartiteur" },
          } },
        { name = "conservation", type = "choice", label = "Conservation", required = true, widget = "radio",
          options = { { "2_8", "+2 °C à +8 °C" }, { "moins_20", "−25 °C à −15 °C" },
                      { "moins_80", "−90 °C à −60 °C" } } },
        { name = "bon_livraison", type = "file", label = "Bon de livraison (PDF)",
          max_size = 5 * 1024 * 1024, accept = { "application/pdf" } },
        { name = "remarques", type = "textarea", label = "Remarques", max_length = 2000 },
      },
      validate = function(r)
        if r.date_reception and r.date_peremption and r.date_peremption <= r.date_reception then
          return { date_peremption = "Le lot est déjà périmé à sa réception : refusez-le auprès du fournisseur." }
        end
      end,
      access = {
        create = { "pharmacie" },
        read = { pharmacie = "all" },
        update = { "pharmacie" },
        delete = { "pharmacie" },
      },
      list = {
        columns = { "vaccin", "numero_lot", "date_reception", "date_peremption", "doses_recues" },
        filters = { "vaccin", "fournisseur", "conservation" },
        search = { "numero_lot", "remarques" },
        sort = "date_peremption",
        page_size = 25,
      },
    },
  },
}
