return { title = "Demandes", forms = {
  { id = "demande", title = "Demande", fields = {
    { name = "urgent", type = "boolean", label = "Urgent" },
    { name = "vaccin", type = "choice", label = "Vaccin", options = { "pfizer", "moderna" } },
    { name = "motif", type = "textarea", label = "Motif", visible_if = { urgnt = true } },
    { name = "detail", type = "text", label = "Détail", required_if = { urgent = "oui" } },
    { name = "lot", type = "text", label = "Lot", visible_if = { vaccin = "pfzer" } },
    { name = "soi", type = "text", label = "Soi", visible_if = { soi = "x" } },
  } },
} }
