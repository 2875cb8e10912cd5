return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "doses", type = "integer", label = "Doses", default = "dix" },
    { name = "vaccin", type = "choice", label = "Vaccin", options = { "pfizer", "moderna" }, default = "pfzer" },
    { name = "urgent", type = "boolean", label = "Urgent", default = 1 },
    { name = "nombre", type = "integer", label = "Nombre", min = 1, max = 5, default = 9 },
    { name = "jour", type = "date", label = "Jour", default = "31/12/2026" },
  } },
} }
