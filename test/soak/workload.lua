-- SPDX-License-Identifier: Apache-2.0
-- wrk workload for test/soak/run: a fixed mix of CORS requests, cycled.
-- Every request carries "Connection: close": a graceful restart closes idle
-- keep-alive connections, and a client racing a new request onto one sees
-- a reset that is HTTP's keep-alive race, not a failure of the server.
-- Status codes are counted from httpd's access log, not here (a response()
-- callback would make wrk hand every header to Lua).
local reqs = {}
local n = 0
local counter = 0

local function add(method, path, headers, weight)
  headers = headers or {}
  headers["Connection"] = "close"
  local r = wrk.format(method, path, headers)
  for _ = 1, (weight or 1) do
    reqs[#reqs + 1] = r
  end
end

local APP = "https://app.example.com"
local EVIL = "https://evil.example.com"

function init(args)
  -- actual requests: allowed (exact, wildcard, regex), disallowed, malformed
  add("GET", "/api/data.json", { Origin = APP }, 4)
  add("GET", "/api/data.json", { Origin = "https://a.b.example.org" })
  add("GET", "/api/data.json", { Origin = "https://foo.example.net" })
  add("GET", "/api/data.json", { Origin = EVIL }, 2)
  add("GET", "/api/data.json", { Origin = "https://APP.example.com" })
  add("GET", "/api/missing", { Origin = APP })
  add("POST", "/api/data.json", { Origin = APP, ["Content-Length"] = "0" })
  -- no Origin
  add("GET", "/api/data.json", nil, 2)
  add("GET", "/plain/index.html", nil)
  -- preflights: allowed, refused (method, header, origin, private network)
  add("OPTIONS", "/api/data.json", { Origin = APP,
    ["Access-Control-Request-Method"] = "PUT",
    ["Access-Control-Request-Headers"] = "x-requested-with,content-type" }, 3)
  add("OPTIONS", "/api/data.json", { Origin = APP,
    ["Access-Control-Request-Method"] = "PATCH" })
  add("OPTIONS", "/api/data.json", { Origin = APP,
    ["Access-Control-Request-Method"] = "PUT",
    ["Access-Control-Request-Headers"] = "x-not-allowed" })
  add("OPTIONS", "/api/data.json", { Origin = EVIL,
    ["Access-Control-Request-Method"] = "GET" })
  add("OPTIONS", "/api/data.json", { Origin = APP,
    ["Access-Control-Request-Method"] = "GET",
    ["Access-Control-Request-Private-Network"] = "true" })
  -- "*" policy
  add("GET", "/pub/index.html", { Origin = EVIL })
  add("OPTIONS", "/pub/index.html", { Origin = EVIL,
    ["Access-Control-Request-Method"] = "GET" })
  -- .htaccess scopes
  add("GET", "/ht/file.txt", { Origin = "https://ht.example.com" }, 2)
  add("OPTIONS", "/ht/file.txt", { Origin = "https://ht.example.com",
    ["Access-Control-Request-Method"] = "POST",
    ["Access-Control-Request-Headers"] = "x-anything" })
  add("GET", "/ht/off/file.txt", { Origin = "https://ht.example.com" })
  -- CGI backend (sets its own Access-Control-Allow-Origin: *)
  add("GET", "/cgi-bin/cors.cgi", { Origin = APP })
  add("GET", "/cgi-bin/cors.cgi", { Origin = EVIL })
  add("OPTIONS", "/cgi-bin/cors.cgi", { Origin = APP,
    ["Access-Control-Request-Method"] = "GET" })
  n = #reqs
end

function request()
  counter = counter + 1
  return reqs[(counter % n) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status))
end
