# SPDX-License-Identifier: Apache-2.0
"""Every kind of response in a policy scope carries the CORS answer: errors
(404, 403, 413, 500, ErrorDocument), 304, redirects, CGI and proxied
backends that do their own CORS, mod_headers; outside a policy scope nothing
changes.  After an internal redirect (ErrorDocument, mod_rewrite, a CGI
local redirect) the configuration of the content that is served decides: the
target's policy, or its absence.  An error httpd generates itself stays under
the request's policy.

Tables, one test a shape: GRANTED (the answer grants the origin),
NOT_GRANTED (it does not, and says it depends on Origin), UNTOUCHED (no
policy where the content is served: its own fields go out as sent) and
CONDITIONAL (a 304 carries what the 200 carried).
"""

import http.client

import pytest

from cors_helpers import (ACAC, ACAO, CGI, CGI_OWN_CORS, check_granted, granted,
                          not_granted, send, served, table, untouched)

APP = "https://app.example.com"
OTHER = "https://other.example.com"
EVIL = "https://evil.example.net"

PREFIXES = "api|apicred|noc|hdr|nochdr|otherpolicy|hdrvary|exposeerr|onlysettings|engoff/sub"

CONF = r"""
AliasMatch "^/(%(p)s)/s/(.*)$" "{docroot}/s/$2"
ScriptAliasMatch "^/(%(p)s)/cgi/(.*)$" "{cgibin}/$2"
ErrorDocument 404 /errdocs/404.html
Redirect 301 /api/moved /api/s/data.txt
Redirect 302 /api/temp https://elsewhere.example/
Redirect 301 /apicred/moved /apicred/s/data.txt
RewriteEngine On
RewriteRule "^/api/rw302$" "/api/s/data.txt" [R=302,L]

<Location /api>
    CORSAllowOrigin https://app.example.com
</Location>
<Location /apicred>
    CORSAllowOrigin https://app.example.com
    CORSAllowCredentials On
</Location>
<Location /api/forbidden>
    Require all denied
</Location>
<Location /api/small>
    LimitRequestBody 10
</Location>
# what an administrator writes so that pages can read error documents: a
# policy on the error documents' location
<Location /errdocs>
    CORSAllowOrigin https://app.example.com
    CORSAllowCredentials On
</Location>
<Location /otherpolicy>
    CORSAllowOrigin https://other.example.com
</Location>
<Location /api/ed-other>
    ErrorDocument 404 /otherpolicy/s/404.html
</Location>
<Location /api/ed-cgi>
    ErrorDocument 404 /noc/cgi/acao
</Location>
<Location /api/ed-string>
    ErrorDocument 404 "nothing here"
</Location>
<Location /hdr>
    CORSAllowOrigin https://app.example.com
    ErrorDocument 404 default
    Header always set Access-Control-Allow-Origin "*"
    Header always set Access-Control-Allow-Credentials "true"
    Header set Access-Control-Expose-Headers "X-Secret"
    Header always merge Vary "Accept-Language"
</Location>
<Location /nochdr>
    Header always set Access-Control-Allow-Origin "*"
</Location>
<Location /proxy>
    CORSAllowOrigin https://app.example.com
    ProxyPass "%(backend)s/"
</Location>
<Location /noproxy>
    ProxyPass "%(backend)s/"
</Location>
<Location /proxydown>
    CORSAllowOrigin https://app.example.com
    ProxyPass "http://127.0.0.1:%(closed)d/"
</Location>
<Location /onlysettings>
    CORSAllowCredentials On
    CORSExposeHeaders X-Secret
    CORSEngine On
</Location>
<Location /engoff>
    CORSEngine Off
</Location>
<Location /engoff/sub>
    CORSAllowOrigin https://app.example.com
</Location>
<Location /proxyeo>
    CORSAllowOrigin https://app.example.com
    ProxyPass "%(backend)s/"
    ProxyErrorOverride On
</Location>
<Location /hdrvary>
    CORSAllowOrigin https://app.example.com
    Header always set Vary "Accept-Encoding"
</Location>
<Location /exposeerr>
    CORSAllowOrigin https://app.example.com
    ErrorDocument 404 default
    CORSExposeHeaders X-One
</Location>

# internal redirects by mod_rewrite in directory context
<Directory "{docroot}/rwdir">
    CORSAllowOrigin https://app.example.com
    RewriteEngine On
    RewriteRule "^x$" "/otherpolicy/s/data.txt" [L]
</Directory>
<Directory "{docroot}/rwcgi">
    CORSAllowOrigin https://app.example.com
    RewriteEngine On
    RewriteRule "^x$" "/noc/cgi/acao" [L]
</Directory>
<Directory "{docroot}/rwnp">
    RewriteEngine On
    RewriteRule "^x$" "/otherpolicy/s/data.txt" [L]
</Directory>
"""

FILES = {
    "s/data.txt": "static data\n",
    "s/404.html": "other policy's error page\n",
    "errdocs/404.html": "error document\n",
    "rwdir/placeholder": "",
    "rwnp/placeholder": "",
    "rwcgi/placeholder": "",
    "api/sub/index.html": "sub index\n",
}


@pytest.fixture(scope="module")
def srv(httpd_module, backend):
    from conftest import free_port
    conf = CONF % {"p": PREFIXES, "backend": backend.url, "closed": free_port()}
    return httpd_module(conf, files=FILES, cgi=CGI)


# The fields every answer of conftest's backend carries of its own.
BACKEND_CORS = {ACAO: "*", ACAC: "true"}
AE_ORIGIN = ["accept-encoding", "origin"]
CRED = dict(credentials=True)
ONLY = dict(only=True)  # the backend's other Access-Control-* fields are gone

# (id, request, Origin, status, granted() arguments, served() arguments)
# request: a path (GET) or (method, path, fields, body), as send() takes it
GRANTED = [
    # ---- errors
    # the error document's own policy (/errdocs: with credentials) decides
    ("404-error-document", "/api/missing.txt", APP, 404, CRED,
     dict(body=b"error document\n")),
    ("404-credentials", "/apicred/missing.txt", APP, 404, CRED, {}),
    ("403-require-all-denied", "/api/forbidden/x", APP, 403, {}, {}),
    ("413-body-too-large", ("POST", "/api/small/x", {}, b"x" * 100), APP, 413,
     {}, {}),
    ("500-failing-cgi", "/api/cgi/fail", APP, 500, {}, {}),
    ("500-failing-cgi-credentials", "/apicred/cgi/fail", APP, 500, CRED, {}),
    ("503-backend-down", "/proxydown/x", APP, 503, {}, {}),
    ("error-document-string", "/api/ed-string/missing", APP, 404, {},
     dict(body=b"nothing here")),
    # the error page's scope allows OTHER (and not APP: see NOT_GRANTED)
    ("error-document-other-policy", "/api/ed-other/missing", OTHER, 404, {},
     dict(body=b"other policy's error page\n")),
    # ---- redirects
    ("301-redirect", "/api/moved", APP, 301, {},
     dict(location="/api/s/data.txt")),
    ("302-redirect", "/api/temp", APP, 302, {},
     dict(location="https://elsewhere.example/")),
    ("302-rewrite", "/api/rw302", APP, 302, {},
     dict(location="/api/s/data.txt")),
    ("301-redirect-credentials", "/apicred/moved", APP, 301, CRED,
     dict(location="/apicred/s/data.txt")),
    ("301-mod-dir-trailing-slash", "/api/sub", APP, 301, {},
     dict(location="/api/sub/")),
    ("mod-dir-index", "/api/sub/", APP, 200, {}, dict(body=b"sub index\n")),
    ("302-cgi-client-redirect", "/api/cgi/extredir", APP, 302, ONLY,
     dict(location="https://elsewhere.example/x")),
    # ---- a CGI that does its own CORS: its fields replaced
    ("cgi-own-cors", "/api/cgi/acao", APP, 200, ONLY,
     dict(body=b"backend body\n", fields={"X-Secret": "s"}, vary=AE_ORIGIN)),
    ("cgi-own-cors-any-spelling", "/api/cgi/acaocase", APP, 200, ONLY, {}),
    ("cgi-own-cors-404", "/api/cgi/acao?404", APP, 404, ONLY,
     dict(vary=AE_ORIGIN)),
    ("cgi-own-cors-500", "/api/cgi/acao?500", APP, 500, ONLY,
     dict(vary=AE_ORIGIN)),
    ("cgi-own-cors-201", "/api/cgi/acao?201", APP, 201, ONLY,
     dict(vary=AE_ORIGIN)),
    ("cgi-own-cors-credentials", "/apicred/cgi/acao?404", APP, 404,
     dict(CRED, only=True), {}),
    # ---- a proxied backend that does its own CORS: its fields replaced
    ("proxy-own-cors", "/proxy/thing", APP, 200, ONLY,
     dict(body=b"backend body\n", fields={"X-Backend": "yes"},
          vary=AE_ORIGIN)),
    ("proxy-404", "/proxy/status/404", APP, 404, ONLY, {}),
    ("proxy-500", "/proxy/status/500", APP, 500, ONLY, {}),
    ("proxy-302", "/proxy/status/302", APP, 302, ONLY, {}),
    # ProxyErrorOverride: the error document's own policy, none of the
    # backend's fields
    ("proxy-error-override", "/proxyeo/status/404", APP, 404,
     dict(CRED, only=True), dict(body=b"error document\n")),
    ("proxy-repeated-backend-fields", "/proxy/multi", APP, 200, ONLY,
     dict(vary=["accept-encoding", "accept-language", "cookie", "origin"])),
    # ---- mod_headers in the same scope
    ("mod-headers", "/hdr/s/data.txt", APP, 200, ONLY,
     dict(vary=["accept-language", "origin"])),
    ("mod-headers-404", "/hdr/s/missing.txt", APP, 404, ONLY, {}),
    ("mod-headers-set-vary", "/hdrvary/s/data.txt", APP, 200, {},
     dict(vary=AE_ORIGIN)),
    ("expose-headers-404", "/exposeerr/s/missing", APP, 404,
     dict(expose="X-One"), {}),
    # ---- internal redirects (mod_rewrite in directory context): the
    # target's policy
    ("rewrite-target-policy", "/rwdir/x", OTHER, 200, {}, {}),
    ("rewrite-from-no-policy", "/rwnp/x", OTHER, 200, {},
     dict(body=b"static data\n")),
    # optional white space around a field value is not part of it (RFC 9110)
    ("origin-surrounding-whitespace", "/api/s/data.txt", "  %s\t" % APP, 200,
     dict(origin=APP), {}),
]


@table("req,origin,status,want,also", GRANTED)
def test_granted(srv, req, origin, status, want, also):
    check_granted(srv, req, origin, status, want, also)


# (id, request, Origin, status, served() arguments)
NOT_GRANTED = [
    ("404", "/api/missing.txt", EVIL, 404, {}),
    # the request's scope allows APP, the error page's scope does not
    ("error-document-other-policy", "/api/ed-other/missing", APP, 404,
     dict(body=b"other policy's error page\n")),
    ("301-redirect", "/api/moved", EVIL, 301, {}),
    ("cgi-own-cors", "/api/cgi/acao", EVIL, 200, dict(vary=AE_ORIGIN)),
    ("cgi-own-cors-no-origin", "/api/cgi/acao", None, 200, {}),
    ("cgi-own-cors-any-spelling", "/api/cgi/acaocase", EVIL, 200, {}),
    ("proxy", "/proxy/thing", EVIL, 200, dict(vary=AE_ORIGIN)),
    ("proxy-no-origin", "/proxy/thing", None, 200, {}),
    ("proxy-repeated-backend-fields", "/proxy/multi", EVIL, 200, {}),
    ("mod-headers", "/hdr/s/data.txt", EVIL, 200, {}),
    # mod_rewrite: the request's policy is not used
    ("rewrite-request-policy", "/rwdir/x", APP, 200,
     dict(body=b"static data\n")),
]


@table("req,origin,status,also", NOT_GRANTED)
def test_not_granted(srv, req, origin, status, also):
    r = send(srv, req, origin)
    served(r, status, **also)
    not_granted(r)


# (id, request, Origin, status, the content's own Access-Control-* fields,
#  served() arguments)
UNTOUCHED = [
    # the error document has no policy: its own fields go out as it sent them
    ("error-document-cgi", "/api/ed-cgi/missing", APP, 404, CGI_OWN_CORS,
     dict(body=b"backend body\n")),
    ("cgi", "/noc/cgi/acao", APP, 200, CGI_OWN_CORS,
     dict(vary=["accept-encoding"])),
    ("proxy", "/noproxy/thing", APP, 200, BACKEND_CORS,
     dict(fields={"X-Backend": "yes"}, vary=["accept-encoding"])),
    ("mod-headers", "/nochdr/s/data.txt", APP, 200, {ACAO: "*"}, {}),
    # the rewrite target has no policy: whatever the request's scope allows
    ("rewrite-to-cgi", "/rwcgi/x", APP, 200, CGI_OWN_CORS,
     dict(body=b"backend body\n")),
    ("rewrite-to-cgi-disallowed", "/rwcgi/x", EVIL, 200, CGI_OWN_CORS,
     dict(body=b"backend body\n")),
    # the CGI redirects to /noc, which has no policy
    ("cgi-local-redirect", "/api/cgi/localredir", APP, 200, {},
     dict(body=b"static data\n")),
    # CORSEngine On and other settings, but no origin rule: no policy
    ("settings-without-origin-rule", "/onlysettings/cgi/acao", APP, 200,
     CGI_OWN_CORS, dict(vary=["accept-encoding"])),
    # Off applies below until an inner scope turns it On again: origins
    # alone do not
    ("engine-off-inherited", "/engoff/sub/cgi/acao", APP, 200, CGI_OWN_CORS,
     dict(vary=["accept-encoding"])),
]


@table("req,origin,status,own,also", UNTOUCHED)
def test_untouched_outside_policy(srv, req, origin, status, own, also):
    r = send(srv, req, origin)
    served(r, status, **also)
    untouched(r, own)


# (id, path, Origin, granted() arguments, or None: not granted)
CONDITIONAL = [
    ("api", "/api/s/data.txt", APP, {}),
    ("credentials", "/apicred/s/data.txt", APP, CRED),
    ("disallowed", "/api/s/data.txt", EVIL, None),
    ("expose-headers", "/exposeerr/s/data.txt", APP, dict(expose="X-One")),
]


@table("path,origin,want", CONDITIONAL)
def test_304_carries_cors_answer(srv, path, origin, want):
    r = srv.get(path, origin)
    etag = r.header("ETag")
    assert r.status == 200 and etag, r
    r = srv.get(path, origin, {"If-None-Match": etag})
    served(r, 304)
    if want is None:
        not_granted(r)
    else:
        granted(r, origin, **want)


def test_proxy_forwards_origin_to_backend(srv):
    r = srv.get("/proxy/echo", APP)
    assert ("Origin: %s" % APP).encode() in r.body


# ---- one connection, several requests: no state carried over ----------------

def test_keepalive_requests_independent(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        seq = [APP, EVIL, None, APP, "null", APP]
        for origin in seq:
            hdrs = {"Origin": origin} if origin else {}
            conn.request("GET", "/api/cgi/acao", headers=hdrs)
            resp = conn.getresponse()
            resp.read()
            acao = [v for k, v in resp.getheaders()
                    if k.lower() == "access-control-allow-origin"]
            assert acao == ([APP] if origin == APP else []), (origin, resp.getheaders())
            assert resp.getheader("Connection", "").lower() != "close"
    finally:
        conn.close()
