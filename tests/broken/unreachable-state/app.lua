return { title = "Demandes", roles = { agent = "Agent", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" },
      { name = "contact", type = "email", label = "Contact" } },
    workflow = { initial = "ouverte",
      states = { { id = "ouverte" }, { id = "oubliee" }, { id = "close", final = true } },
      transitions = { { id = "fermer", from = { "ouverte", "oubliee" }, to = "close", roles = { "agent" } } } } },
} }
