return { title = "Demandes", roles = { admin = "Administrateur", agent = 3 }, forms = { { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" } } } } }
