-- A field's messages with typos: an unknown rule, a rule the type has not, a required
-- message on a field that is never required, a message that is no text, a table
-- without its French text, a language that does not exist; a warn that is no function.
return {
  title = "Messages",
  forms = {
    {
      id = "f",
      title = "F",
      fields = {
        { name = "a", type = "text", label = "A", messages = { maximum = "Trop long." } },
        { name = "b", type = "integer", label = "B", messages = { pattern = "Chiffres." } },
        { name = "c", type = "text", label = "C", messages = { required = "Obligatoire." } },
        { name = "d", type = "integer", label = "D", min = 1, messages = { min = 3 } },
        { name = "e", type = "text", label = "E", required = true,
          messages = { required = { en = "Required." } } },
        { name = "g", type = "text", label = "G", required = true,
          messages = { required = { fr = "Obligatoire.", de = "Pflicht." } } },
        { name = "h", type = "text", label = "H", messages = "Invalide." },
      },
      warn = "attention",
    },
  },
}
