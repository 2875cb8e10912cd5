return { title = "Demandes", roles = { agent = "Agent", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" },
      { name = "contact", type = "email", label = "Contact" } },
    workflow = { initial = "a",
      states = { { id = "a" }, { id = "b" }, { id = "c" }, { id = "fin", final = true } },
      transitions = { { id = "ab", from = "a", to = "b", after_days = 2 },
                      { id = "bc", from = "b", to = "c", after_days = 2 },
                      { id = "ca", from = "c", to = "a", after_days = 2 },
                      { id = "finir", from = { "a", "b", "c" }, to = "fin", roles = { "agent" } } } } },
} }
