"""Every kind of response in a policy scope carries the CORS answer: errors
(404, 403, 413, 500, ErrorDocument), 304, redirects, CGI and proxied
backends that do their own CORS, mod_headers; outside a policy scope nothing
changes.  After an internal redirect (ErrorDocument, mod_rewrite, a CGI
local redirect) the configuration of the content that is served decides: the
target's policy, or its absence.  An error httpd generates itself stays under
the request's policy.
"""

import pytest

from cors_asserts import ACAC, ACAO, ACEH, CGI, granted, not_granted

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


def only_acao(r):
    """The only Access-Control-* field is Access-Control-Allow-Origin."""
    names = [k.lower() for k, _ in r.ac_headers()]
    assert names == ["access-control-allow-origin"], r.ac_headers()


# ---- error responses --------------------------------------------------------

def test_404_error_document_under_its_own_policy(srv):
    # /errdocs allows APP with credentials; /api allows it without
    r = srv.get("/api/missing.txt", APP)
    assert r.status == 404
    assert r.body == b"error document\n"
    granted(r, APP, credentials=True)


def test_404_disallowed_origin(srv):
    r = srv.get("/api/missing.txt", EVIL)
    assert r.status == 404
    not_granted(r)


def test_404_credentials(srv):
    r = srv.get("/apicred/missing.txt", APP)
    assert r.status == 404
    granted(r, APP, credentials=True)


def test_403_require_all_denied(srv):
    r = srv.get("/api/forbidden/x", APP)
    assert r.status == 403
    granted(r, APP)


def test_413_request_body_too_large(srv):
    r = srv.request("POST", "/api/small/x", {"Origin": APP}, body=b"x" * 100)
    assert r.status == 413
    granted(r, APP)


def test_500_failing_cgi(srv):
    r = srv.get("/api/cgi/fail", APP)
    assert r.status == 500
    granted(r, APP)


def test_500_failing_cgi_credentials(srv):
    r = srv.get("/apicred/cgi/fail", APP)
    assert r.status == 500
    granted(r, APP, credentials=True)


def test_error_document_string(srv):
    r = srv.get("/api/ed-string/missing", APP)
    assert r.status == 404
    assert b"nothing here" in r.body
    granted(r, APP)


def test_error_document_in_other_policy_not_granted_by_request_policy(srv):
    # the request's scope allows APP, the error page's scope does not
    r = srv.get("/api/ed-other/missing", APP)
    assert r.status == 404
    assert r.body == b"other policy's error page\n"
    not_granted(r)


def test_error_document_in_other_policy_uses_its_own_policy(srv):
    r = srv.get("/api/ed-other/missing", OTHER)
    assert r.status == 404
    granted(r, OTHER)


def test_error_document_cgi_outside_policy_untouched(srv):
    # the error document has no policy: its own fields go out as it sent them
    r = srv.get("/api/ed-cgi/missing", APP)
    assert r.status == 404
    assert r.body == b"backend body\n"
    assert r.header_all(ACAO) == ["*"]
    assert r.header_all(ACAC) == ["true"]
    assert "origin" not in r.vary()


# ---- 304 --------------------------------------------------------------------

@pytest.mark.parametrize("prefix,creds", [("api", False), ("apicred", True)])
def test_304_carries_cors_headers(srv, prefix, creds):
    path = "/%s/s/data.txt" % prefix
    r = srv.get(path, APP)
    etag = r.header("ETag")
    assert r.status == 200 and etag
    r = srv.get(path, APP, {"If-None-Match": etag})
    assert r.status == 304, r
    granted(r, APP, credentials=creds)


def test_304_disallowed_origin(srv):
    r = srv.get("/api/s/data.txt", EVIL)
    etag = r.header("ETag")
    r = srv.get("/api/s/data.txt", EVIL, {"If-None-Match": etag})
    assert r.status == 304
    not_granted(r)


# ---- redirects --------------------------------------------------------------

@pytest.mark.parametrize("path,status", [("/api/moved", 301), ("/api/temp", 302),
                                         ("/api/rw302", 302)])
def test_redirect_carries_cors_headers(srv, path, status):
    r = srv.get(path, APP)
    assert r.status == status
    assert r.header("Location")
    granted(r, APP)


def test_redirect_credentials(srv):
    r = srv.get("/apicred/moved", APP)
    assert r.status == 301
    granted(r, APP, credentials=True)


def test_redirect_disallowed_origin(srv):
    r = srv.get("/api/moved", EVIL)
    assert r.status == 301
    not_granted(r)


# ---- a CGI that does its own CORS -------------------------------------------

def test_cgi_own_cors_headers_replaced(srv):
    r = srv.get("/api/cgi/acao", APP)
    assert r.status == 200 and r.body == b"backend body\n"
    granted(r, APP)
    only_acao(r)
    assert r.header("X-Secret") == "s"
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


def test_cgi_own_cors_headers_any_spelling_removed(srv):
    r = srv.get("/api/cgi/acaocase", APP)
    assert r.status == 200
    granted(r, APP)
    only_acao(r)
    r = srv.get("/api/cgi/acaocase", EVIL)
    not_granted(r)


@pytest.mark.parametrize("status", [404, 500, 201])
def test_cgi_own_cors_headers_replaced_on_status(srv, status):
    r = srv.get("/api/cgi/acao?%d" % status, APP)
    assert r.status == status
    granted(r, APP)
    only_acao(r)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


def test_cgi_own_cors_headers_removed_for_disallowed_origin(srv):
    r = srv.get("/api/cgi/acao", EVIL)
    assert r.status == 200
    not_granted(r)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"]


def test_cgi_own_cors_headers_removed_without_origin(srv):
    r = srv.get("/api/cgi/acao")
    assert r.status == 200
    not_granted(r)


def test_cgi_credentials_scope(srv):
    r = srv.get("/apicred/cgi/acao?404", APP)
    assert r.status == 404
    granted(r, APP, credentials=True)
    assert sorted(k.lower() for k, _ in r.ac_headers()) == [
        "access-control-allow-credentials", "access-control-allow-origin"]


def test_cgi_outside_policy_untouched(srv):
    r = srv.get("/noc/cgi/acao", APP)
    assert r.status == 200
    assert r.header_all(ACAO) == ["*"]
    assert r.header_all(ACAC) == ["true"]
    assert r.header_all(ACEH) == ["X-Secret"]
    assert r.header("Access-Control-Max-Age") == "999"
    assert r.vary_list() == ["accept-encoding"]


# ---- a proxied backend that does its own CORS -------------------------------

def test_proxy_own_cors_headers_replaced(srv):
    r = srv.get("/proxy/thing", APP)
    assert r.status == 200 and r.body == b"backend body\n"
    assert r.header("X-Backend") == "yes"
    granted(r, APP)
    only_acao(r)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


@pytest.mark.parametrize("status", [404, 500, 302])
def test_proxy_error_and_redirect_statuses(srv, status):
    r = srv.get("/proxy/status/%d" % status, APP)
    assert r.status == status
    granted(r, APP)
    only_acao(r)


def test_proxy_disallowed_origin(srv):
    r = srv.get("/proxy/thing", EVIL)
    assert r.status == 200
    not_granted(r)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"]


def test_proxy_without_origin(srv):
    r = srv.get("/proxy/thing")
    assert r.status == 200
    not_granted(r)


def test_proxy_forwards_origin_to_backend(srv):
    r = srv.get("/proxy/echo", APP)
    assert ("Origin: %s" % APP).encode() in r.body


def test_proxy_outside_policy_untouched(srv):
    r = srv.get("/noproxy/thing", APP)
    assert r.status == 200 and r.header("X-Backend") == "yes"
    assert r.header_all(ACAO) == ["*"]
    assert r.header_all(ACAC) == ["true"]
    assert r.vary_list() == ["accept-encoding"]


# ---- mod_headers in the same scope ------------------------------------------

def test_mod_headers_overridden(srv):
    r = srv.get("/hdr/s/data.txt", APP)
    assert r.status == 200
    granted(r, APP)
    only_acao(r)
    assert "accept-language" in r.vary()


def test_mod_headers_overridden_on_error(srv):
    r = srv.get("/hdr/s/missing.txt", APP)
    assert r.status == 404
    granted(r, APP)
    only_acao(r)


def test_mod_headers_removed_for_disallowed_origin(srv):
    r = srv.get("/hdr/s/data.txt", EVIL)
    assert r.status == 200
    not_granted(r)


def test_mod_headers_outside_policy_untouched(srv):
    r = srv.get("/nochdr/s/data.txt", APP)
    assert r.header_all(ACAO) == ["*"]
    assert "origin" not in r.vary()


# ---- internal redirects (mod_rewrite in directory context) ------------------

def test_rewrite_internal_redirect_request_policy_not_used(srv):
    r = srv.get("/rwdir/x", APP)
    assert r.status == 200 and r.body == b"static data\n"
    not_granted(r)


def test_rewrite_internal_redirect_uses_target_policy(srv):
    r = srv.get("/rwdir/x", OTHER)
    assert r.status == 200
    granted(r, OTHER)


def test_rewrite_internal_redirect_from_no_policy_uses_target_policy(srv):
    r = srv.get("/rwnp/x", OTHER)
    assert r.status == 200 and r.body == b"static data\n"
    granted(r, OTHER)


@pytest.mark.parametrize("origin", [APP, EVIL])
def test_rewrite_internal_redirect_to_cgi_without_policy(srv, origin):
    # the target scope has no policy and the CGI sends its own CORS headers:
    # they go out untouched, whatever the client's request's scope allows
    r = srv.get("/rwcgi/x", origin)
    assert r.status == 200 and r.body == b"backend body\n"
    assert r.header_all(ACAO) == ["*"]
    assert "origin" not in r.vary()


# ---- more backends and header sources ---------------------------------------

def test_proxy_error_override_error_document(srv):
    # the error document's own policy, none of the backend's fields
    r = srv.get("/proxyeo/status/404", APP)
    assert r.status == 404
    assert r.body == b"error document\n"
    granted(r, APP, credentials=True)
    assert sorted(k.lower() for k, _ in r.ac_headers()) == [
        "access-control-allow-credentials", "access-control-allow-origin"]


def test_proxy_repeated_backend_fields(srv):
    r = srv.get("/proxy/multi", APP)
    assert r.status == 200
    granted(r, APP)
    only_acao(r)
    assert sorted(r.vary_list()) == ["accept-encoding", "accept-language", "cookie",
                                     "origin"], r.vary_list()


def test_proxy_repeated_backend_fields_disallowed(srv):
    r = srv.get("/proxy/multi", EVIL)
    not_granted(r)


def test_mod_headers_set_vary_keeps_origin(srv):
    r = srv.get("/hdrvary/s/data.txt", APP)
    granted(r, APP)
    assert sorted(r.vary_list()) == ["accept-encoding", "origin"], r.vary_list()


def test_expose_headers_on_error_response(srv):
    r = srv.get("/exposeerr/s/missing", APP)
    assert r.status == 404
    granted(r, APP)
    assert r.header(ACEH) == "X-One"


def test_expose_headers_on_304(srv):
    r = srv.get("/exposeerr/s/data.txt", APP)
    r = srv.get("/exposeerr/s/data.txt", APP, {"If-None-Match": r.header("ETag")})
    assert r.status == 304
    granted(r, APP)
    assert r.header(ACEH) == "X-One"


# ---- one connection, several requests: no state carried over ----------------

def test_keepalive_requests_independent(srv):
    import http.client
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


def test_origin_surrounding_whitespace_is_not_part_of_value(srv):
    # optional white space around a field value is not part of it (RFC 9110)
    r = srv.request("GET", "/api/s/data.txt", [("Origin", "  %s\t" % APP)])
    granted(r, APP)


def test_proxy_backend_down_503(srv):
    r = srv.get("/proxydown/x", APP)
    assert r.status == 503, r
    granted(r, APP)


def test_settings_without_origin_rule_is_no_policy(srv):
    # CORSEngine On and other settings, but no origin rule: no policy, so
    # the module changes nothing
    r = srv.get("/onlysettings/cgi/acao", APP)
    assert r.header_all(ACAO) == ["*"]
    assert r.header_all(ACAC) == ["true"]
    assert r.header_all(ACEH) == ["X-Secret"]
    assert r.vary_list() == ["accept-encoding"]


def test_engine_off_inherited_by_scope_with_origins(srv):
    # Off applies below until an inner scope turns it On again: origins
    # alone do not
    r = srv.get("/engoff/sub/cgi/acao", APP)
    assert r.header_all(ACAO) == ["*"]
    assert r.header_all(ACAC) == ["true"]
    assert r.vary_list() == ["accept-encoding"]


def test_mod_dir_trailing_slash_redirect(srv):
    r = srv.get("/api/sub", APP)
    assert r.status == 301, r
    assert r.header("Location").endswith("/api/sub/")
    granted(r, APP)
    r = srv.get("/api/sub/", APP)
    assert r.status == 200 and r.body == b"sub index\n"
    granted(r, APP)


def test_cgi_local_redirect_uses_target_configuration(srv):
    # the CGI redirects to /noc, which has no policy
    r = srv.get("/api/cgi/localredir", APP)
    assert r.status == 200 and r.body == b"static data\n", r
    assert r.ac_headers() == [] and "origin" not in r.vary(), r


def test_cgi_client_redirect(srv):
    r = srv.get("/api/cgi/extredir", APP)
    assert r.status == 302, r
    granted(r, APP)
    only_acao(r)
