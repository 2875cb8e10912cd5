-- A repeat written wrong in every way the linter knows.
return {
  title = "Lignes fautives",
  forms = {
    {
      id = "f",
      title = "F",
      fields = {
        { name = "a", type = "repeat", label = "Sans champs" },
        { name = "b", type = "repeat", label = "Vide", fields = {} },
        { name = "c", type = "repeat", label = "Types", fields = {
            { name = "piece", type = "file", label = "Pièce" },
            { name = "sous", type = "repeat", label = "Sous-lignes", fields = { { name = "x", type = "text", label = "X" } } },
            { name = "t", type = "section", label = "Titre" },
          } },
        { name = "d", type = "repeat", label = "Clés", min = 5, max = 2, fields = {
            { name = "q", type = "integer", label = "Q", compute = function() return 1 end,
              visible_if = { q = 1 }, default = 3 },
            { name = "q", type = "integer", label = "Q bis" },
          } },
        { name = "e", type = "repeat", label = "Trop", max = 500, fields = { { name = "x", type = "text", label = "X" } } },
        { name = "g", type = "text", label = "G", visible_if = { e = "x" } },
      },
      list = { filters = { "e" }, sort = "e" },
      workflow = {
        initial = "a",
        states = { { id = "a", label = "A" }, { id = "b", label = "B", final = true } },
        transitions = {
          { id = "t", label = "T", from = "a", to = "b", roles = { "user" },
            fields = { { name = "z", type = "repeat", label = "Lignes", fields = { { name = "x", type = "text", label = "X" } } } } },
        },
      },
    },
  },
}
