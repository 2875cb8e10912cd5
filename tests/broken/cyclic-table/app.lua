local f = { id = "demande", title = "Demande", fields = { { name = "nom", type = "text", label = "Nom" } } }
f.self = f
return { title = "Demandes", forms = { f } }
