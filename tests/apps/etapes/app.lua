-- Fixture for multi-step forms (tests/http/forms.py): three steps, the second only for
-- a company, then the summary.
return {
  title = "Étapes",
  version = "1.0.0",
  forms = {
    {
      id = "demande",
      title = "Demande de subvention",
      fields = {
        { type = "section", label = "Demandeur", page = true },
        { name = "nom", type = "text", label = "Nom", required = true },
        { name = "societe", type = "yes_no", label = "Demandez-vous pour une société ?", required = true },
        { type = "section", label = "Société", page = true, visible_if = { societe = true } },
        { name = "siret", type = "siret", label = "SIRET", required = true },
        { type = "section", label = "Projet", page = true },
        { name = "montant", type = "money", label = "Montant demandé", required = true, min = 1 },
        { name = "themes", type = "multichoice", label = "Thèmes", options = { "sport", "culture", "social" } },
        { name = "urgent", type = "boolean", label = "Demande urgente" },
      },
      access = { create = { "user" }, read = { user = "own" } },
    },
  },
}
