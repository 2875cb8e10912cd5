return { title = "Demandes", roles = { agent = "Agent", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" },
      { name = "contact", type = "email", label = "Contact" } },
    workflow = { initial = "ouverte",
      states = { { id = "ouverte", due_day = 3 }, { id = "close", fianl = true } },
      transitions = { { id = "fermer", from = "ouverte", to = "close", roles = { "agent" }, gaurd = function() return true end } } } },
} }
