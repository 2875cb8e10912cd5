-- Fixture for the HTTP tests: every field type, access rules, hooks, a workflow.
return {
  title = "Essai",
  description = "Application de test",
  owner = "Tests",
  version = "1.0.0",
  roles = { demandeur = "Demandeur", agent = "Agent", chef = "Chef de service" },
  privacy = { purpose = "Tests", legal_basis = "tests", retention_days = 30 },
  forms = {
    {
      id = "demande",
      title = "Demande",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true, max_length = 50 },
        { name = "details", type = "textarea", label = "Détails" },
        { name = "quantite", type = "integer", label = "Quantité", required = true, min = 1, max = 100,
          help = "Nombre d'unités demandées." },
        { name = "taux", type = "decimal", label = "Taux", scale = 2 },
        { name = "montant", type = "money", label = "Montant", max = 10000 },
        { name = "urgent", type = "boolean", label = "Urgent" },
        { name = "motif", type = "textarea", label = "Motif de l'urgence",
          visible_if = { urgent = true }, required = true },
        { name = "le", type = "date", label = "Pour le", min = "2020-01-01" },
        { name = "rdv", type = "datetime", label = "Rendez-vous" },
        { name = "courriel", type = "email", label = "Courriel", personal = true },
        { name = "tel", type = "phone", label = "Téléphone", personal = true },
        { name = "cp", type = "postal_code", label = "Code postal" },
        { name = "siret", type = "siret", label = "SIRET" },
        { name = "siren", type = "siren", label = "SIREN" },
        { name = "iban", type = "iban", label = "IBAN" },
        { name = "site", type = "url", label = "Site" },
        { name = "categorie", type = "choice", label = "Catégorie",
          options = { { "a", "Catégorie A" }, { "b", "Catégorie B" } }, default = "a" },
        { name = "tags", type = "multichoice", label = "Étiquettes", options = { "x", "y", "z" }, max = 2 },
        { name = "precision", type = "text", label = "Précision",
          required_if = { categorie = "b" } },
        { name = "total", type = "integer", label = "Total", compute = function(r)
            return (r.quantite or 0) * 2 end },
        { name = "note_interne", type = "textarea", label = "Note interne", private = { "agent" },
          editable_by = { "agent" } },
        { name = "reference", type = "text", label = "Référence", readonly = true },
      },
      validate = function(r)
        if r.objet == "interdit" then return { objet = "Cet objet est interdit." } end
        if r.quantite == 13 then return { _ = "Pas de 13." } end
      end,
      on_create = function(r, ctx)
        r.reference = "REF-" .. (ctx.user and ctx.user.login or "anonyme")
      end,
      access = { create = { "demandeur" }, read = { demandeur = "own", agent = "all" },
                 delete = { "chef" } },
      list = { columns = { "objet", "quantite", "categorie" }, filters = { "categorie", "urgent" },
               search = { "objet", "details" }, sort = "-created_at", page_size = 10 },
      workflow = {
        initial = "deposee",
        states = {
          { id = "deposee", label = "Déposée", editable_by = { "owner", "agent" }, due_days = 2 },
          { id = "traitee", label = "Traitée", final = true },
        },
        transitions = {
          { id = "traiter", label = "Traiter", from = "deposee", to = "traitee", roles = { "agent" } },
        },
      },
    },
    {
      id = "signalement",
      title = "Signalement",
      fields = {
        { name = "lieu", type = "text", label = "Lieu", required = true },
        { name = "description", type = "textarea", label = "Description", required = true },
      },
      access = { create = { "public" }, read = { agent = "all" }, update = { "agent" } },
    },
    {
      id = "lent",
      title = "Boucle",
      fields = {
        { name = "x", type = "text", label = "X" },
      },
      validate = function(r) while true do end end,
      access = { create = { "user" }, read = { user = "own" } },
    },
  },
}
