-- Reference fields: a target form that is a typo, a label field that is a typo or no
-- text, keys missing, a default (a record's number is no definition's business).
return { title = "X", version = "1", roles = { a = "A" }, forms = {
  { id = "centre", title = "Centres",
    fields = {
      { name = "nom", type = "text", label = "Nom" },
      { name = "places", type = "integer", label = "Places" },
    },
    access = { create = { "a" }, read = { a = "all" } } },
  { id = "f", title = "F",
    fields = {
      { name = "r1", type = "reference", label = "R1", form = "centres", label_field = "nom" },
      { name = "r2", type = "reference", label = "R2", form = "centre", label_field = "non" },
      { name = "r3", type = "reference", label = "R3", form = "centre", label_field = "places" },
      { name = "r4", type = "reference", label = "R4", label_field = "nom" },
      { name = "r5", type = "reference", label = "R5", form = "centre" },
      { name = "r6", type = "reference", label = "R6", form = "centre", label_field = "nom", default = 1 },
      { name = "r7", type = "integer", label = "R7", form = "centre" },
      { name = "r8", type = "reference", label = "R8", form = "f", label_field = "r1" },
    },
    access = { create = { "a" }, read = { a = "all" } } } } }
