helper = function() return 1 end
return { title = "x", forms = {} }
