return { titel = "Demandes", forms = { { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" } } } } }
