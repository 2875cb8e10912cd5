-- An info item without its text, options on a yes_no, a bad name on an info item.
return { title = "X", version = "1", roles = { a = "A" }, forms = { { id = "f", title = "F",
  fields = { { type = "info", label = "Sans texte" },
             { name = "ok", type = "yes_no", label = "Ok", options = { "a" } },
             { type = "info", text = "t", name = "Bad-Name" } },
  access = { create = { "a" }, read = { a = "all" } } } } }
