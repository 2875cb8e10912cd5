return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "nombre", type = "integr", label = "Nombre" },
    { name = "quand", type = "datetme", label = "Quand" },
  } },
} }
