return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "doses", type = "integer", label = "Doses", min = 10, max = 5 },
    { name = "nom", type = "text", label = "Nom", min_length = 50, max_length = 20 },
    { name = "jour", type = "date", label = "Jour", min = "2026-12-31", max = "2026-01-01" },
    { name = "fin", type = "date", label = "Fin", min = "demain" },
  } },
} }
