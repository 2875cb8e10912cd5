return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", validate = "non vide",
    fields = { { name = "nom", type = "text", label = "Nom", compute = 3 } } },
} }
