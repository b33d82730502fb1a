-- wrk script for bench/run http: POST a repayApply with a fresh repayOuterNo on every request.
-- Arguments (after --): path, run tag (keeps serials unique across runs against one server), loan count.
-- Prints one JSON line at the end for bench/_http.py to read.

local counter = 0
local path, tag, loans = "/bank/repayments", "A", 100
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  path = args[1] or path
  tag = args[2] or tag
  loans = tonumber(args[3] or loans)
  tag = tag .. "T" .. tostring(thread_no or 1)
end

function request()
  counter = counter + 1
  local serial = string.format("RP%s%010d", tag, counter)
  local loan = string.format("LNBENCH%05d", counter % loans)
  local body = '{"reqNo":"REQ' .. serial .. '","repayOuterNo":"' .. serial .. '","loanOuterNo":"' .. loan ..
    '","repayAmount":"0.01","repayMode":"PARTNER_COLLECT","repayType":"NORMAL_REPAY",' ..
    '"actualRepayDate":"2019-05-01T10:00:00+08:00","repayList":[{"installmentNo":1,"paidPrincipal":"0.01",' ..
    '"paidInterest":"0.00","paidFee":"0.00"}]}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"status_errors":%d,' ..
    '"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
