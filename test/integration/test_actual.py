"""Actual (non-preflight) CORS requests: the origin directives, credentials,
Expose-Headers, Vary merging, methods not checked on actual requests.

One httpd for the whole module; each policy lives under its own URL prefix:
/<prefix>/s/...   static files (docroot/s/...)
/<prefix>/cgi/... the CGI scripts of cors_asserts.CGI
"""

import pytest

from cors_asserts import ACAC, ACAO, ACEH, CGI, expose_set, granted, not_granted

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

FILES = {"s/data.txt": "static data " * 20 + "\n", "s/index.html": "<p>hi</p>\n"}


@pytest.fixture(scope="module")
def srv(httpd_module):
    return httpd_module(CONF, files=FILES, cgi=CGI)


# ---- CORSAllowOrigin with explicit origins ----------------------------------

@pytest.mark.parametrize("origin", [APP, OTHER])
def test_listed_origin_is_granted_static(srv, origin):
    r = srv.get("/api/s/data.txt", origin)
    assert r.status == 200
    assert r.body.startswith(b"static data")
    granted(r, origin)


def test_listed_origin_is_granted_cgi(srv):
    r = srv.get("/api/cgi/plain", APP)
    assert r.status == 200 and r.body == b"cgi body\n"
    granted(r, APP)


def test_unlisted_origin_is_served_without_cors_headers(srv):
    r = srv.get("/api/s/data.txt", EVIL)
    assert r.status == 200
    assert r.body.startswith(b"static data")
    not_granted(r)


def test_no_origin_no_cors_headers_but_vary(srv):
    r = srv.get("/api/s/data.txt")
    assert r.status == 200
    not_granted(r, vary=True)


def test_head_request_granted(srv):
    r = srv.request("HEAD", "/api/s/data.txt", {"Origin": APP})
    assert r.status == 200
    granted(r, APP)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_method_not_checked_on_actual_requests(srv, method):
    # /api allows only the default methods (GET HEAD POST); an actual
    # request is served and answered with CORS headers whatever its method
    r = srv.request(method, "/api/cgi/plain", {"Origin": APP}, body=b"x=1")
    assert r.status == 200, r
    granted(r, APP)


def test_outside_any_policy_nothing_added(srv):
    r = srv.get("/plainloc/s/data.txt", APP)
    assert r.status == 200
    assert r.ac_headers() == []
    assert "origin" not in r.vary()


# ---- CORSAllowCredentials ---------------------------------------------------

def test_credentials_on_allowed_origin(srv):
    r = srv.get("/credapi/s/data.txt", APP)
    granted(r, APP, credentials=True)


def test_credentials_not_sent_to_disallowed_origin(srv):
    r = srv.get("/credapi/s/data.txt", EVIL)
    not_granted(r)


def test_credentials_not_sent_without_origin(srv):
    r = srv.get("/credapi/s/data.txt")
    not_granted(r)


def test_credentials_off_by_default(srv):
    r = srv.get("/api/s/data.txt", APP)
    granted(r, APP, credentials=False)


# ---- CORSAllowOrigin * ------------------------------------------------------

@pytest.mark.parametrize("origin", [APP, EVIL, "null", "HTTPS://X.EXAMPLE", None])
def test_star_answers_star_for_any_or_no_origin(srv, origin):
    r = srv.get("/star/s/data.txt", origin)
    assert r.status == 200
    granted(r, "*", vary=False)
    assert "origin" not in r.vary(), "Vary: Origin with '*': %r" % r


def test_star_overrides_backend_headers(srv):
    r = srv.get("/star/cgi/acao", APP)
    granted(r, "*", vary=False)
    # every other Access-Control-* of the backend is gone
    assert [k.lower() for k, _ in r.ac_headers()] == ["access-control-allow-origin"]
    assert "accept-encoding" in r.vary()


# ---- CORSExposeHeaders ------------------------------------------------------

def test_expose_list_joined_as_written(srv):
    r = srv.get("/expose/cgi/plain", APP)
    granted(r, APP)
    assert r.header(ACEH) == "X-One, X-Two"


def test_expose_not_sent_to_disallowed_origin(srv):
    r = srv.get("/expose/cgi/plain", EVIL)
    not_granted(r)


def test_expose_not_sent_without_origin(srv):
    r = srv.get("/expose/cgi/plain")
    not_granted(r)


def test_expose_star_without_credentials_is_star(srv):
    r = srv.get("/exposestar/cgi/plain", APP)
    granted(r, APP)
    assert r.header(ACEH) == "*"


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


def test_expose_list_with_star_origin(srv):
    r = srv.get("/starexpose/cgi/plain", APP)
    granted(r, "*", vary=False)
    assert r.header(ACEH) == "X-One"


def test_expose_star_with_credentials_backend_headers(srv):
    r = srv.get("/exposestarcred/cgi/acao", APP)
    granted(r, APP, credentials=True)
    names = expose_set(r)
    assert "x-secret" in names, names
    assert not any(n.startswith("access-control-") for n in names), names
    # the backend's own list is replaced by ours
    assert len(r.header_all(ACEH)) == 1


# ---- Vary -------------------------------------------------------------------

def test_vary_merged_with_handler_vary(srv):
    r = srv.get("/api/cgi/vary", APP)
    granted(r, APP)
    toks = r.vary_list()
    assert sorted(toks) == ["accept-encoding", "origin", "user-agent"], toks


def test_vary_merged_for_disallowed_origin(srv):
    r = srv.get("/api/cgi/vary", EVIL)
    not_granted(r)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin", "user-agent"]


def test_vary_origin_not_duplicated(srv):
    r = srv.get("/api/cgi/varyorigin", APP)
    granted(r, APP)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


def test_vary_star_left_alone(srv):
    r = srv.get("/api/cgi/varystar", APP)
    assert r.header(ACAO) == APP
    assert r.vary_list() == ["*"], r.vary_list()


def test_vary_merged_with_err_headers_vary(srv):
    # mod_headers "always" puts Vary into err_headers_out
    r = srv.get("/api/s/data.txt?custom", APP)
    granted(r, APP)
    toks = r.vary_list()
    assert "x-custom" in toks and toks.count("origin") == 1, toks


def test_vary_merged_with_mod_deflate(srv):
    r = srv.get("/gz/s/data.txt", APP, {"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.header("Content-Encoding") == "gzip"
    granted(r, APP)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


def test_vary_merged_with_mod_deflate_no_gzip(srv):
    r = srv.get("/gz/s/data.txt", APP)
    assert r.status == 200
    granted(r, APP)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


# ---- what is an actual request ----------------------------------------------

def test_options_without_request_method_is_an_actual_request(srv):
    r = srv.request("OPTIONS", "/api/s/data.txt", {"Origin": APP})
    assert r.status == 200, r
    assert r.header("Allow")
    granted(r, APP)
    assert not r.has("Access-Control-Allow-Methods")


def test_get_with_request_method_header_is_an_actual_request(srv):
    r = srv.request("GET", "/api/s/data.txt",
                    {"Origin": APP, "Access-Control-Request-Method": "PUT"})
    assert r.status == 200 and r.body.startswith(b"static data")
    granted(r, APP)
    assert not r.has("Access-Control-Allow-Methods")


def test_range_request_206(srv):
    r = srv.get("/api/s/data.txt", APP, {"Range": "bytes=0-5"})
    assert r.status == 206, r
    assert r.body == b"static"
    granted(r, APP)


def test_directory_index_internal_redirect(srv):
    r = srv.get("/api/s/", APP)
    assert r.status == 200 and r.body == b"<p>hi</p>\n", r
    granted(r, APP)


@pytest.mark.parametrize("path,status", [("/star/cgi/fail", 500),
                                         ("/star/s/missing", 404)])
def test_star_on_errors(srv, path, status):
    r = srv.get(path, APP)
    assert r.status == status
    granted(r, "*", vary=False)
