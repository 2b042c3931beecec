-- wrk script for the gateway benchmark.
--   BENCH_TOKEN=FILE   one token (first line) sent in `X-Auth: Bearer <token>` on every request;
--                      the request is formatted once (wrk's static request), as with no script.
--   BENCH_TOKENS=FILE  one token per line; each request takes the next one (round robin, each
--                      wrk thread starting at a different offset). The requests are formatted in
--                      init(), so request() only picks a prebuilt string.
--   neither            no token (plain proxy, upstream alone).
-- done() prints one line `BENCH_JSON {...}` with the counts and latency percentiles (µs) that
-- bench/gateway/measure.py reads. errors.status counts the responses that were not 2xx/3xx.

local function read_lines(path)
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  local t = {}
  for line in f:lines() do
    if #line > 0 then t[#t + 1] = line end
  end
  f:close()
  return t
end

local single = os.getenv("BENCH_TOKEN")
local many = os.getenv("BENCH_TOKENS")

if single and #single > 0 then
  wrk.headers["X-Auth"] = "Bearer " .. read_lines(single)[1]
end

if many and #many > 0 then
  local threads = 0
  function setup(thread)
    thread:set("thread_index", threads)
    threads = threads + 1
  end

  function init(args)
    local tokens = read_lines(many)
    reqs = {}
    for k, t in ipairs(tokens) do
      reqs[k] = wrk.format(nil, nil, { ["X-Auth"] = "Bearer " .. t })
    end
    count = #reqs
    -- Threads start far apart in the list so they do not send the same token at the same time.
    next_index = ((thread_index or 0) * 7919) % count
  end

  function request()
    next_index = next_index + 1
    if next_index > count then next_index = 1 end
    return reqs[next_index]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"non_2xx_3xx":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end
