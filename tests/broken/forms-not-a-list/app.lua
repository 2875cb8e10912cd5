return { title = "Demandes", forms = { demande = { id = "demande", title = "Demande", fields = {} } } }
