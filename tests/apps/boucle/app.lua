-- Fixture for the isolation tests: hooks that never end, as a careless (or hostile)
-- author writes them. The engine must stop each call, keep the other apps served,
-- and suspend this app's code once it keeps doing it.
return {
  title = "Boucle",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "public",
      title = "Dépôt public qui boucle",
      fields = { { name = "x", type = "text", label = "X" } },
      validate = function(r) while true do end end,
      access = { create = { "public" }, read = { agent = "all" } },
    },
    {
      id = "interne",
      title = "Dépôt interne qui boucle",
      fields = { { name = "x", type = "text", label = "X" } },
      validate = function(r) while true do end end,
      access = { create = { "user" }, read = { user = "own" } },
    },
    {
      id = "sobre",
      title = "Sans code",
      fields = { { name = "x", type = "text", label = "X" } },
      access = { create = { "user" }, read = { user = "own" } },
    },
  },
}
