-- Quorum typos: a count under 2, a distinct that is no boolean, an unknown key, a quorum
-- on an automatic transition, approvals that are no table.
return {
  title = "Approbations",
  roles = { elu = "Élu" },
  forms = {
    {
      id = "f",
      title = "F",
      fields = { { name = "objet", type = "text", label = "Objet" } },
      access = { create = { "elu" } },
      workflow = {
        initial = "a",
        states = { { id = "a", label = "A" }, { id = "b", label = "B" } },
        transitions = {
          { id = "t1", label = "T1", from = "a", to = "b", roles = { "elu" },
            approvals = { count = 1 } },
          { id = "t2", label = "T2", from = "a", to = "b", roles = { "elu" },
            approvals = { count = 2, distinct = "oui", quorum = 3 } },
          { id = "t3", label = "T3", from = "a", to = "b", after_days = 3,
            approvals = { count = 2 } },
          { id = "t4", label = "T4", from = "a", to = "b", roles = { "elu" },
            approvals = 2 },
          { id = "t5", label = "T5", from = "a", to = "b", roles = { "elu" },
            approvals = { distinct = true } },
        },
      },
    },
  },
}
