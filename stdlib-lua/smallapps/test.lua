-- smallapps.test — the API of an app's own tests (SPEC 13), run by `smallapps test`.
--
--   local T = require("smallapps.test")
--   T.clock("2026-11-23T10:00:00Z")
--   local alice = T.user("alice", { "demandeur" })
--   local r = alice:create("demande", { organisme = "Club", quantite = 3 })
--   T.ok(r); T.state(r, "deposee")
--
-- Every action goes through the engine's own rules (access, validation, hooks,
-- workflow), on a throw-away database made for each test file. An action returns a
-- result { status = "ok"|"invalid"|"warning"|"forbidden"|"not_found"|"conflict", id,
-- state, version, fields, errors = { field = message } (the warnings for "warning": create
-- or edit again with { confirm = true }), records, total, message }.
-- Assertions never stop the file: a failed one is reported with its file:line, what
-- was expected and what came; a Lua error stops the file and is reported too.
--
-- The engine's side is the native module smallapps.test_natif, which only
-- `smallapps test` preloads: an app's hooks cannot use this module.
local natif = require("smallapps.test_natif")

local T = {}

-- ------------------------------------------------------------------ showing values

local show

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function show_table(t, depth)
  if depth > 3 then return "{…}" end
  local parts, n = {}, #t
  for i = 1, n do parts[#parts + 1] = show(t[i], depth + 1) end
  for _, k in ipairs(sorted_keys(t)) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      parts[#parts + 1] = tostring(k) .. " = " .. show(t[k], depth + 1)
    end
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

show = function(v, depth)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "table" then return show_table(v, depth or 0) end
  return tostring(v)
end

-- A result as its status and what it says: `invalid (quantite: doit valoir au moins 1)`.
local function show_result(r)
  if type(r) ~= "table" or r.status == nil then return show(r) end
  local s = r.status
  local errs = {}
  for _, k in ipairs(sorted_keys(r.errors or {})) do
    errs[#errs + 1] = k .. ": " .. tostring(r.errors[k])
  end
  if #errs > 0 then s = s .. " (" .. table.concat(errs, "; ") .. ")" end
  if r.message and r.message ~= "" then s = s .. " (" .. r.message .. ")" end
  return s
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

-- ------------------------------------------------------------------ assertions

local function report(ok, want, got, msg)
  if ok then
    natif.pass()
  else
    natif.fail((msg and (tostring(msg) .. " : ") or "") .. "expected " .. want .. ", got " .. got)
  end
  return ok
end

function T.eq(got, want, msg)
  return report(deep_equal(got, want), show(want), show(got), msg)
end

function T.truthy(v, msg)
  return report(v ~= nil and v ~= false, "a true value", show(v), msg)
end

local function status_is(res, want, msg)
  local ok = type(res) == "table" and res.status == want
  return report(ok, want, show_result(res), msg)
end

function T.ok(res, msg) return status_is(res, "ok", msg) end
function T.forbidden(res, msg) return status_is(res, "forbidden", msg) end
function T.not_found(res, msg) return status_is(res, "not_found", msg) end
function T.conflict(res, msg) return status_is(res, "conflict", msg) end

-- invalid, with an error on `field` (whose message matches the Lua pattern, if given).
function T.invalid(res, field, pattern, msg)
  local err = type(res) == "table" and res.status == "invalid" and res.errors and res.errors[field]
  local ok = err ~= nil and err ~= false and (pattern == nil or string.find(err, pattern) ~= nil)
  local want = "invalid (" .. tostring(field) .. (pattern and (": …" .. pattern .. "…") or "") .. ")"
  return report(ok, want, show_result(res), msg)
end

-- a warning of the form's `warn` on `field` (message matching pattern, if given).
function T.warning(res, field, pattern, msg)
  local w = type(res) == "table" and res.status == "warning" and res.errors and res.errors[field]
  local ok = w ~= nil and w ~= false and (pattern == nil or string.find(w, pattern) ~= nil)
  local want = "warning (" .. tostring(field) .. (pattern and (": …" .. pattern .. "…") or "") .. ")"
  return report(ok, want, show_result(res), msg)
end

function T.state(res, state, msg)
  local got = type(res) == "table" and res.state or nil
  local ok = type(res) == "table" and res.status == "ok" and got == state
  return report(ok, "state " .. show(state),
    type(res) == "table" and res.status == "ok" and ("state " .. show(got)) or show_result(res), msg)
end

-- ------------------------------------------------------------------ actors

-- (every caller keeps the result in a local before returning it: a tail call would take
-- its frame away, and the error would not name the test file's line)
local function call(verb, args)
  local res, err = natif.call(verb, args)
  if res == nil then error(err, 3) end
  return res
end

local Actor = {}
Actor.__index = Actor

local function actor(login)
  return setmetatable({ login = login }, Actor)
end

-- opts.confirm: the person saw the form's warnings (`warn`) and goes on.
function Actor:create(form, fields, opts)
  local res = call("create", { login = self.login, form = form, fields = fields or {},
                               confirm = opts and opts.confirm or false })
  return res
end

function Actor:edit(form, id, fields, opts)
  local res = call("edit", { login = self.login, form = form, id = id, fields = fields or {},
                             confirm = opts and opts.confirm or false })
  return res
end

function Actor:trigger(form, id, transition, opts)
  opts = opts or {}
  local res = call("trigger", { login = self.login, form = form, id = id,
                                transition = transition, fields = opts.fields or {},
                                comment = opts.comment })
  return res
end

function Actor:read(form, id)
  local res = call("read", { login = self.login, form = form, id = id })
  return res
end

function Actor:list(form, query)
  local res = call("list", { login = self.login, form = form, query = query or {} })
  return res
end

function Actor:delete(form, id)
  local res = call("delete", { login = self.login, form = form, id = id })
  return res
end

-- A user of this app with these roles (created with the first call).
function T.user(login, roles)
  call("user", { login = login, roles = roles or {} })
  return actor(login)
end

-- A global administrator.
function T.admin(login)
  call("admin", { login = login })
  return actor(login)
end

-- Someone who has not signed in.
function T.anonymous()
  return actor(nil)
end

-- ------------------------------------------------------------------ time and mail

-- The engine's clock, as SMALLAPPS_NOW: "2026-11-23T10:00:00Z".
function T.clock(iso) call("clock", { at = iso }) end

-- Days pass (fractions allowed: T.advance(0.5) is twelve hours).
function T.advance(days) call("advance", { days = days }) end

-- The scheduler's pass, now: automatic transitions, retention.
function T.tick()
  local res = call("tick", {})
  return res
end

-- The mails queued so far, oldest first: { { to, subject, body }, … }.
function T.mails()
  local res = call("mails", {})
  return res
end

return T
