-- Drafts with wrong values: a string, a number of days out of range, an unknown key.
return {
  title = "Brouillons",
  forms = {
    { id = "a", title = "A", fields = { { name = "x", type = "text", label = "X" } },
      drafts = "oui" },
    { id = "b", title = "B", fields = { { name = "x", type = "text", label = "X" } },
      drafts = { days = 0 } },
    { id = "c", title = "C", fields = { { name = "x", type = "text", label = "X" } },
      drafts = { days = 400 } },
    { id = "d", title = "D", fields = { { name = "x", type = "text", label = "X" } },
      drafts = { jours = 10 } },
    { id = "e", title = "E", fields = { { name = "x", type = "text", label = "X" } },
      drafts = { days = "dix" } },
  },
}
