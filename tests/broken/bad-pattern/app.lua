return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "code", type = "text", label = "Code", pattern = "(%d+" },
    { name = "ref", type = "text", label = "Réf", pattern = "%d+%" },
    { name = "lot", type = "text", label = "Lot", pattern = "[%d" },
    { name = "num", type = "text", label = "Num", pattern = "%d)" },
  } },
} }
