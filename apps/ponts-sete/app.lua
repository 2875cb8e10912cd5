-- Ouvertures des ponts mobiles de Sète — Région Occitanie, port de Sète (exemple smallapps).
--
-- Les armateurs (pêche, conchyliculture, commerce, transport de passagers...) demandent
-- l'ouverture des ponts mobiles pour un créneau ; le service de régulation des ponts
-- planifie le créneau, le confirme le jour venu (conditions météo), puis consigne le
-- passage, ou refuse. Une demande restée sans planification 3 jours expire d'elle-même.

local ponts = require "lib.ponts"

-- Délai de prévenance pour une demande en ligne (heures).
local PREVENANCE_H = 24
-- Au-delà de ce vent moyen, les ponts ne sont pas manœuvrés (seuil d'exploitation
-- à confirmer avec la capitainerie).
local VENT_MAX_KN = 35

local SIGNATURE = "\n\nService de régulation des ponts mobiles — Port de Sète\n"
  .. "Message automatique : pour toute question, appelez la régulation sur la VHF ou par téléphone."

-- Le créneau confirmé sert à deux transitions (planifier, replanifier) : une seule définition.
local CRENEAU_CONFIRME = {
  name = "creneau_confirme", type = "datetime", label = "Créneau d'ouverture retenu",
  required = true, min = "today",
  help = "Heure locale de début de manœuvre du premier pont.",
}

local NOTIFY_PLANIFIEE = {
  to = "field:contact_email",
  subject = "Ouverture planifiée pour le {{navire}} : {{creneau_confirme}}",
  body = "Bonjour,\n\n"
    .. "L'ouverture des ponts demandée pour le navire {{navire}} est planifiée le {{creneau_confirme}} "
    .. "(demande initiale : {{creneau_souhaite}}).\n"
    .. "Présentez-vous 15 minutes avant le créneau et restez à l'écoute de la VHF. "
    .. "La manœuvre sera confirmée le jour même selon les conditions météorologiques." .. SIGNATURE,
}

-- string.upper ne connaît que l'ASCII : « Sirène » deviendrait « SIRèNE ».
local MAJ = {
  ["à"] = "À", ["â"] = "Â", ["ä"] = "Ä", ["ç"] = "Ç", ["é"] = "É", ["è"] = "È", ["ê"] = "Ê",
  ["ë"] = "Ë", ["î"] = "Î", ["ï"] = "Ï", ["ô"] = "Ô", ["ö"] = "Ö", ["ù"] = "Ù", ["û"] = "Û",
  ["ü"] = "Ü", ["ÿ"] = "Ÿ", ["œ"] = "Œ", ["æ"] = "Æ",
}
local function capitales(s)
  return (s:upper():gsub("[\xC3\xC5][\x80-\xBF]", MAJ))
end

return {
  title = "Ouvertures des ponts mobiles de Sète",
  description = "Demandes d'ouverture des ponts mobiles du port de Sète par les armateurs "
    .. "et planification par le service de régulation.",
  owner = "DSIUN Région Occitanie — Pôle Small Apps",
  version = "2.0.1",

  roles = {
    armateur = "Armateur ou capitaine",
    regulation = "Service de régulation des ponts",
  },

  privacy = {
    purpose = "Instruction et planification des demandes d'ouverture des ponts mobiles du port de Sète",
    legal_basis = "mission d'intérêt public (article 6-1-e du RGPD) — exploitation du port régional",
    retention_days = 365,
    contact = "dpd@region-occitanie.example",
    recipients = {
      "Service de régulation des ponts mobiles",
      "Capitainerie du port de Sète",
    },
  },

  forms = {
    {
      id = "ouverture",
      title = "Demande d'ouverture des ponts",
      description = "Demande à déposer au moins 24 heures avant le passage. "
        .. "Les ouvertures réglementaires à heures fixes n'ont pas besoin de demande.",
      -- Une demande se prépare souvent en plusieurs fois (horaires, tirant d'air…).
      drafts = { days = 14 },

      fields = {
        { name = "s_armement", type = "section", label = "Armement", page = true },
        { name = "societe", type = "text", label = "Armateur (raison sociale)", required = true,
          max_length = 120 },
        { name = "siret", type = "siret", label = "SIRET de l'armateur", required = true },
        { name = "contact_nom", type = "text", label = "Personne à contacter", required = true,
          max_length = 120, personal = true },
        { name = "contact_email", type = "email", label = "Courriel", required = true, personal = true,
          help = "La planification et la confirmation y sont envoyées." },
        { name = "telephone_capitaine", type = "phone", label = "Téléphone du capitaine à bord",
          required = true, personal = true, help = "Appelé par la régulation en cas d'imprévu." },

        { name = "s_navire", type = "section", label = "Navire", page = true },
        { name = "navire", type = "text", label = "Nom du navire", required = true, max_length = 60 },
        { name = "categorie", type = "choice", label = "Type de navire", required = true, widget = "select",
          options = {
            { "peche", "Pêche" },
            { "conchyliculture", "Conchyliculture" },
            { "commerce", "Commerce (marchandises)" },
            { "passagers", "Transport de passagers" },
            { "travaux", "Travaux maritimes, dragage" },
            { "plaisance_pro", "Plaisance professionnelle (location, convoyage)" },
            { "autre", "Autre" },
          } },
        { name = "imo", type = "text", label = "Numéro OMI (IMO)", max_length = 7,
          pattern = "%d%d%d%d%d%d%d", pattern_message = "Le numéro OMI compte 7 chiffres, sans le préfixe « IMO ».",
          required_if = { categorie = { "commerce", "passagers", "travaux" } } },
        { name = "immatriculation", type = "text", label = "Immatriculation (quartier maritime)",
          max_length = 20, placeholder = "ST 123456",
          required_if = { categorie = { "peche", "conchyliculture", "plaisance_pro" } } },
        { name = "pavillon", type = "choice", label = "Pavillon", widget = "select", default = "FR",
          options = { { "FR", "France" }, { "ES", "Espagne" }, { "IT", "Italie" }, { "MT", "Malte" },
                      { "PT", "Portugal" }, { "autre", "Autre" } } },
        { name = "longueur", type = "decimal", label = "Longueur hors tout (m)", required = true,
          min = 3, max = 160, scale = 2 },
        { name = "largeur", type = "decimal", label = "Largeur (m)", required = true,
          min = 1, max = 30, scale = 2 },
        { name = "tirant_air", type = "decimal", label = "Tirant d'air (m)", required = true,
          min = 0.5, max = 60, scale = 2,
          help = "Hauteur au-dessus de la flottaison du point le plus haut du navire." },
        { name = "tirant_eau", type = "decimal", label = "Tirant d'eau (m)", required = true,
          min = 0.2, max = 8, scale = 2 },
        { name = "personnes_a_bord", type = "integer", label = "Personnes à bord", required = true,
          min = 1, max = 1500 },
        { name = "suivi_ais", type = "url", label = "Lien de suivi AIS",
          placeholder = "https://", help = "Facultatif : page publique de position du navire." },

        { name = "s_passage", type = "section", label = "Passage demandé", page = true },
        { name = "sens", type = "choice", label = "Sens du passage", required = true, widget = "radio",
          options = { { "vers_etang", "Vers l'étang de Thau (entrée)" }, { "vers_mer", "Vers la mer (sortie)" } } },
        { name = "ponts", type = "multichoice", label = "Ponts à franchir", required = true,
          options = ponts.options(), min = 1, max = 5 },
        { name = "creneau_souhaite", type = "datetime", label = "Créneau souhaité", required = true,
          min = "today", help = "Heure locale de présentation devant le premier pont." },
        { name = "ouverture_necessaire", type = "boolean", label = "Ouverture nécessaire",
          help = "Calculé : le tirant d'air du navire dépasse celui d'au moins un pont fermé.",
          compute = function(r)
            return ponts.ouverture_necessaire(r.tirant_air, r.ponts)
          end },
        { name = "remorquage", type = "boolean", label = "Navire remorqué ou assisté d'un remorqueur",
          default = false },
        { name = "matieres_dangereuses", type = "boolean", label = "Transport de matières dangereuses",
          default = false },
        { name = "classe_imdg", type = "multichoice", label = "Classes IMDG transportées",
          visible_if = { matieres_dangereuses = true }, required = true,
          options = { { "1", "1 — Explosifs" }, { "2", "2 — Gaz" }, { "3", "3 — Liquides inflammables" },
                      { "4", "4 — Solides inflammables" }, { "5", "5 — Comburants, peroxydes" },
                      { "6", "6 — Toxiques, infectieux" }, { "7", "7 — Radioactifs" },
                      { "8", "8 — Corrosifs" }, { "9", "9 — Divers" } } },
        { name = "observations", type = "textarea", label = "Observations", max_length = 2000 },

        { name = "s_regulation", type = "section", label = "Régulation" },
        { name = "note_regulation", type = "textarea", label = "Note interne de la régulation",
          max_length = 4000, private = { "regulation" }, editable_by = { "regulation" } },
        { name = "ecart_minutes", type = "integer", label = "Écart passage / créneau (minutes)",
          readonly = true, help = "Renseigné au passage : positif en cas de retard." },
      },

      validate = function(r, ctx)
        local err = {}

        if r.imo and not ponts.imo_valide(r.imo) then
          err.imo = "Ce numéro OMI n'est pas valide (clé de contrôle erronée)."
        end

        if type(r.largeur) == "number" and type(r.longueur) == "number" and r.largeur >= r.longueur then
          err.largeur = "La largeur doit être inférieure à la longueur."
        end

        -- Inutile de faire lever les ponts pour un navire qui passe dessous.
        if ponts.ouverture_necessaire(r.tirant_air, r.ponts) == false then
          local h, nom = ponts.tirant_air_min(r.ponts)
          err.tirant_air = string.format("Avec %s m de tirant d'air, le navire passe sous les ponts fermés "
            .. "(%s m sous le %s) : aucune ouverture n'est nécessaire.",
            ponts.metres(r.tirant_air), ponts.metres(h), nom)
        end

        -- Délai de prévenance, compté depuis le dépôt de la demande.
        if r.creneau_souhaite then
          local depot = r.created_at or ctx.now
          local ecart = ponts.ecart_minutes(depot, r.creneau_souhaite)
          if ecart and ecart < PREVENANCE_H * 60 then
            err.creneau_souhaite = string.format("Les demandes doivent parvenir au moins %d heures avant "
              .. "le passage. Pour une urgence, appelez la régulation des ponts.", PREVENANCE_H)
          end
        end

        if next(err) then return err end
      end,

      on_create = function(r)
        -- Noms et immatriculations de navires en capitales, comme sur les documents de bord.
        if r.navire then r.navire = capitales(r.navire) end
        if r.immatriculation then r.immatriculation = capitales(r.immatriculation) end
      end,

      access = {
        create = { "armateur", "regulation" },   -- la régulation saisit les demandes reçues par téléphone
        read = { armateur = "own", regulation = "all" },
        delete = { "regulation" },
      },

      list = {
        columns = { "navire", "creneau_souhaite", "sens", "ponts", "longueur", "tirant_air" },
        filters = { "categorie", "sens", "ponts", "matieres_dangereuses" },
        search = { "navire", "societe", "imo", "immatriculation" },
        sort = "creneau_souhaite",
        page_size = 50,
      },

      workflow = {
        initial = "demandee",
        states = {
          { id = "demandee", label = "Demandée",
            description = "La demande attend sa planification par la régulation (sous 24 h). "
              .. "Sans planification sous 3 jours, elle expire.",
            editable_by = { "owner", "regulation" }, due_days = 1 },
          { id = "planifiee", label = "Planifiée",
            description = "Un créneau d'ouverture est retenu ; il sera confirmé le jour du passage.",
            editable_by = { "regulation" }, due_days = 7 },
          { id = "confirmee", label = "Confirmée",
            description = "La manœuvre est confirmée (conditions météo vérifiées).",
            editable_by = { "regulation" }, due_days = 1 },
          { id = "passee", label = "Passage effectué", final = true,
            description = "Le navire a franchi les ponts." },
          { id = "absente", label = "Navire absent", final = true,
            description = "Le navire ne s'est pas présenté au créneau confirmé." },
          { id = "refusee", label = "Refusée", final = true,
            description = "La régulation a refusé la demande ; le motif est dans l'historique." },
          { id = "annulee", label = "Annulée", final = true,
            description = "L'armateur a annulé sa demande." },
          { id = "expiree", label = "Expirée", final = true,
            description = "La demande n'a pas été planifiée dans les 3 jours." },
        },
        transitions = {
          { id = "planifier", label = "Planifier", from = "demandee", to = "planifiee",
            roles = { "regulation" }, comment = "optional",
            fields = { CRENEAU_CONFIRME },
            notify = NOTIFY_PLANIFIEE },

          { id = "replanifier", label = "Changer de créneau", from = { "planifiee", "confirmee" },
            to = "planifiee", roles = { "regulation" }, comment = "required",
            fields = { CRENEAU_CONFIRME },
            notify = NOTIFY_PLANIFIEE },

          { id = "confirmer", label = "Confirmer la manœuvre", from = "planifiee", to = "confirmee",
            roles = { "regulation" }, self_approval = false, comment = "optional",
            fields = {
              { name = "vent_kn", type = "integer", label = "Vent moyen relevé (nœuds)", required = true,
                min = 0, max = 120 },
            },
            guard = function(r, ctx)
              local avant = ponts.ecart_minutes(ctx.now, r.creneau_confirme)
              if avant and avant > 48 * 60 then
                return false, "La manœuvre se confirme au plus tôt 48 heures avant le créneau ("
                  .. ponts.format(r.creneau_confirme) .. ")."
              end
              if math.type(r.vent_kn) == "integer" and r.vent_kn > VENT_MAX_KN then
                return false, string.format("Vent de %d nœuds : au-delà de %d nœuds, les ponts ne sont pas "
                  .. "manœuvrés. Changez de créneau.", r.vent_kn, VENT_MAX_KN)
              end
              return true
            end,
            notify = {
              to = "field:contact_email",
              subject = "Ouverture confirmée pour le {{navire}} : {{creneau_confirme}}",
              body = "Bonjour,\n\nLa manœuvre des ponts pour le navire {{navire}} est confirmée "
                .. "le {{creneau_confirme}}. Le capitaine sera appelé au {{telephone_capitaine}} "
                .. "en cas d'imprévu." .. SIGNATURE,
            } },

          { id = "consigner_passage", label = "Consigner le passage", from = "confirmee", to = "passee",
            roles = { "regulation" }, comment = "optional",
            fields = {
              { name = "heure_passage", type = "datetime", label = "Heure de passage du dernier pont",
                required = true, max = "today+1" },
            },
            action = function(r, ctx)
              r.ecart_minutes = ponts.ecart_minutes(r.creneau_confirme, r.heure_passage)
              if r.ecart_minutes and r.ecart_minutes > 30 then
                ctx.log(string.format("passage du %s avec %d min de retard", tostring(r.navire), r.ecart_minutes))
              end
            end },

          { id = "declarer_absent", label = "Navire absent", from = "confirmee", to = "absente",
            roles = { "regulation" }, comment = "optional",
            notify = {
              to = "field:contact_email",
              subject = "Navire {{navire}} absent au créneau {{creneau_confirme}}",
              body = "Bonjour,\n\nLe navire {{navire}} ne s'est pas présenté à l'ouverture confirmée "
                .. "le {{creneau_confirme}}. Pour un nouveau passage, déposez une nouvelle demande." .. SIGNATURE,
            } },

          { id = "refuser", label = "Refuser", from = { "demandee", "planifiee" }, to = "refusee",
            roles = { "regulation" }, comment = "required",
            fields = {
              { name = "motif_refus", type = "choice", label = "Motif du refus", required = true,
                widget = "select",
                options = { "Gabarit incompatible", "Créneau indisponible (travaux, événement)",
                            "Conditions météorologiques", "Ouverture inutile (ouverture réglementaire proche)",
                            "Demande incomplète", "Autre motif" } },
            },
            notify = {
              to = "field:contact_email",
              subject = "Demande d'ouverture refusée pour le {{navire}}",
              body = "Bonjour,\n\nLa demande d'ouverture des ponts pour le navire {{navire}} "
                .. "({{creneau_souhaite}}) est refusée.\nMotif : {{motif_refus}}.\n"
                .. "Le détail figure dans l'historique de la demande." .. SIGNATURE,
            } },

          { id = "annuler", label = "Annuler la demande", from = { "demandee", "planifiee", "confirmee" },
            to = "annulee", roles = { "owner" }, comment = "optional",
            notify = {
              to = "role:regulation",
              subject = "Annulation : {{navire}} ({{creneau_souhaite}})",
              body = "L'armateur {{societe}} a annulé la demande d'ouverture pour le navire {{navire}}.",
            } },

          { id = "expirer", label = "Expirer la demande", from = "demandee", to = "expiree", after_days = 3,
            notify = {
              to = "field:contact_email",
              subject = "Demande d'ouverture expirée pour le {{navire}}",
              body = "Bonjour,\n\nVotre demande d'ouverture pour le navire {{navire}} ({{creneau_souhaite}}) "
                .. "n'a pas pu être planifiée et a expiré. Déposez une nouvelle demande si le passage "
                .. "est toujours d'actualité." .. SIGNATURE,
            } },
        },
      },
    },
  },
}
