-- Fixture for the territory fields of issue 12.2 (tests/http/geo.py): commune, departement,
-- region, epci, with and without restrictions; its tests/ run through `smallapps test`.
return {
  title = "Territoires",
  version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "signalement",
      title = "Signalement",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true },
        { name = "commune", type = "commune", label = "Commune", required = true },
        { name = "commune_herault", type = "commune", label = "Commune de l'Hérault",
          departement = "34" },
        { name = "departement", type = "departement", label = "Département", region = "76" },
        { name = "region", type = "region", label = "Région" },
        { name = "epci", type = "epci", label = "Intercommunalité" },
        { name = "ancienne", type = "commune", label = "Commune d'origine", deleguees = true },
      },
      list = { columns = { "objet", "commune", "departement" }, filters = { "commune" } },
      access = { create = { "user" }, update = { "user" },
                 read = { user = "own", agent = "all" } },
    },
  },
}
