-- Territory fields with restrictions that are names, unknown codes, typos, keys on the
-- wrong type, a département outside its région, defaults outside the data or the scope.
return { title = "X", version = "1", roles = { a = "A" }, forms = { { id = "f", title = "F",
  fields = {
    { name = "c1", type = "commune", label = "C1", departement = "Hérault" },
    { name = "c2", type = "commune", label = "C2", departement = "99", region = "Occitanie" },
    { name = "c3", type = "commune", label = "C3", departements = "34", deleguees = "oui" },
    { name = "c4", type = "commune", label = "C4", departement = "34", region = "11" },
    { name = "d1", type = "departement", label = "D1", departement = "34", deleguees = true },
    { name = "r1", type = "region", label = "R1", region = "76" },
    { name = "e1", type = "epci", label = "E1", region = "7", deleguees = false },
    { name = "c5", type = "commune", label = "C5", default = "99999" },
    { name = "c6", type = "commune", label = "C6", departement = "30", default = "34301" },
    { name = "c7", type = "communes", label = "C7" },
  },
  list = { search = { "c5" } },
  access = { create = { "a" }, read = { a = "all" } } } } }
