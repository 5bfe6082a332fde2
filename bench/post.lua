-- wrk script: POSTs signed JSON webhook events and counts every answer that is not a plain 200.
--   wrk ... -s post.lua URL -- cycle DATADIR START   (1.5 KiB events, unique id per request)
--   wrk ... -s post.lua URL -- fixed BODYFILE SIGFILE (one fixed body: 64 KiB / 1 MiB)
-- Prints one line "BENCH_JSON {...}" from done(). The expected status is 200, or $BENCH_OK_STATUS
-- (202 for a queued route's acknowledgement).
local threads = {}
local ok_status = tonumber(os.getenv("BENCH_OK_STATUS") or "200")
bad = 0      -- responses with a status other than ok_status
dup = 0      -- responses hookgate marked as duplicates (would mean an id was reused)
wraps = 0    -- times the id list wrapped around (ids reused)

local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local mode = args[1]
  if mode == "cycle" then
    local dir = args[2]
    local pre = slurp(dir .. "/small_prefix.txt")
    local post = slurp(dir .. "/small_suffix.txt")
    local ids, sigs, n = {}, {}, 0
    for line in io.lines(dir .. "/small_sigs.txt") do
      local id, sig = line:match("^(%S+) (%S+)$")
      n = n + 1
      ids[n] = id
      sigs[n] = sig
    end
    local i = tonumber(args[3] or "0") % n
    local hdrs = { ["Content-Type"] = "application/json", ["X-Signature"] = "" }
    request = function()
      i = i + 1
      if i > n then
        i = 1
        wraps = wraps + 1
      end
      hdrs["X-Signature"] = sigs[i]
      return wrk.format("POST", nil, hdrs, pre .. ids[i] .. post)
    end
  else
    wrk.method = "POST"
    wrk.body = slurp(args[2])
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Signature"] = (slurp(args[3]):gsub("%s+", ""))
  end
end

function response(status, headers, body)
  if status ~= ok_status then
    bad = bad + 1
  end
  if headers["x-hookgate-duplicate"] or headers["X-Hookgate-Duplicate"] then
    dup = dup + 1
  end
end

function done(summary, latency, requests)
  local b, d, w = 0, 0, 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
    d = d + (t:get("dup") or 0)
    w = w + (t:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non200":%d,"duplicates":%d,"wraps":%d,' ..
    '"connect_err":%d,"read_err":%d,"write_err":%d,"status_err":%d,"timeout_err":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, b, d, w,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
