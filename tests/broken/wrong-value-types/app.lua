return { title = 12, forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "nom", type = "text", label = "Nom", required = "oui", max_length = "long" },
  } },
} }
