-- Fixture for the reference field type (issue 12.3, tests/http/reference.py): a rendez-vous
-- names its centre (few records: a select) and its lieu (many: a text box with a search).
-- Centres are read by their authors only, or by "gestion"; "secretariat" reads every
-- rendez-vous but no centre, so it must see numbers, never a centre's name.
return {
  title = "Liens",
  version = "1.0.0",
  roles = { gestion = "Gestion", secretariat = "Secrétariat" },
  forms = {
    {
      id = "centre",
      title = "Centre",
      fields = {
        { name = "nom", type = "text", label = "Nom", required = true },
        { name = "ville", type = "text", label = "Ville" },
      },
      access = { create = { "user" }, read = { user = "own", gestion = "all" },
                 delete = { "owner" } },
    },
    {
      id = "lieu",
      title = "Lieu",
      fields = {
        { name = "nom", type = "text", label = "Nom", required = true },
      },
      access = { create = { "gestion" }, read = { user = "all" } },
    },
    {
      id = "rdv",
      title = "Rendez-vous",
      fields = {
        { name = "patient", type = "text", label = "Patient", required = true },
        { name = "centre", type = "reference", label = "Centre", form = "centre",
          label_field = "nom", required = true },
        { name = "lieu", type = "reference", label = "Lieu", form = "lieu", label_field = "nom" },
      },
      list = { columns = { "patient", "centre", "lieu" } },
      access = { create = { "user" }, update = { "user" },
                 read = { user = "own", gestion = "all", secretariat = "all" } },
    },
    {
      id = "dossier",
      title = "Dossier",
      fields = { { name = "objet", type = "text", label = "Objet", required = true } },
      access = { create = { "user" }, read = { user = "own" } },
      workflow = {
        initial = "ouvert",
        states = { { id = "ouvert", label = "Ouvert" }, { id = "oriente", label = "Orienté", final = true } },
        transitions = {
          { id = "orienter", label = "Orienter", from = "ouvert", to = "oriente", roles = { "owner" },
            fields = { { name = "vers", type = "reference", label = "Vers le centre", form = "centre",
                         label_field = "nom", required = true } } },
        },
      },
    },
  },
}
