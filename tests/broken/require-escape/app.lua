local ok1, e1 = pcall(require, "../secret")
local ok2, e2 = pcall(require, "os")
assert(not ok1 and not ok2)
require "lib.absent"
