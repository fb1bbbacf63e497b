# SPDX-License-Identifier: Apache-2.0
"""Preflights and actual CORS requests where access control applies.

An allowed preflight is answered 204 before authentication or authorization
can stop it (preflights never carry credentials); a refused one gets normal
access control (401 behind Basic auth, 403 behind Require ip).  Actual
requests are authenticated as usual, and their 401/403 answers carry the
CORS headers so that the page can read them.

Tables: ALLOWED and REFUSED preflights, ACTUAL requests.
"""
import base64
import os

import pytest

from cors_helpers import (ORIGIN, OTHER, assert_preflight_allowed,
                          assert_preflight_refused, granted, make_htpasswd,
                          not_granted, preflight, read_lines, recorder_cgi,
                          table)

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
def srv(httpd_module, scratch_dir):
    pw = os.path.join(scratch_dir, "htpasswd")
    make_htpasswd(pw, USER, PASSWORD)
    conf = CONF % {"auth": AUTH % pw, "policy": POLICY, "origin": ORIGIN}
    return httpd_module(
        conf,
        files={"auth/f.txt": "secret body\n", "ipdeny/f.txt": "ip body\n"},
        cgi={"rec": recorder_cgi(os.path.join(scratch_dir, "runs"))})


def _basic(user, password):
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return ("Authorization", "Basic " + tok)


GOOD = _basic(USER, PASSWORD)
BAD = _basic(USER, "wrong")


PNA = [("Access-Control-Request-Private-Network", "true")]
AUTH_POLICY = dict(methods="PUT", credentials=True)

# ---------------------------------------------------------------- preflights
# (id, path, Origin, method, Access-Control-Request-Headers, extra fields,
#  assert_preflight_allowed arguments)
ALLOWED = [
    # before authentication (a preflight never carries credentials) ...
    ("basic-auth", "/auth/f.txt", ORIGIN, "PUT", "x-foo,authorization", None,
     dict(AUTH_POLICY, headers="X-Foo, Authorization")),
    ("basic-auth-safelisted", "/auth/f.txt", ORIGIN, "GET", None, None,
     AUTH_POLICY),
    # ... and before authorization: documented trade-off, the preflight
    # answer reveals only the policy
    ("require-ip", "/ipdeny/f.txt", ORIGIN, "PUT", None, None,
     dict(methods="PUT")),
]


@table("path,origin,method,req_headers,extra,want", ALLOWED)
def test_allowed_preflight_bypasses_access_control(srv, path, origin, method,
                                                   req_headers, extra, want):
    r = preflight(srv, path, origin, method, req_headers, extra)
    assert_preflight_allowed(r, **want)
    assert r.header("WWW-Authenticate") is None, r


# (id, path, Origin, method, Access-Control-Request-Headers, extra fields,
#  status, whether the preflight Vary is sent)
REFUSED = [
    # normal access control: authentication required, nothing granted
    ("origin", "/auth/f.txt", OTHER, "PUT", None, None, 401, False),
    ("malformed-origin", "/auth/f.txt", "https://A.example", "GET", None, None,
     401, False),
    ("null", "/auth/f.txt", "null", "GET", None, None, 401, False),
    ("method", "/auth/f.txt", ORIGIN, "DELETE", None, None, 401, False),
    ("method-case", "/auth/f.txt", ORIGIN, "put", None, None, 401, False),
    ("header", "/auth/f.txt", ORIGIN, "PUT", "x-bar", None, 401, False),
    ("pna", "/auth/f.txt", ORIGIN, "GET", None, PNA, 401, False),
    # authenticated, but refused by the policy: the module's 403
    ("with-credentials", "/auth/f.txt", OTHER, "PUT", None, [GOOD], 403, True),
    # Require ip: its 403
    ("require-ip-method", "/ipdeny/f.txt", ORIGIN, "DELETE", None, None, 403,
     False),
    ("require-ip-origin", "/ipdeny/f.txt", OTHER, "PUT", None, None, 403,
     False),
]


@table("path,origin,method,req_headers,extra,status,vary", REFUSED)
def test_refused_preflight_gets_access_control(srv, path, origin, method,
                                               req_headers, extra, status, vary):
    r = preflight(srv, path, origin, method, req_headers, extra)
    assert_preflight_refused(r, status=status, vary=vary)
    if status == 401:
        assert r.header("WWW-Authenticate"), r


# ----------------------------------------------------------- actual requests
BODY = {"/auth/f.txt": b"secret body\n", "/ipdeny/f.txt": b"ip body\n"}
CRED = dict(credentials=True)
ACRM = ("Access-Control-Request-Method", "PUT")

# (id, method, path, request fields, status, granted() arguments, or None:
#  not granted)
ACTUAL = [
    # authenticated as usual; a 401 the page can read
    ("no-credentials", "GET", "/auth/f.txt", [("Origin", ORIGIN)], 401, CRED),
    ("bad-credentials", "GET", "/auth/f.txt", [("Origin", ORIGIN), BAD], 401,
     CRED),
    ("credentials", "GET", "/auth/f.txt", [("Origin", ORIGIN), GOOD], 200,
     CRED),
    ("other-origin", "GET", "/auth/f.txt", [("Origin", OTHER)], 401, None),
    ("other-origin-credentials", "GET", "/auth/f.txt", [("Origin", OTHER), GOOD],
     200, None),
    # OPTIONS without -Request-Method, or without Origin, is no preflight:
    # an ordinary request, so authentication applies
    ("options-no-request-method", "OPTIONS", "/auth/f.txt", [("Origin", ORIGIN)],
     401, CRED),
    ("options-no-origin", "OPTIONS", "/auth/f.txt", [ACRM], 401, None),
    # Require ip: a 403 the page can read
    ("require-ip", "GET", "/ipdeny/f.txt", [("Origin", ORIGIN)], 403, {}),
    ("require-ip-other-origin", "GET", "/ipdeny/f.txt", [("Origin", OTHER)], 403,
     None),
]


@table("method,path,fields,status,want", ACTUAL)
def test_actual(srv, method, path, fields, status, want):
    r = srv.request(method, path, fields)
    assert r.status == status, r
    if status == 200:
        assert r.body == BODY[path], r
    else:
        assert BODY[path].strip() not in r.body, r
    if status == 401:
        assert r.header("WWW-Authenticate"), r
    if want is None:
        not_granted(r)
    else:
        granted(r, ORIGIN, only=True, **want)


def test_cgi_behind_auth(srv, scratch_dir):
    runs = os.path.join(scratch_dir, "runs")
    before = len(read_lines(runs))
    r = preflight(srv, "/cgi-bin/rec?pf", ORIGIN, "PUT", "x-foo")
    assert_preflight_allowed(r, methods="PUT", headers="X-Foo, Authorization",
                             credentials=True)
    r = preflight(srv, "/cgi-bin/rec?refused", ORIGIN, "DELETE")
    assert_preflight_refused(r, status=401, vary=False)
    r = srv.request("PUT", "/cgi-bin/rec?nocred", [("Origin", ORIGIN)],
                    body=b"x")
    assert r.status == 401 and r.header("WWW-Authenticate"), r
    granted(r, ORIGIN, credentials=True, only=True)
    r = srv.request("PUT", "/cgi-bin/rec?cred", [("Origin", ORIGIN), GOOD],
                    body=b"x")
    assert r.status == 200 and r.body == b"cgi ran\n", r
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, r
    assert read_lines(runs)[before:] == ["PUT /cgi-bin/rec?cred"]
