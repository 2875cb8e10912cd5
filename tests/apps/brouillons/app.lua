-- Fixture for drafts (tests/http/drafts.py): a request with required fields and drafts
-- kept 30 days, the same in steps kept one day, an anonymous complaint with drafts, and
-- a form without drafts.
return {
  title = "Brouillons",
  version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "demande",
      title = "Demande de subvention",
      drafts = true,
      fields = {
        { name = "nom", type = "text", label = "Nom", required = true },
        { name = "montant", type = "integer", label = "Montant", required = true, min = 1 },
        { name = "motif", type = "textarea", label = "Motif" },
        { name = "note", type = "text", label = "Note de l'agent", editable_by = { "agent" } },
      },
      access = { create = { "user" }, read = { user = "own", agent = "all" } },
      workflow = {
        initial = "recue",
        states = { { id = "recue", label = "Reçue" }, { id = "close", label = "Close", final = true } },
        transitions = { { id = "clore", label = "Clore", from = "recue", to = "close", roles = { "agent" } } },
      },
    },
    {
      id = "etapes",
      title = "Demande en étapes",
      drafts = { days = 1 },
      fields = {
        { type = "section", label = "Vous", page = true },
        { name = "nom", type = "text", label = "Nom", required = true },
        { type = "section", label = "Projet", page = true },
        { name = "projet", type = "text", label = "Projet", required = true },
      },
      access = { create = { "user" }, read = { user = "own" } },
    },
    {
      id = "plainte",
      title = "Plainte",
      drafts = true,
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true },
        { name = "detail", type = "textarea", label = "Détail", required = true },
      },
      access = { create = { "public" }, read = { agent = "all" } },
    },
    {
      id = "simple",
      title = "Sans brouillon",
      fields = { { name = "nom", type = "text", label = "Nom", required = true } },
      access = { create = { "user" }, read = { user = "own" } },
    },
  },
}
