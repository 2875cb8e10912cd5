-- bench/apps/boucle: the app of the `isolation` scenario, whose validate hook never
-- ends (a careless or hostile definition). Served beside the repository's apps while
-- the bench reads another app's record page; each create here must cost that app
-- nothing but a stopped call, then a 503 once the engine suspends this app's code.
return {
  title = "Boucle (bench)",
  forms = {
    {
      id = "interne",
      title = "Dépôt qui boucle",
      fields = { { name = "x", type = "text", label = "X" } },
      validate = function(r) while true do end end,
      access = { create = { "user" }, read = { user = "own" } },
    },
  },
}
