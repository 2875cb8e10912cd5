return { title = "Demandes", roles = { agent = "Agent", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" },
      { name = "contact", type = "email", label = "Contact" } },
    workflow = { initial = "a",
      states = { { id = "a" }, { id = "fin", final = true } },
      transitions = { { id = "finir", from = "a", to = "fin", after_days = 0 } } } },
} }
