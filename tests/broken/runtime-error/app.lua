local t = nil
local x = t.champ
return { title = "x", forms = {} }
