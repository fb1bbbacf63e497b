# SPDX-License-Identifier: Apache-2.0
"""Actual (non-preflight) CORS requests: the origin directives, credentials,
Expose-Headers, Vary merging, methods not checked on actual requests.

One httpd for the whole module; each policy lives under its own URL prefix:
/<prefix>/s/...   static files (docroot/s/...)
/<prefix>/cgi/... the CGI scripts of cors_helpers.CGI

Tables, one test a shape: GRANTED, NOT_GRANTED; a check a row cannot say
has a function of its own.
"""

import pytest

from cors_helpers import (ACEH, CGI, check_granted, expose_set, granted,
                          not_granted, send,
                          served, table, untouched)

APP = "https://app.example.com"
OTHER = "https://other.example.com"
EVIL = "https://evil.example.net"

PREFIXES = "api|credapi|star|starexpose|expose|exposestar|exposestarcred|gz|plainloc"

CONF = r"""
AliasMatch "^/(%(p)s)/s/(.*)$" "{docroot}/s/$2"
ScriptAliasMatch "^/(%(p)s)/cgi/(.*)$" "{cgibin}/$2"
<Location /api>
    CORSAllowOrigin https://app.example.com https://other.example.com
    Header always merge Vary X-Custom "expr=%%{QUERY_STRING} == 'custom'"
</Location>
<Location /credapi>
    CORSAllowOrigin https://app.example.com
    CORSAllowCredentials On
</Location>
<Location /star>
    CORSAllowOrigin *
</Location>
<Location /expose>
    CORSAllowOrigin https://app.example.com
    CORSExposeHeaders X-One X-Two
</Location>
<Location /exposestar>
    CORSAllowOrigin https://app.example.com
    CORSExposeHeaders *
</Location>
<Location /exposestarcred>
    CORSAllowOrigin https://app.example.com
    CORSExposeHeaders *
    CORSAllowCredentials On
    Header always set X-Always "1"
    Header set X-Onsuccess "1"
</Location>
<Location /starexpose>
    CORSAllowOrigin *
    CORSExposeHeaders X-One
</Location>
<Location /gz>
    CORSAllowOrigin https://app.example.com
    AddOutputFilterByType DEFLATE text/plain
</Location>
""" % {"p": PREFIXES}

DATA = b"static data " * 20 + b"\n"
FILES = {"s/data.txt": DATA, "s/index.html": "<p>hi</p>\n"}


@pytest.fixture(scope="module")
def srv(httpd_module):
    return httpd_module(CONF, files=FILES, cgi=CGI)


CRED = dict(credentials=True)
STAR = dict(origin="*")
ACRM = "Access-Control-Request-Method"

# (id, request, Origin, status, granted() arguments, served() arguments)
# request: a path (GET) or (method, path, fields, body), as send() takes it
GRANTED = [
    # ---- CORSAllowOrigin with explicit origins
    ("listed-static", "/api/s/data.txt", APP, 200, {}, dict(body=DATA)),
    ("listed-static-second", "/api/s/data.txt", OTHER, 200, {}, dict(body=DATA)),
    ("listed-cgi", "/api/cgi/plain", APP, 200, {}, dict(body=b"cgi body\n")),
    ("head", ("HEAD", "/api/s/data.txt"), APP, 200, {}, {}),
    # /api allows only the default methods (GET HEAD POST); an actual
    # request is served and answered with CORS headers whatever its method
    ("method-POST", ("POST", "/api/cgi/plain", {}, b"x=1"), APP, 200, {}, {}),
    ("method-PUT", ("PUT", "/api/cgi/plain", {}, b"x=1"), APP, 200, {}, {}),
    ("method-DELETE", ("DELETE", "/api/cgi/plain", {}, b"x=1"), APP, 200, {}, {}),
    ("method-PATCH", ("PATCH", "/api/cgi/plain", {}, b"x=1"), APP, 200, {}, {}),
    # ---- CORSAllowCredentials
    ("credentials", "/credapi/s/data.txt", APP, 200, CRED, {}),
    ("credentials-off-by-default", "/api/s/data.txt", APP, 200,
     dict(credentials=False), {}),
    # ---- CORSAllowOrigin *: "*" for any or no origin, no Vary: Origin
    ("star", "/star/s/data.txt", APP, 200, STAR, dict(vary=[])),
    ("star-unlisted", "/star/s/data.txt", EVIL, 200, STAR, dict(vary=[])),
    ("star-null", "/star/s/data.txt", "null", 200, STAR, dict(vary=[])),
    ("star-malformed", "/star/s/data.txt", "HTTPS://X.EXAMPLE", 200, STAR,
     dict(vary=[])),
    ("star-no-origin", "/star/s/data.txt", None, 200, STAR, dict(vary=[])),
    # every other Access-Control-* of the backend is gone
    ("star-over-backend", "/star/cgi/acao", APP, 200, dict(STAR, only=True),
     dict(vary=["accept-encoding"])),
    ("star-500", "/star/cgi/fail", APP, 500, STAR, {}),
    ("star-404", "/star/s/missing", APP, 404, STAR, {}),
    # ---- CORSExposeHeaders
    ("expose-list-as-written", "/expose/cgi/plain", APP, 200,
     dict(expose="X-One, X-Two"), {}),
    ("expose-star-without-credentials", "/exposestar/cgi/plain", APP, 200,
     dict(expose="*"), {}),
    ("expose-list-star-origin", "/starexpose/cgi/plain", APP, 200,
     dict(STAR, expose="X-One"), {}),
    # ---- Vary merged with what the handler, mod_headers, mod_deflate set
    ("vary-handler", "/api/cgi/vary", APP, 200, {},
     dict(vary=["accept-encoding", "origin", "user-agent"])),
    ("vary-origin-not-duplicated", "/api/cgi/varyorigin", APP, 200, {},
     dict(vary=["accept-encoding", "origin"])),
    # mod_headers "always" puts Vary into err_headers_out
    ("vary-err-headers-out", "/api/s/data.txt?custom", APP, 200, {},
     dict(vary=["origin", "x-custom"])),
    ("vary-mod-deflate-gzip",
     ("GET", "/gz/s/data.txt", {"Accept-Encoding": "gzip"}), APP, 200, {},
     dict(fields={"Content-Encoding": "gzip"},
          vary=["accept-encoding", "origin"])),
    ("vary-mod-deflate-identity", "/gz/s/data.txt", APP, 200, {},
     dict(fields={"Content-Encoding": None},
          vary=["accept-encoding", "origin"])),
    # Vary: * stays alone
    ("vary-star", "/api/cgi/varystar", APP, 200, dict(vary=False),
     dict(vary=["*"])),
    # ---- what is an actual request: no -Allow-Methods
    ("options-without-request-method", ("OPTIONS", "/api/s/data.txt"), APP,
     200, dict(only=True), dict(fields={"Allow": True})),
    ("get-with-request-method", ("GET", "/api/s/data.txt", {ACRM: "PUT"}),
     APP, 200, dict(only=True), dict(body=DATA)),
    ("range-206", ("GET", "/api/s/data.txt", {"Range": "bytes=0-5"}), APP,
     206, {}, dict(body=b"static")),
    ("directory-index", "/api/s/", APP, 200, {}, dict(body=b"<p>hi</p>\n")),
]


@table("req,origin,status,want,also", GRANTED)
def test_granted(srv, req, origin, status, want, also):
    check_granted(srv, req, origin, status, want, also)


# (id, request, Origin, served() arguments); every answer a 200
NOT_GRANTED = [
    ("unlisted", "/api/s/data.txt", EVIL, dict(body=DATA)),
    ("no-origin", "/api/s/data.txt", None, {}),
    ("credentials-unlisted", "/credapi/s/data.txt", EVIL, {}),
    ("credentials-no-origin", "/credapi/s/data.txt", None, {}),
    ("expose-unlisted", "/expose/cgi/plain", EVIL, {}),
    ("expose-no-origin", "/expose/cgi/plain", None, {}),
    ("vary-handler", "/api/cgi/vary", EVIL,
     dict(vary=["accept-encoding", "origin", "user-agent"])),
]


@table("req,origin,also", NOT_GRANTED)
def test_not_granted(srv, req, origin, also):
    r = send(srv, req, origin)
    served(r, 200, **also)
    not_granted(r)


def test_outside_any_policy_nothing_added(srv):
    r = srv.get("/plainloc/s/data.txt", APP)
    served(r, 200)
    untouched(r)


# ---- CORSExposeHeaders * with credentials: the names, never "*" -----------

def test_expose_star_with_credentials_lists_response_headers(srv):
    r = srv.get("/exposestarcred/cgi/plain", APP)
    granted(r, APP, credentials=True)
    names = expose_set(r)
    assert "*" not in names
    assert {"x-one", "x-two", "x-always", "x-onsuccess"} <= names, names
    # safelisted response headers, Set-Cookie and Access-Control-* never
    for n in ("set-cookie", "content-type", "cache-control", "content-length",
              "content-language", "expires", "last-modified", "pragma"):
        assert n not in names, (n, names)
    assert not any(n.startswith("access-control-") for n in names), names


def test_expose_star_with_credentials_never_empty(srv):
    r = srv.get("/exposestarcred/cgi/vary", APP)
    granted(r, APP, credentials=True)
    for v in r.header_all(ACEH):
        assert v.strip(), "empty %s: %r" % (ACEH, r)


def test_expose_star_with_credentials_backend_headers(srv):
    r = srv.get("/exposestarcred/cgi/acao", APP)
    granted(r, APP, credentials=True)
    names = expose_set(r)
    assert "x-secret" in names, names
    assert not any(n.startswith("access-control-") for n in names), names
    # the backend's own list is replaced by ours
    assert len(r.header_all(ACEH)) == 1
