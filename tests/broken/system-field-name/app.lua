return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "state", type = "text", label = "État" },
    { name = "created_by", type = "text", label = "Auteur" },
  } },
} }
