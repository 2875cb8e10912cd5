-- Fixture for tests/http/lua_errors.py: a validate hook that fails in lib/calcul.lua.
local calcul = require "lib.calcul"

return {
  title = "Traces",
  description = "Une erreur Lua dans lib/, appelée depuis app.lua",
  owner = "Tests",
  version = "1.0.0",
  privacy = { purpose = "Tests", legal_basis = "tests", retention_days = 30 },
  forms = {
    {
      id = "facture",
      title = "Facture",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true },
      },
      validate = function(r)
        local total = calcul.total(r) -- the app.lua line the log names
        if total < 0 then return { objet = "Total négatif." } end
      end,
      access = { create = { "user" }, read = { user = "own" } },
    },
  },
}
