return { title = "Demandes", roles = { agent = "Agent", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" },
      { name = "contact", type = "email", label = "Contact" } },
    workflow = { initial = "ouverte",
      states = { { id = "ouverte" }, { id = "close", final = true } },
      transitions = { { id = "fermer", from = "ouverte", to = "close", roles = { "agent" },
        notify = {
          { to = "field:contat", subject = "Fermée" },
          { to = "role:chef", subject = "Fermée" },
          { to = "personne", subject = "Fermée" },
          { to = "field:nom", subject = "Fermée" },
          { to = "a@b.fr" },
          { to = "a@b.fr", subject = "Demande {{nm}}", body = "Bonjour {{ nom }}" },
        } } } } },
} }
