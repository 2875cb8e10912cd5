return { title = "Demandes", forms = {} }
