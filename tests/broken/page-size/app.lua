return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" } },
    list = { page_size = 1000, colums = { "nom" } } },
} }
