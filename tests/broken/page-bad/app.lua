-- Steps with typos: page that is no boolean, page on a field, page in a transition's fields.
return {
  title = "Étapes",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "f",
      title = "F",
      fields = {
        { type = "section", label = "Un", page = "oui" },
        { name = "a", type = "text", label = "A", page = true },
      },
      access = { create = { "agent" } },
      workflow = {
        initial = "x",
        states = { { id = "x", label = "X" }, { id = "y", label = "Y" } },
        transitions = {
          { id = "t", label = "T", from = "x", to = "y", roles = { "agent" },
            fields = { { type = "section", label = "Étape", page = true },
                       { name = "b", type = "text", label = "B" } } },
        },
      },
    },
  },
}
