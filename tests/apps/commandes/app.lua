-- A valid app exercising every part of the definition (fixture for test_loader).
local outils = require "lib.outils"

return {
  title = "Commandes de vaccins",
  description = "Les centres commandent leurs doses, la pharmacie valide et livre.",
  owner = "Pôle Small Apps — DSI",
  version = "1.0.0",
  roles = { centre = "Centre de vaccination", pharmacie = "Pharmacie départementale" },
  privacy = {
    purpose = "Gestion des commandes de doses",
    legal_basis = "mission d'intérêt public",
    retention_days = 730,
  },
  forms = {
    {
      id = "commande",
      title = "Commande de doses",
      fields = {
        { type = "section", label = "Le centre" },
        { name = "centre", type = "text", label = "Centre", required = true, max_length = 120 },
        { name = "contact", type = "email", label = "Courriel du responsable", required = true, personal = true },
        { type = "section", label = "La commande" },
        { name = "doses", type = "integer", label = "Nombre de doses", required = true, min = 10, max = 5000, default = 10 },
        { name = "vaccin", type = "choice", label = "Vaccin", required = true,
          options = { { "pfizer", "Comirnaty (Pfizer)" }, { "moderna", "Spikevax (Moderna)" } } },
        { name = "urgent", type = "boolean", label = "Commande urgente" },
        { name = "motif", type = "textarea", label = "Motif de l'urgence",
          visible_if = { urgent = true }, required = true },
        { name = "montant", type = "money", label = "Montant", compute = function(r)
            return outils.prix(r.doses or 0)
          end },
        { name = "code", type = "text", label = "Code", pattern = "%u%u%d+", editable_by = { "pharmacie" },
          private = { "pharmacie" } },
        { name = "vaccins", type = "multichoice", label = "Autres", options = { "a", "b", "c" },
          visible_if = { vaccin = { "pfizer", "moderna" } } },
      },
      validate = function(r, ctx)
        if r.vaccin == "moderna" and r.doses % 10 ~= 0 then
          return { doses = "Les flacons Spikevax contiennent 10 doses." }
        end
      end,
      on_create = function(r, ctx)
        r.code = "AB" .. tostring(r.doses)
      end,
      access = { create = { "centre" }, read = { centre = "own", pharmacie = "all" } },
      list = { filters = { "vaccin" } },
      workflow = {
        initial = "soumise",
        states = {
          { id = "soumise", label = "Soumise", editable_by = { "owner" }, due_days = 2 },
          { id = "validee", label = "Validée" },
          { id = "livree",  label = "Livrée", final = true },
          { id = "refusee", label = "Refusée", final = true },
        },
        transitions = {
          { id = "valider", label = "Valider", from = "soumise", to = "validee", roles = { "pharmacie" },
            guard = function(r, ctx)
              if r.doses > 4000 then return false, "Trop de doses" end
              return true
            end },
          { id = "refuser", label = "Refuser", from = { "soumise", "validee" }, to = "refusee",
            roles = { "pharmacie" }, comment = "required",
            notify = { to = "field:contact", subject = "Commande {{centre}} refusée", body = "Bonjour" } },
          { id = "livrer", label = "Marquer livrée", from = "validee", to = "livree", roles = { "pharmacie" },
            fields = { { name = "livree_le", type = "date", label = "Livrée le", required = true } },
            action = function(r, ctx)
              ctx.notify { to = "role:centre", subject = "Livrée", body = "ok" }
              r.code = "LIV"
            end },
          { id = "expirer", label = "Expirer", from = "validee", to = "livree", after_days = 30,
            fields = { { name = "livree_le", type = "date", label = "Livrée le" } } },
        },
      },
    },
    {
      id = "contact_form",
      title = "Contact",
      fields = {
        { name = "nom", type = "text", label = "Nom", required = true },
        { name = "message", type = "textarea", label = "Message" },
        { name = "sujet", type = "choice", label = "Sujet", options = { "a", "b", "c", "d", "e", "f" } },
        { name = "note", type = "decimal", label = "Note", scale = 1, min = 0, max = 10 },
        { name = "jour", type = "date", label = "Jour", min = "today", max = "today+30" },
        { name = "ok", type = "boolean", label = "OK", default = true },
      },
      access = { create = { "public" }, read = { pharmacie = "all" }, update = { "pharmacie" }, delete = { "admin" } },
      list = { columns = { "nom", "state", "created_at" }, sort = "nom", page_size = 50, search = { "nom" } },
    },
  },
}
