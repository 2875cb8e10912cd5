local function spin() while true do end end
for i = 1, 1000000 do pcall(spin) end
return { title = "x", forms = {} }
