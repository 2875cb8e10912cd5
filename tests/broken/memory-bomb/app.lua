local t = {}
for i = 1, 100000000 do t[i] = string.rep("x", 100) .. i end
return { title = "x", forms = {} }
