return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "centre", type = "text", label = "Centre" },
    { name = "doses", type = "integer", label = "Doses" },
  }, list = { columns = { "centr", "doses" }, filters = { "dose" }, search = { "doses" }, sort = "-creatd_at" } },
} }
