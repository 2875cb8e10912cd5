return { title = "Demandes", roles = { centre = "Centre", pharmacie = "Pharmacie" }, forms = {
  { id = "demande", title = "Demande",
    fields = { { name = "nom", type = "text", label = "Nom", private = { "pharmacei" }, editable_by = { "centres" } } },
    access = { create = { "centr" }, read = { pharmacia = "all", owner = "own" }, delete = { "chef" } },
    workflow = { initial = "ouverte",
      states = { { id = "ouverte", editable_by = { "agent" } }, { id = "close", final = true } },
      transitions = { { id = "fermer", from = "ouverte", to = "close", roles = { "pharmacei", "owner" } } } } },
} }
