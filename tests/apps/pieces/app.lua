-- Fixture for the attachment tests (tests/http/files.py): file fields with limits, a
-- private one, a public form, a transition that takes a file.
return {
  title = "Pièces jointes",
  description = "Dossiers avec pièces",
  owner = "Tests",
  version = "1.0.0",
  roles = { usager = "Usager", agent = "Agent" },
  privacy = { purpose = "Tests", legal_basis = "tests", retention_days = 30 },
  forms = {
    {
      id = "dossier",
      title = "Dossier",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true, personal = true },
        { name = "photo", type = "file", label = "Photo", accept = { "image/png", "image/jpeg" },
          max_size = 200000, help = "Une photo du lieu." },
        { name = "piece", type = "file", label = "Pièce justificative", accept = { "application/pdf" } },
        { name = "interne", type = "file", label = "Note interne", private = { "agent" },
          editable_by = { "agent" } },
      },
      access = { create = { "usager" }, read = { usager = "own", agent = "all" },
                 delete = { "agent" } },
      list = { columns = { "objet" } },
      workflow = {
        initial = "ouvert",
        states = {
          { id = "ouvert", label = "Ouvert", editable_by = { "owner", "agent" } },
          { id = "clos", label = "Clos", final = true },
        },
        transitions = {
          { id = "clore", label = "Clore", from = "ouvert", to = "clos", roles = { "agent" },
            fields = { { name = "reponse", type = "file", label = "Réponse signée",
                         accept = { "application/pdf" } } } },
        },
      },
    },
    {
      id = "signalement",
      title = "Signalement",
      fields = {
        { name = "lieu", type = "text", label = "Lieu", required = true },
        { name = "photo", type = "file", label = "Photo", accept = { "image/*" } },
      },
      access = { create = { "public" }, read = { agent = "all" } },
    },
  },
}
