"""Preflights and actual CORS requests where access control applies.

An allowed preflight is answered 204 before authentication or authorization
can stop it (preflights never carry credentials); a refused one gets normal
access control (401 behind Basic auth, 403 behind Require ip).  Actual
requests are authenticated as usual, and their 401/403 answers carry the
CORS headers so that the page can read them.
"""
import base64
import os
import shutil

import pytest

from pfhelpers import (ORIGIN, OTHER, ac_headers, assert_no_ac,
                       assert_preflight_allowed, assert_preflight_refused,
                       body_of, describe, make_htpasswd, preflight,
                       read_lines, recorder_cgi, shared_dir, vary_tokens)

USER, PASSWORD = "alice", "s3cret"

AUTH = """AuthType Basic
AuthName "pf"
AuthUserFile "%s"
Require valid-user
"""

POLICY = """CORSAllowOrigin %s
CORSAllowCredentials On
CORSAllowMethods PUT
CORSAllowHeaders X-Foo Authorization
""" % ORIGIN

CONF = """
<Location /auth/>
%(auth)s%(policy)s</Location>
<Location /cgi-bin/>
%(auth)s%(policy)s</Location>
<Location /ipdeny/>
Require ip 10.0.0.1
CORSAllowOrigin %(origin)s
CORSAllowMethods PUT
</Location>
"""


@pytest.fixture(scope="module")
def dirs():
    d = shared_dir("pf-auth-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def srv(httpd_module, dirs):
    pw = os.path.join(dirs, "htpasswd")
    make_htpasswd(pw, USER, PASSWORD)
    conf = CONF % {"auth": AUTH % pw, "policy": POLICY, "origin": ORIGIN}
    return httpd_module(
        conf,
        files={"auth/f.txt": "secret body\n", "ipdeny/f.txt": "ip body\n"},
        cgi={"rec": recorder_cgi(os.path.join(dirs, "runs"))})


def _basic(user, password):
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return ("Authorization", "Basic " + tok)


GOOD = _basic(USER, PASSWORD)
BAD = _basic(USER, "wrong")


def _cors_401(r, origin=ORIGIN):
    """401 from authentication, readable by the page."""
    assert r.status == 401, describe(r)
    assert r.header("WWW-Authenticate"), describe(r)
    assert ac_headers(r) == {"access-control-allow-origin": origin,
                             "access-control-allow-credentials": "true"}, \
        describe(r)
    assert "origin" in vary_tokens(r), describe(r)


# ---------------------------------------------------------------- Basic auth
def test_allowed_preflight_bypasses_basic_auth(srv):
    r = preflight(srv, "/auth/f.txt", ORIGIN, "PUT", "x-foo,authorization")
    assert_preflight_allowed(r, methods="PUT",
                             headers="X-Foo, Authorization", credentials=True)
    assert r.header("WWW-Authenticate") is None, describe(r)
    r = preflight(srv, "/auth/f.txt", ORIGIN, "GET")
    assert_preflight_allowed(r, methods="PUT", credentials=True)


@pytest.mark.parametrize("origin,method,req_headers,extra", [
    (OTHER, "PUT", None, None),
    ("https://A.example", "GET", None, None),
    ("null", "GET", None, None),
    (ORIGIN, "DELETE", None, None),
    (ORIGIN, "put", None, None),
    (ORIGIN, "PUT", "x-bar", None),
    (ORIGIN, "GET", None, [("Access-Control-Request-Private-Network", "true")]),
], ids=["origin", "malformed-origin", "null", "method", "method-case",
        "header", "pna"])
def test_refused_preflight_gets_401(srv, origin, method, req_headers, extra):
    r = preflight(srv, "/auth/f.txt", origin, method, req_headers, extra)
    # normal access control: authentication required, nothing granted
    assert_preflight_refused(r, status=401, vary=False)
    assert r.header("WWW-Authenticate"), describe(r)


def test_refused_preflight_with_credentials_still_refused(srv):
    # authenticated, but refused by the policy: the module's 403
    r = preflight(srv, "/auth/f.txt", OTHER, "PUT", extra=[GOOD])
    assert_preflight_refused(r, status=403)


def test_actual_without_credentials_401_with_cors(srv):
    r = srv.request("GET", "/auth/f.txt", [("Origin", ORIGIN)])
    _cors_401(r)
    assert b"secret body" not in body_of(r)


def test_actual_with_bad_credentials_401_with_cors(srv):
    r = srv.request("GET", "/auth/f.txt", [("Origin", ORIGIN), BAD])
    _cors_401(r)


def test_actual_with_credentials_200_with_cors(srv):
    r = srv.request("GET", "/auth/f.txt", [("Origin", ORIGIN), GOOD])
    assert r.status == 200 and body_of(r) == b"secret body\n", describe(r)
    assert ac_headers(r) == {"access-control-allow-origin": ORIGIN,
                             "access-control-allow-credentials": "true"}, \
        describe(r)
    assert "origin" in vary_tokens(r), describe(r)


def test_actual_from_other_origin_401_without_cors(srv):
    r = srv.request("GET", "/auth/f.txt", [("Origin", OTHER)])
    assert r.status == 401, describe(r)
    assert_no_ac(r)
    assert "origin" in vary_tokens(r), describe(r)
    r = srv.request("GET", "/auth/f.txt", [("Origin", OTHER), GOOD])
    assert r.status == 200, describe(r)
    assert_no_ac(r)


def test_options_without_request_method_is_authenticated(srv):
    # not a preflight: an ordinary (actual) request, so authentication applies
    r = srv.request("OPTIONS", "/auth/f.txt", [("Origin", ORIGIN)])
    _cors_401(r)
    r = srv.request("OPTIONS", "/auth/f.txt",
                    [("Access-Control-Request-Method", "PUT")])
    assert r.status == 401, describe(r)
    assert_no_ac(r)


def test_cgi_behind_auth(srv, dirs):
    runs = os.path.join(dirs, "runs")
    before = len(read_lines(runs))
    r = preflight(srv, "/cgi-bin/rec?pf", ORIGIN, "PUT", "x-foo")
    assert_preflight_allowed(r, methods="PUT", headers="X-Foo, Authorization",
                             credentials=True)
    r = preflight(srv, "/cgi-bin/rec?refused", ORIGIN, "DELETE")
    assert_preflight_refused(r, status=401, vary=False)
    r = srv.request("PUT", "/cgi-bin/rec?nocred", [("Origin", ORIGIN)],
                    body=b"x")
    _cors_401(r)
    r = srv.request("PUT", "/cgi-bin/rec?cred", [("Origin", ORIGIN), GOOD],
                    body=b"x")
    assert r.status == 200 and body_of(r) == b"cgi ran\n", describe(r)
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, describe(r)
    assert read_lines(runs)[before:] == ["PUT /cgi-bin/rec?cred"]


# ---------------------------------------------------------------- Require ip
def test_allowed_preflight_bypasses_require_ip(srv):
    # documented trade-off: the preflight answer reveals only the policy
    r = preflight(srv, "/ipdeny/f.txt", ORIGIN, "PUT")
    assert_preflight_allowed(r, methods="PUT")


def test_refused_preflight_behind_require_ip_403(srv):
    for origin, method in ((ORIGIN, "DELETE"), (OTHER, "PUT")):
        r = preflight(srv, "/ipdeny/f.txt", origin, method)
        assert_preflight_refused(r, status=403, vary=False)


def test_actual_behind_require_ip_403_with_cors(srv):
    r = srv.request("GET", "/ipdeny/f.txt", [("Origin", ORIGIN)])
    assert r.status == 403, describe(r)
    assert b"ip body" not in body_of(r)
    assert ac_headers(r) == {"access-control-allow-origin": ORIGIN}, \
        describe(r)
    assert "origin" in vary_tokens(r), describe(r)
    r = srv.request("GET", "/ipdeny/f.txt", [("Origin", OTHER)])
    assert r.status == 403, describe(r)
    assert_no_ac(r)
