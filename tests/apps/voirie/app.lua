-- Fixture for the governance tests (tests/http/governance.py, tests/unit/test_gov.c): a
-- dashboard with known numbers, the GDPR register, retention purges.
return {
  title = "Voirie",
  description = "Signalements de voirie",
  owner = "Direction de la voirie",
  version = "1.0.0",
  roles = { demandeur = "Demandeur", agent = "Agent", elu = "Élu" },
  privacy = {
    purpose = "Traitement des signalements de voirie",
    legal_basis = "Mission d'intérêt public",
    retention_days = 60,
    contact = "dpo@ville.example",
    recipients = { "Service voirie", "Prestataire d'entretien" },
  },
  forms = {
    {
      id = "signalement",
      title = "Signalement",
      fields = {
        { name = "nom", type = "text", label = "Nom", required = true, personal = true },
        { name = "courriel", type = "email", label = "Courriel", personal = true },
        { name = "telephone", type = "phone", label = "Téléphone", personal = true,
          private = { "agent" } },
        { name = "lieu", type = "text", label = "Lieu", required = true },
        { name = "nature", type = "choice", label = "Nature",
          options = { { "nid", "Nid-de-poule" }, { "eclairage", "Éclairage" },
                      { "proprete", "Propreté" } } },
        { name = "urgence", type = "choice", label = "Urgence", private = { "agent" },
          options = { "faible", "forte" } },
      },
      access = {
        create = { "demandeur" },
        read = { demandeur = "own", agent = "all", elu = "all" },
      },
      workflow = {
        initial = "recu",
        states = {
          { id = "recu", label = "Reçu", editable_by = { "owner" }, due_days = 3 },
          { id = "en_cours", label = "En cours", due_days = 10 },
          { id = "traite", label = "Traité", final = true },
          { id = "rejete", label = "Rejeté", final = true },
        },
        transitions = {
          { id = "prendre", label = "Prendre en charge", from = "recu", to = "en_cours",
            roles = { "agent" } },
          { id = "relancer", label = "Relancer", from = "en_cours", to = "en_cours",
            roles = { "agent" }, comment = "optional" },
          { id = "traiter", label = "Traiter", from = "en_cours", to = "traite",
            roles = { "agent" }, comment = "optional" },
          { id = "rejeter", label = "Rejeter", from = { "recu", "en_cours" }, to = "rejete",
            roles = { "agent" }, comment = "required" },
        },
      },
    },
    {
      id = "note",
      title = "Note interne",
      fields = {
        { name = "texte", type = "textarea", label = "Texte", required = true },
        { name = "auteur", type = "email", label = "Courriel de l'auteur", personal = true },
      },
      access = { create = { "agent" }, read = { agent = "own" } },
    },
  },
}
