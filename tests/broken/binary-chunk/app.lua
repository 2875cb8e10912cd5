local f, e = load(string.char(27) .. "Lua")
assert(f == nil)
error("refus : " .. e, 0)
