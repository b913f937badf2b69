-- rotate.lua: the wrk script of `make bench`; cycles through a list of paths.
--
--   wrk ... -s t/bench/rotate.lua http://127.0.0.1:PORT -- PATHS_FILE PREFIX
--
-- PATHS_FILE has one path per line (/en/politics/some-id); PREFIX is the
-- location under test (/three).  Requests are formatted once in init, so wrk
-- spends as little CPU as possible on the 2 cores it shares with httpd.  Each
-- thread starts at a different place in the list so the threads do not ask
-- for the same page at the same moment.  done() prints one machine-readable
-- line for t/bench/run.  wrk embeds LuaJIT, so this is Lua 5.1 (no "//").

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("start", counter)
end

local requests, n, i

function init(args)
  local file, prefix = args[1], args[2] or ""
  requests = {}
  for line in io.lines(file) do
    if line:match("^/") then
      requests[#requests + 1] = wrk.format("GET", prefix .. line)
    end
  end
  n = #requests
  if n == 0 then error("rotate.lua: no paths in " .. tostring(file)) end
  i = ((start or 1) - 1) * math.floor(n / 2 + 1)
end

function request()
  i = i % n + 1
  return requests[i]
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d " ..
    "mean_us=%.1f connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
