-- SPDX-License-Identifier: Apache-2.0
-- wrk workload of test/soak/maps.py: allowed GETs whose origins come from a
-- txt: map that is republished every second.  The path names the origin
-- (its body is the origin's name), so each response can be checked on its
-- own, whichever request of the connection it answers:
--   always  in every version: must be granted
--   never   in no version:    must never be granted
--   even    in even versions, odd in odd ones: either, during a change
-- response() counts wrong answers; done() prints one line for soak.
local ORIGINS = {
  always = "https://t42.tenants.example",
  never = "https://never.example",
  even = "https://even.example",
  odd = "https://odd.example",
}
local NAMES = { "always", "never", "even", "odd", "always", "always" }
local reqs = {}
local i = 0
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for _, name in ipairs(NAMES) do
    reqs[#reqs + 1] = wrk.format("GET", "/m/" .. name .. ".txt",
                                 { Origin = ORIGINS[name] })
  end
  checked, wrong, bad_status, unknown = 0, 0, 0, 0
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 then
    bad_status = bad_status + 1
    return
  end
  local name = body and body:match("^(%a+)")
  local origin = name and ORIGINS[name]
  if not origin then
    unknown = unknown + 1
    return
  end
  local acao = headers["Access-Control-Allow-Origin"]
  if acao ~= nil and acao ~= origin then
    wrong = wrong + 1
  elseif name == "always" and acao == nil then
    wrong = wrong + 1
  elseif name == "never" and acao ~= nil then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local c, w, b, u = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("checked")
    w = w + t:get("wrong")
    b = b + t:get("bad_status")
    u = u + t:get("unknown")
  end
  local e = summary.errors
  io.write(string.format(
    "MAPS checked=%d wrong=%d bad_status=%d unknown=%d requests=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d p99_ms=%.2f max_ms=%.2f\n",
    c, w, b, u, summary.requests, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(99) / 1000, latency.max / 1000))
end
