return { title = "Demandes", roles = { agent = "Agent", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" },
      { name = "contact", type = "email", label = "Contact" } },
    workflow = { initial = "soumise",
      states = { { id = "soumise" }, { id = "validee", final = true } },
      transitions = {
        { id = "valider", from = "soumis", to = "validee", roles = { "agent" } },
        { id = "refuser", from = "soumise", to = "valide", roles = { "agent" } },
      } } },
} }
