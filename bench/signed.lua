-- wrk script: send pre-signed order-routing requests, one fresh nonce each.
--
--   wrk -t T -c C -d D -s bench/signed.lua URL -- FILE LEN T
--
-- FILE holds raw HTTP/1.1 requests of exactly LEN bytes each, written by
-- `bench-kit presign` (timestamps of the moment it ran, nonces all distinct).
-- wrk's LuaJIT has no HMAC, and a SHA-256 in Lua would spend the load
-- generator's CPU, which shares the two cores with the server under test;
-- reading LEN bytes from a buffered file costs next to nothing. Thread i of T
-- takes the i-th slice of the file; a slice that runs out starts again (the
-- mock then refuses the replays, which show up as non-2xx answers and fail
-- the run, so bench/run sizes the file for the run).
--
-- done() prints one machine-readable line that bench/run parses.

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("id", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

local file, len, first, last, at

function init(args)
   local path, l, t = args[1], tonumber(args[2]), tonumber(args[3])
   file = assert(io.open(path, "rb"))
   file:setvbuf("full", 1048576)
   len = l
   local size = file:seek("end")
   local records = math.floor(size / len)
   local per = math.floor(records / t)
   first = id * per
   last = first + per
   at = first
   file:seek("set", first * len)
end

function request()
   if at >= last then
      at = first
      file:seek("set", first * len)
   end
   at = at + 1
   return file:read(len)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WXAI_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d " ..
      "connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.status, e.connect, e.read, e.write, e.timeout))
end
