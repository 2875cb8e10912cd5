-- A stand-alone lint of app definitions against SPEC section 4, in plain Lua.
-- It is not the engine's checker (`smallapps check` is the reference); it lets app
-- authors catch key typos, dangling references and workflow graph problems with
-- nothing but lua5.4 installed.
--
--   lua5.4 tests/apps/lint.lua apps/vaccins apps/ponts-sete apps/reclamations
--
-- Prints "dir/app.lua: where: message" per problem and "N apps, N problems" last;
-- exits 1 when a problem was found.

local here = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
local root = here .. "/../.."

local problems = 0
local function report(file, where, msg)
  problems = problems + 1
  print(string.format("%s: %s: %s", file, where, msg))
end

local function set(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

local APP_KEYS = set { "title", "description", "owner", "version", "roles", "privacy", "forms" }
local PRIVACY_KEYS = set { "purpose", "legal_basis", "retention_days", "contact", "recipients" }
local FORM_KEYS = set { "id", "title", "description", "fields", "validate", "on_create", "access",
                        "list", "workflow" }
local ACCESS_KEYS = set { "create", "read", "update", "delete" }
local LIST_KEYS = set { "columns", "filters", "search", "sort", "page_size" }
local WF_KEYS = set { "initial", "states", "transitions", "state_moves" }
local STATE_KEYS = set { "id", "label", "final", "editable_by", "due_days", "description" }
local TR_KEYS = set { "id", "label", "from", "to", "roles", "guard", "fields", "comment", "action",
                      "notify", "after_days", "self_approval" }
local NOTIFY_KEYS = set { "to", "subject", "body" }
local FIELD_COMMON = { "name", "type", "label", "help", "required", "default", "placeholder", "readonly",
                       "personal", "private", "editable_by", "renamed_from", "visible_if", "required_if",
                       "compute" }
local TYPE_EXTRA = {
  text = { "min_length", "max_length", "pattern", "pattern_message" },
  textarea = { "min_length", "max_length" },
  integer = { "min", "max" },
  decimal = { "min", "max", "scale" },
  money = { "min", "max" },
  boolean = {},
  date = { "min", "max" },
  datetime = { "min", "max" },
  email = {}, phone = {}, postal_code = {}, siret = {}, siren = {}, iban = {}, url = {},
  choice = { "options", "widget" },
  multichoice = { "options", "min", "max" },
  file = { "max_size", "accept" },
  section = {},
}
local SYSTEM = set { "id", "state", "created_at", "created_by", "updated_at", "updated_by", "version",
                     "overdue", "fields" }
local RESERVED_ROLES = set { "public", "user", "owner", "admin" }
local TEXTUAL = set { "text", "textarea", "email" }

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function suggest(key, allowed)
  local best, bd
  for k in pairs(allowed) do
    local d = distance(key, k)
    if not bd or d < bd then best, bd = k, d end
  end
  if bd and bd <= 2 then return " (did you mean \"" .. best .. "\"?)" end
  return ""
end

local function keys(file, where, t, allowed)
  for k in pairs(t) do
    if type(k) ~= "string" then
      report(file, where, "non-string key " .. tostring(k))
    elseif not allowed[k] then
      report(file, where, "unknown key \"" .. k .. "\"" .. suggest(k, allowed))
    end
  end
end

local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function strlist(file, where, v)
  if type(v) == "string" then return { v } end
  if not is_array(v) then
    report(file, where, "expected a list of strings")
    return {}
  end
  for _, s in ipairs(v) do
    if type(s) ~= "string" then report(file, where, "expected a list of strings") end
  end
  return v
end

local function expect(file, where, v, ty)
  if v ~= nil and type(v) ~= ty then
    report(file, where, "expected a " .. ty .. ", got " .. type(v))
  end
end

local function option_values(f)
  local vals = {}
  for _, o in ipairs(f.options or {}) do
    if type(o) == "string" then vals[o] = true
    elseif type(o) == "table" and type(o[1]) == "string" then vals[o[1]] = true end
  end
  return vals
end

local DATE_BOUND = function(s)
  return type(s) == "string" and (s == "today" or s:match("^today[+-]%d+$")
    or s:match("^%d%d%d%d%-%d%d%-%d%d$") or s:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d"))
end

local function check_field(file, where, f, roles_ok)
  if type(f) ~= "table" then report(file, where, "a field must be a table") return end
  local extra = TYPE_EXTRA[f.type]
  if not extra then
    report(file, where, "unknown type \"" .. tostring(f.type) .. "\"" .. suggest(tostring(f.type), TYPE_EXTRA))
    extra = {}
  end
  local allowed = set(FIELD_COMMON)
  for _, k in ipairs(extra) do allowed[k] = true end
  keys(file, where, f, allowed)
  if type(f.name) ~= "string" or not f.name:match("^[a-z][a-z0-9_]*$") or #f.name > 40 then
    report(file, where, "bad field name " .. tostring(f.name))
  elseif SYSTEM[f.name] then
    report(file, where, "field name \"" .. f.name .. "\" is a system column")
  end
  if type(f.label) ~= "string" or f.label == "" then report(file, where, "missing label") end
  for _, k in ipairs { "required", "readonly", "personal" } do expect(file, where .. "." .. k, f[k], "boolean") end
  for _, k in ipairs { "help", "placeholder", "pattern", "pattern_message", "renamed_from" } do
    expect(file, where .. "." .. k, f[k], "string")
  end
  expect(file, where .. ".compute", f.compute, "function")
  for _, k in ipairs { "private", "editable_by" } do
    if f[k] ~= nil then
      for _, r in ipairs(strlist(file, where .. "." .. k, f[k])) do roles_ok(where .. "." .. k, r) end
    end
  end
  if f.pattern then
    local ok, err = pcall(string.find, "", f.pattern)
    if not ok then report(file, where .. ".pattern", "bad Lua pattern: " .. err) end
    if f.pattern:sub(1, 1) == "^" or f.pattern:sub(-1) == "$" then
      report(file, where .. ".pattern", "patterns are anchored by the engine: drop ^ and $")
    end
  end
  if f.type == "choice" or f.type == "multichoice" then
    if not is_array(f.options) or #f.options == 0 then
      report(file, where .. ".options", "choice fields need a non-empty options array")
    else
      local seen = {}
      for i, o in ipairs(f.options) do
        local v = type(o) == "table" and o[1] or o
        if type(o) == "table" and (type(o[1]) ~= "string" or type(o[2]) ~= "string" or #o ~= 2) then
          report(file, where .. ".options[" .. i .. "]", "an option is \"value\" or { value, label }")
        elseif type(o) ~= "table" and type(o) ~= "string" then
          report(file, where .. ".options[" .. i .. "]", "an option is \"value\" or { value, label }")
        end
        if seen[v] then report(file, where .. ".options[" .. i .. "]", "duplicate value " .. tostring(v)) end
        seen[v] = true
      end
    end
    if f.widget ~= nil and f.widget ~= "radio" and f.widget ~= "select" then
      report(file, where .. ".widget", "widget is \"radio\" or \"select\"")
    end
    if f.default ~= nil and f.type == "choice" and not option_values(f)[f.default] then
      report(file, where .. ".default", "default is not one of the options")
    end
  end
  if f.type == "date" or f.type == "datetime" then
    for _, k in ipairs { "min", "max" } do
      if f[k] ~= nil and not DATE_BOUND(f[k]) then
        report(file, where .. "." .. k, "a date bound is a date, \"today\", \"today+N\" or \"today-N\"")
      end
    end
  elseif f.type == "integer" or f.type == "decimal" or f.type == "money" or f.type == "multichoice" then
    for _, k in ipairs { "min", "max" } do expect(file, where .. "." .. k, f[k], "number") end
    if type(f.min) == "number" and type(f.max) == "number" and f.min > f.max then
      report(file, where, "min > max")
    end
  end
  if f.type == "section" then
    for _, k in ipairs { "required", "compute", "visible_if", "required_if", "default", "personal" } do
      if f[k] ~= nil then report(file, where .. "." .. k, "meaningless on a section") end
    end
  end
  if f.compute and (f.required or f.default ~= nil) then
    report(file, where, "a computed field cannot be required or have a default")
  end
end

local function check_cond(file, where, cond, byname)
  if type(cond) ~= "table" then report(file, where, "expected a map field -> value") return end
  for name, want in pairs(cond) do
    local f = byname[name]
    if not f then
      report(file, where, "unknown field \"" .. tostring(name) .. "\"")
    else
      local wants = type(want) == "table" and want or { want }
      for _, w in ipairs(wants) do
        if (f.type == "choice" or f.type == "multichoice") and not option_values(f)[w] then
          report(file, where .. "." .. name, "\"" .. tostring(w) .. "\" is not an option")
        elseif f.type == "boolean" and type(w) ~= "boolean" then
          report(file, where .. "." .. name, "boolean field compared to " .. type(w))
        end
      end
    end
  end
end

local function check_workflow(file, where, wf, byname, roles_ok, declared_roles)
  keys(file, where, wf, WF_KEYS)
  local states, final = {}, {}
  if not is_array(wf.states) or #wf.states == 0 then
    report(file, where .. ".states", "a workflow needs states")
    return
  end
  for i, s in ipairs(wf.states) do
    local w = where .. ".states[" .. i .. "]"
    keys(file, w, s, STATE_KEYS)
    if type(s.id) ~= "string" or not s.id:match("^[a-z][a-z0-9_]*$") then report(file, w, "bad state id") end
    if states[s.id] then report(file, w, "duplicate state " .. tostring(s.id)) end
    states[s.id] = s
    final[s.id] = s.final == true
    if type(s.label) ~= "string" then report(file, w, "missing label") end
    if s.editable_by then for _, r in ipairs(strlist(file, w .. ".editable_by", s.editable_by)) do roles_ok(w, r) end end
    if s.due_days ~= nil and (math.type(s.due_days) ~= "integer" or s.due_days < 1) then
      report(file, w .. ".due_days", "a positive integer")
    end
    if s.final and s.due_days then report(file, w, "a final state cannot be overdue") end
  end
  if not states[wf.initial] then report(file, where .. ".initial", "unknown state " .. tostring(wf.initial)) end
  if final[wf.initial] then report(file, where .. ".initial", "the initial state is final") end

  local out, edges, auto_edges = {}, {}, {}
  local trfields = {}
  local ids = {}
  for i, t in ipairs(wf.transitions or {}) do
    local w = where .. ".transitions[" .. i .. "] (" .. tostring(t.id) .. ")"
    keys(file, w, t, TR_KEYS)
    if type(t.id) ~= "string" or not t.id:match("^[a-z][a-z0-9_]*$") then report(file, w, "bad transition id") end
    if ids[t.id] then report(file, w, "duplicate transition id") end
    ids[t.id] = true
    if type(t.label) ~= "string" then report(file, w, "missing label") end
    local from = strlist(file, w .. ".from", t.from)
    if not states[t.to] then report(file, w .. ".to", "unknown state " .. tostring(t.to)) end
    for _, f in ipairs(from) do
      if not states[f] then report(file, w .. ".from", "unknown state " .. tostring(f))
      else
        if final[f] then report(file, w, "leaves final state " .. f) end
        out[f] = true
        edges[#edges + 1] = { f, t.to }
        if t.after_days then auto_edges[#auto_edges + 1] = { f, t.to } end
      end
    end
    local roles = t.roles and strlist(file, w .. ".roles", t.roles) or {}
    for _, r in ipairs(roles) do roles_ok(w .. ".roles", r) end
    local triggerable = t.after_days ~= nil
    for _, r in ipairs(roles) do
      if declared_roles[r] or r == "owner" or r == "admin" or r == "user" then triggerable = true end
    end
    if not triggerable then report(file, w, "no declared role can trigger it and it is not automatic") end
    if t.after_days ~= nil and (math.type(t.after_days) ~= "integer" or t.after_days < 1) then
      report(file, w .. ".after_days", "a positive integer")
    end
    if t.after_days and (t.guard or t.fields) then
      report(file, w, "an automatic transition cannot ask for fields (nobody fills them)")
    end
    if t.after_days and t.comment == "required" then
      report(file, w, "an automatic transition cannot require a comment")
    end
    if t.comment ~= nil and t.comment ~= "optional" and t.comment ~= "required" then
      report(file, w .. ".comment", "\"optional\" or \"required\"")
    end
    expect(file, w .. ".self_approval", t.self_approval, "boolean")
    expect(file, w .. ".guard", t.guard, "function")
    expect(file, w .. ".action", t.action, "function")
    for j, f in ipairs(t.fields or {}) do
      local fw = w .. ".fields[" .. j .. "]"
      check_field(file, fw, f, roles_ok)
      if type(f) == "table" and f.name then
        if byname[f.name] and not trfields[f.name] then
          report(file, fw, "transition field \"" .. f.name .. "\" has the name of a form field")
        end
        if trfields[f.name] and trfields[f.name] ~= f and trfields[f.name].type ~= f.type then
          report(file, fw, "\"" .. f.name .. "\" is declared with another type in another transition")
        end
        trfields[f.name] = f
      end
    end
    if t.notify ~= nil then
      local list = (type(t.notify) == "table" and t.notify.to == nil) and t.notify or { t.notify }
      for _, n in ipairs(list) do
        keys(file, w .. ".notify", n, NOTIFY_KEYS)
        if type(n.to) ~= "string" then report(file, w .. ".notify.to", "missing")
        else
          local fname = n.to:match("^field:(.+)$")
          local role = n.to:match("^role:(.+)$")
          if fname then
            local f = byname[fname] or trfields[fname]
            if not f then report(file, w .. ".notify.to", "unknown field " .. fname)
            elseif f.type ~= "email" then report(file, w .. ".notify.to", fname .. " is not an email field") end
          elseif role then
            roles_ok(w .. ".notify.to", role)
          elseif not n.to:match("^[^@%s]+@[^@%s]+%.[^@%s]+$") then
            report(file, w .. ".notify.to", "\"field:<name>\", \"role:<role>\" or an address")
          end
        end
        for _, k in ipairs { "subject", "body" } do
          if type(n[k]) ~= "string" then report(file, w .. ".notify." .. k, "missing") end
          for name in tostring(n[k]):gmatch("{{%s*([%w_]+)%s*}}") do
            if not byname[name] and not trfields[name] and not SYSTEM[name] then
              report(file, w .. ".notify." .. k, "unknown placeholder {{" .. name .. "}}")
            end
          end
        end
      end
    end
  end
  -- Transition fields declared later may be named by earlier notify: recheck placeholders done above
  -- against trfields as known so far; good enough for a lint.

  -- Reachability.
  local seen = { [wf.initial] = true }
  local changed = true
  while changed do
    changed = false
    for _, e in ipairs(edges) do
      if seen[e[1]] and not seen[e[2]] then seen[e[2]] = true; changed = true end
    end
  end
  for id, s in pairs(states) do
    if not seen[id] then report(file, where, "state \"" .. id .. "\" is unreachable from " .. tostring(wf.initial)) end
    if not s.final and not out[id] then report(file, where, "non-final state \"" .. id .. "\" has no way out") end
  end
  -- Automatic transitions must not form a cycle.
  local adj = {}
  for _, e in ipairs(auto_edges) do adj[e[1]] = adj[e[1]] or {}; table.insert(adj[e[1]], e[2]) end
  local color = {}
  local function dfs(u)
    color[u] = 1
    for _, v in ipairs(adj[u] or {}) do
      if color[v] == 1 then report(file, where, "automatic transitions loop through \"" .. v .. "\"") end
      if not color[v] then dfs(v) end
    end
    color[u] = 2
  end
  for id in pairs(adj) do if not color[id] then dfs(id) end end
  return trfields
end

local function lint(dir)
  local file = dir .. "/app.lua"
  local saved = package.path
  package.path = root .. "/stdlib-lua/?.lua;" .. dir .. "/?.lua;" .. saved
  for k in pairs(package.loaded) do
    if k:match("^lib%.") then package.loaded[k] = nil end
  end
  local ok, app = pcall(dofile, file)
  package.path = saved
  if not ok then report(file, "load", tostring(app)) return end
  if type(app) ~= "table" then report(file, "load", "app.lua must return a table") return end

  keys(file, "app", app, APP_KEYS)
  if type(app.title) ~= "string" or app.title == "" then report(file, "app.title", "required") end
  local declared = {}
  for id, label in pairs(app.roles or {}) do
    if type(id) ~= "string" or not id:match("^[a-z][a-z0-9_]*$") then report(file, "roles", "bad role id " .. tostring(id)) end
    if RESERVED_ROLES[id] then report(file, "roles", "\"" .. id .. "\" is reserved") end
    if type(label) ~= "string" then report(file, "roles." .. tostring(id), "label must be a string") end
    declared[id] = true
  end
  local used = {}
  local function roles_ok(where, r)
    if not declared[r] and not RESERVED_ROLES[r] then
      report(file, where, "undeclared role \"" .. tostring(r) .. "\"" .. suggest(tostring(r), declared))
    end
    used[r] = true
  end
  if app.privacy then
    keys(file, "privacy", app.privacy, PRIVACY_KEYS)
    if app.privacy.recipients then strlist(file, "privacy.recipients", app.privacy.recipients) end
    if app.privacy.retention_days ~= nil and math.type(app.privacy.retention_days) ~= "integer" then
      report(file, "privacy.retention_days", "an integer")
    end
  end
  if not is_array(app.forms) or #app.forms == 0 then report(file, "forms", "at least one form") return end

  local form_ids = {}
  for fi, form in ipairs(app.forms) do
    local where = "forms[" .. fi .. "] (" .. tostring(form.id) .. ")"
    keys(file, where, form, FORM_KEYS)
    if type(form.id) ~= "string" or not form.id:match("^[a-z][a-z0-9_]*$") then report(file, where, "bad form id") end
    if form_ids[form.id] then report(file, where, "duplicate form id") end
    form_ids[form.id] = true
    local byname, order = {}, {}
    for i, f in ipairs(form.fields or {}) do
      local w = where .. ".fields[" .. i .. "] (" .. tostring(f.name) .. ")"
      check_field(file, w, f, roles_ok)
      if f.name then
        if byname[f.name] then report(file, w, "duplicate field name") end
        byname[f.name] = f
        order[#order + 1] = f
      end
    end
    for i, f in ipairs(form.fields or {}) do
      local w = where .. ".fields[" .. i .. "] (" .. tostring(f.name) .. ")"
      if f.visible_if then check_cond(file, w .. ".visible_if", f.visible_if, byname) end
      if f.required_if then check_cond(file, w .. ".required_if", f.required_if, byname) end
    end
    expect(file, where .. ".validate", form.validate, "function")
    expect(file, where .. ".on_create", form.on_create, "function")

    local trfields = {}
    if form.workflow then
      trfields = check_workflow(file, where .. ".workflow", form.workflow, byname, roles_ok, declared) or {}
    end
    local function col(name)
      return byname[name] or trfields[name] or SYSTEM[name]
    end

    local a = form.access or {}
    keys(file, where .. ".access", a, ACCESS_KEYS)
    for _, k in ipairs { "create", "update", "delete" } do
      if a[k] then for _, r in ipairs(strlist(file, where .. ".access." .. k, a[k])) do roles_ok(where .. ".access." .. k, r) end end
    end
    if a.update and form.workflow then
      report(file, where .. ".access.update", "forms with a workflow are edited per state (states[].editable_by)")
    end
    for r, mode in pairs(a.read or {}) do
      roles_ok(where .. ".access.read", r)
      if mode ~= "all" and mode ~= "own" then report(file, where .. ".access.read." .. r, "\"all\" or \"own\"") end
    end

    if form.list then
      local l = form.list
      keys(file, where .. ".list", l, LIST_KEYS)
      for _, k in ipairs { "columns", "filters", "search" } do
        for _, n in ipairs(l[k] and strlist(file, where .. ".list." .. k, l[k]) or {}) do
          local f = col(n)
          if not f then report(file, where .. ".list." .. k, "unknown field \"" .. n .. "\"")
          elseif k == "search" and (f == true or not TEXTUAL[f.type]) then
            report(file, where .. ".list.search", "\"" .. n .. "\" is not a text field")
          elseif type(f) == "table" and f.type == "section" then
            report(file, where .. ".list." .. k, "\"" .. n .. "\" is a section")
          end
        end
      end
      if l.sort and not col((l.sort:gsub("^%-", ""))) then report(file, where .. ".list.sort", "unknown field " .. l.sort) end
      if l.page_size and (math.type(l.page_size) ~= "integer" or l.page_size < 1 or l.page_size > 500) then
        report(file, where .. ".list.page_size", "an integer from 1 to 500")
      end
    end
  end
  for r in pairs(declared) do
    if not used[r] then report(file, "roles", "role \"" .. r .. "\" is declared but never used") end
  end
end

local dirs = { ... }
if #dirs == 0 then
  dirs = { root .. "/apps/vaccins", root .. "/apps/ponts-sete", root .. "/apps/reclamations" }
end
for _, d in ipairs(dirs) do lint((d:gsub("/$", ""))) end
print(string.format("%d apps, %d problems", #dirs, problems))
os.exit(problems == 0 and 0 or 1)
