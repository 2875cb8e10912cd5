-- Fixture for repeated lines (repeat, SPEC 4.3): tests/http/lines.py.
return {
  title = "Commandes en lignes",
  version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "commande",
      title = "Commande",
      drafts = true,
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true, max_length = 80 },
        { name = "lignes", type = "repeat", label = "Articles commandés", min = 1, max = 3,
          required = true,
          fields = {
            { name = "article", type = "choice", label = "Article", required = true,
              options = { { "stylo", "Stylo" }, { "cahier", "Cahier" }, { "agrafeuse", "Agrafeuse" } },
              widget = "select" },
            { name = "quantite", type = "integer", label = "Quantité", required = true,
              min = 1, max = 500, messages = { max = "500 au plus par ligne." } },
            { name = "prix", type = "money", label = "Prix unitaire" },
            { name = "urgent", type = "boolean", label = "Urgent" },
          } },
        { name = "total", type = "integer", label = "Quantité totale", readonly = true,
          compute = function(r)
            local n = 0
            for _, l in ipairs(r.lignes or {}) do n = n + (l.quantite or 0) end
            return n
          end },
      },
      validate = function(r)
        for i, l in ipairs(r.lignes or {}) do
          if l.article == "agrafeuse" and l.quantite > 2 then
            return { ["lignes[" .. i .. "].quantite"] = "Deux agrafeuses au plus." }
          end
        end
      end,
      access = { create = { "user" }, read = { user = "own" }, update = { "user" } },
      list = { columns = { "objet", "lignes", "total" } },
    },
  },
}
