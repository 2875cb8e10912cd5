return { title = "Demandes", roles = { Chef = "Chef" }, forms = {
  { id = "Demande", title = "Demande", fields = {
    { name = "nom-complet", type = "text", label = "Nom" },
  } },
} }
