-- Fixture for a field's own messages and the form's warnings (tests/http/forms.py).
return {
  title = "Avertissements",
  version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    {
      id = "inscription",
      title = "Inscription",
      fields = {
        { name = "nom", type = "text", label = "Nom", required = true, max_length = 60,
          messages = { required = "Indiquez votre nom.",
                       max_length = { fr = "Nom trop long : 60 caractères au plus.",
                                      en = "Name too long: 60 characters at most." } } },
        { name = "age", type = "integer", label = "Âge", min = 16, max = 120,
          messages = { min = "Il faut avoir 16 ans.", format = "Indiquez un âge en chiffres." } },
        { name = "code", type = "text", label = "Code", pattern = "%d%d%d%d",
          messages = { pattern = "Le code a 4 chiffres." } },
        { name = "enfants", type = "integer", label = "Enfants à charge", min = 0 },
      },
      warn = function(r)
        local w = {}
        if r.age and r.age > 90 then w.age = "Plus de 90 ans : vérifiez l'âge saisi." end
        if r.enfants and r.enfants > 10 then w._ = "Plus de 10 enfants à charge : est-ce bien cela ?" end
        if next(w) then return w end
      end,
      access = { create = { "user" }, read = { user = "own" }, update = { "user" } },
    },
  },
}
