-- Fixture for the form items of issue 12 (tests/http/forms.py): yes_no, info.
return {
  title = "Formes",
  version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "demande",
      title = "Demande",
      fields = {
        { type = "info", label = "Avant de commencer",
          text = "Munissez-vous de votre avis d'imposition.\n\nAide : https://www.impots.gouv.fr/accueil. <b>Merci</b>" },
        { name = "objet", type = "text", label = "Objet", required = true },
        { name = "majeur", type = "yes_no", label = "Êtes-vous majeur ?", required = true },
        { name = "rappel", type = "yes_no", label = "Souhaitez-vous être rappelé ?" },
        { type = "section", label = "Représentant légal", visible_if = { majeur = false } },
        { name = "representant", type = "text", label = "Nom du représentant", required = true },
        { name = "lien", type = "text", label = "Lien avec vous" },
      },
      access = { create = { "user" }, read = { user = "own", agent = "all" } },
    },
  },
}
