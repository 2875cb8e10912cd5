-- bench/scenario.lua — the wrk script of every `make bench` scenario.
--
-- bench/run.sh describes one request through the environment; this script turns it into
-- wrk's single pre-built request (no request() function, so wrk formats it once per thread
-- and the load generator costs as little as possible), then prints the figures in one
-- machine-readable line from done().
--
--   BENCH_METHOD        GET (default) or POST
--   BENCH_BODY_FILE     file whose bytes are the request body (wrk adds Content-Length)
--   BENCH_CONTENT_TYPE  Content-Type of the body
--   BENCH_COOKIE        Cookie header (the session of the bench user)
--   BENCH_TOKEN         API token: sends Authorization: Bearer <token>
--   BENCH_ACCEPT        Accept header
--
-- Output of done(), one line (times in milliseconds, counts of requests):
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--         connect=N read=N write=N status=N timeout=N
-- `status` counts answers >= 400 (wrk's definition); a 303 after a create is a success.
-- wrk leaves timed-out requests out of the latency figures: run.sh reports them apart.

local function env(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		return nil
	end
	return v
end

wrk.method = env("BENCH_METHOD") or "GET"

local cookie = env("BENCH_COOKIE")
if cookie then
	wrk.headers["Cookie"] = cookie
end

local token = env("BENCH_TOKEN")
if token then
	wrk.headers["Authorization"] = "Bearer " .. token
end

local accept = env("BENCH_ACCEPT")
if accept then
	wrk.headers["Accept"] = accept
end

local body_file = env("BENCH_BODY_FILE")
if body_file then
	local f = assert(io.open(body_file, "rb"))
	wrk.body = f:read("*a")
	f:close()
	wrk.headers["Content-Type"] = env("BENCH_CONTENT_TYPE") or "application/octet-stream"
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	local rps = 0
	if secs > 0 then
		rps = summary.requests / secs
	end
	local function ms(us)
		return (us or 0) / 1000
	end
	io.write(string.format(
		"BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
		"max_ms=%.3f connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, secs, rps,
		ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
		ms(latency.max), e.connect, e.read, e.write, e.status, e.timeout))
end
