-- deliveries.lua - wrk script of bench/run: webhook deliveries, fresh or repeated.
--
--   wrk ... -s deliveries.lua URL -- TEMPLATE MODE SEQ_BASE API_KEY
--
-- TEMPLATE (written by bench/run): a first line with the slot number of each
-- id in the delivery, then the delivery's bytes cut at every id, the pieces
-- separated by NUL bytes. An id is written "1" .. %03d(slot) .. %015d(seq):
-- 19 digits, so every tweet and author id of a delivery is new when seq is.
-- MODE "new": seq = SEQ_BASE + thread * 1e9 + request counter (every request
-- stores new tweets); "dup": seq = SEQ_BASE always (the same delivery again).
-- done() prints one "BENCH ..." line that bench/run parses.

local pieces, slots, prefixes, parts = {}, {}, {}, {}
local headers, base, counter, static_req = nil, 0, 0, nil
local threads_made = 0

function setup(thread)
   threads_made = threads_made + 1
   thread:set("tid", threads_made)
end

local function build(seq)
   local sid = string.format("%015d", seq)
   local n = #slots
   for i = 1, n do
      parts[2 * i - 1] = pieces[i]
      parts[2 * i] = prefixes[i] .. sid
   end
   parts[2 * n + 1] = pieces[n + 1]
   return table.concat(parts)
end

function init(args)
   local path, mode = args[1], args[2]
   base = tonumber(args[3])
   headers = { ["Content-Type"] = "application/json", ["X-API-Key"] = args[4] }
   local f = assert(io.open(path, "rb"))
   local header = f:read("*l")
   local data = f:read("*a")
   f:close()
   for s in header:gmatch("%d+") do
      slots[#slots + 1] = tonumber(s)
      prefixes[#prefixes + 1] = string.format("1%03d", tonumber(s))
   end
   local pos = 1
   while true do
      local i = data:find("\0", pos, true)
      if not i then
         pieces[#pieces + 1] = data:sub(pos)
         break
      end
      pieces[#pieces + 1] = data:sub(pos, i - 1)
      pos = i + 1
   end
   assert(#pieces == #slots + 1, "template: pieces and slots do not match")
   if mode == "dup" then
      static_req = wrk.format("POST", nil, headers, build(base))
   else
      assert(mode == "new", "mode must be new or dup")
   end
end

function request()
   if static_req then
      return static_req
   end
   counter = counter + 1
   return wrk.format("POST", nil, headers, build(base + tid * 1000000000 + counter))
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p99_us=%d mean_us=%.1f max_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
