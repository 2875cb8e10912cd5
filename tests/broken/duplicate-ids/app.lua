return { title = "Demandes", roles = { agent = "Agent" }, forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "nom", type = "text", label = "Nom" },
    { name = "nom", type = "text", label = "Nom encore" },
  },
    workflow = { initial = "ouverte",
      states = { { id = "ouverte" }, { id = "ouverte" }, { id = "close", final = true } },
      transitions = {
        { id = "fermer", from = "ouverte", to = "close", roles = { "agent" } },
        { id = "fermer", from = "ouverte", to = "close", roles = { "agent" } },
      } } },
  { id = "demande", title = "Encore", fields = { { name = "x", type = "text", label = "X" } } },
} }
