return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "vaccin", type = "choice", label = "Vaccin" },
    { name = "jours", type = "multichoice", label = "Jours", options = {} },
    { name = "lieu", type = "choice", label = "Lieu", options = { "a", { "b" }, 3, "a" } },
    { name = "mode", type = "choice", label = "Mode", options = { "x" }, widget = "liste" },
  } },
} }
