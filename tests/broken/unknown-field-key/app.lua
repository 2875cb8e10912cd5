return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "nom", type = "text", lable = "Nom" },
  } },
} }
