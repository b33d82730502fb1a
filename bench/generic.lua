-- wrk script for bench/run generic: the same request (a contract's typical operation) over and over.
-- Arguments (after --): method, path (with its query), body (optional); headers come as wrk's -H.
-- Prints one JSON line at the end for bench/_http.py's run_wrk to read, as bench/repay.lua does.

local prepared

function init(args)
  local body = args[3]
  if body == "" then
    body = nil
  end
  prepared = wrk.format(args[1] or "GET", args[2] or "/", nil, body)
end

function request()
  return prepared
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"status_errors":%d,' ..
    '"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
