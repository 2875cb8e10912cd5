-- Fixture for quorum approvals (tests/http/workflow.py): a deliberation adopted when two
-- distinct elected members approved it, never by the one who drafted it.
return {
  title = "Quorum",
  version = "1.0.0",
  roles = { redacteur = "Rédacteur", elu = "Élu" },
  forms = {
    {
      id = "deliberation",
      title = "Délibération",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true },
      },
      access = { create = { "redacteur" }, read = { redacteur = "all", elu = "all" } },
      workflow = {
        initial = "proposee",
        states = {
          { id = "proposee", label = "Proposée" },
          { id = "adoptee", label = "Adoptée" },
        },
        transitions = {
          { id = "adopter", label = "Adopter", from = "proposee", to = "adoptee",
            roles = { "elu" }, self_approval = false, comment = "optional",
            approvals = { count = 2, distinct = true } },
          { id = "rouvrir", label = "Rouvrir", from = "adoptee", to = "proposee",
            roles = { "elu" } },
        },
      },
    },
  },
}
