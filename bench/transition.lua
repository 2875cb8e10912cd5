-- bench/transition.lua — wrk script of the "transition" scenario of `make bench`.
--
-- Triggers the transition "replanifier" (planifiee -> planifiee: a transition field, a
-- required comment, a mail queued in the outbox) of apps/ponts-sete, each request on the
-- next record of a list prepared by bench/run.sh, so that two requests in flight rarely
-- touch the same record (they would answer 409: the second one saw a stale version).
--
--   BENCH_BASE_PATH   /api/v1/apps/ponts-sete/ouverture/records
--   BENCH_IDS_FILE    file with one record id per line
--   BENCH_TOKEN       API token of a regulation user
--   BENCH_BODY_FILE   the JSON body {"fields": {...}, "comment": "..."}
--
-- done() prints the same BENCH line as bench/scenario.lua.

local function env(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		error("bench/transition.lua: " .. name .. " is not set")
	end
	return v
end

local ids = {}
for line in io.lines(env("BENCH_IDS_FILE")) do
	if line:match("^%d+$") then
		ids[#ids + 1] = line
	end
end
assert(#ids > 0, "bench/transition.lua: no record ids")

local base = env("BENCH_BASE_PATH")
local f = assert(io.open(env("BENCH_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Authorization"] = "Bearer " .. env("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"

-- Thread k of n takes the records k, k+n, k+2n, ...: threads never share a record and
-- one thread's connections are a whole list apart.
local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1") or 1
local created = 0
offset = 0

function setup(thread)
	thread:set("offset", created)
	created = created + 1
end

local i = 0
function request()
	local id = ids[((i * nthreads + offset) % #ids) + 1]
	i = i + 1
	return wrk.format(nil, base .. "/" .. id .. "/transitions/replanifier")
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	local rps = 0
	if secs > 0 then
		rps = summary.requests / secs
	end
	io.write(string.format(
		"BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
			.. "connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, secs, rps, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000, e.connect, e.read, e.write, e.status,
		e.timeout))
end
