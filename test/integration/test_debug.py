# SPDX-License-Identifier: Apache-2.0
"""CORSDebug On: a preflight from an allowed origin that is refused for its
method, a header or private network access is answered 204 with the
policy's real fields, so that the browser's console names the failing
check; a disallowed origin still gets the bare 403, and a refused preflight
never gets the authentication bypass.

Tables: DEBUG_ANSWERS, BARE (refusals that stay bare)."""
import os
import re

import pytest

from cors_helpers import (ORIGIN, OTHER, PREFLIGHT_VARY,
                          assert_preflight_allowed, assert_preflight_refused,
                          make_htpasswd, preflight, table, wait_for)

POLICY = """    CORSAllowOrigin %s
    CORSAllowMethods PUT PATCH
    CORSAllowHeaders X-Foo Content-Type
    CORSMaxAge 600
""" % ORIGIN

CONF = """
<Location /dbg/>
    CORSDebug On
%(policy)s</Location>
<Location /dbg/creds/>
    CORSAllowCredentials On
</Location>
<Location /dbg/off/>
    CORSDebug Off
</Location>
<Location /dbg/auth/>
    AuthType Basic
    AuthName "dbg"
    AuthUserFile "%(htpasswd)s"
    Require valid-user
</Location>
<Location /nodbg/>
%(policy)s</Location>
"""


@pytest.fixture(scope="module")
def srv(httpd_module, scratch_dir):
    pw = os.path.join(scratch_dir, "htpasswd")
    make_htpasswd(pw, "alice", "s3cret")
    return httpd_module(
        CONF % {"policy": POLICY, "htpasswd": pw},
        files={"dbg/f.txt": "f\n", "dbg/creds/f.txt": "f\n",
               "dbg/off/f.txt": "f\n", "dbg/auth/f.txt": "f\n",
               "nodbg/f.txt": "f\n"})


def _debug_answer(r, credentials=False):
    """204, the policy's real lists, no Max-Age, the preflight Vary."""
    assert r.status == 204, r
    assert r.body == b"", r
    want = {"access-control-allow-origin": ORIGIN,
            "access-control-allow-methods": "PUT, PATCH",
            "access-control-allow-headers": "X-Foo, Content-Type"}
    if credentials:
        want["access-control-allow-credentials"] = "true"
    assert r.ac_fields() == want, r
    assert r.vary_list() == PREFLIGHT_VARY, r


PNA = [("Access-Control-Request-Private-Network", "true")]

# (id, path, method requested, headers requested, extra fields, credentials)
DEBUG_ANSWERS = [
    ("method", "/dbg/f.txt", "DELETE", None, None, False),
    ("method-case", "/dbg/f.txt", "put", None, None, False),
    ("header", "/dbg/f.txt", "PUT", "x-bar", None, False),
    ("second-header", "/dbg/f.txt", "PUT", "x-foo, authorization", None, False),
    ("private-network", "/dbg/f.txt", "PUT", None, PNA, False),
    ("credentials", "/dbg/creds/f.txt", "DELETE", None, None, True),
]


@table("path, method, req_headers, extra, credentials", DEBUG_ANSWERS)
def test_debug_answer(srv, path, method, req_headers, extra, credentials):
    r = preflight(srv, path, ORIGIN, method, req_headers, extra)
    _debug_answer(r, credentials)
    # the verdict stays a refusal
    assert wait_for(lambda: re.search(
        r"AH99001: OPTIONS %s preflight-refused" % re.escape(path),
        srv.error_log())), srv.error_log()[-2000:]


# (id, path, origin, method requested, status)
BARE = [
    ("disallowed-origin", "/dbg/f.txt", OTHER, "DELETE", 403),
    ("disallowed-origin-allowed-method", "/dbg/f.txt", OTHER, "PUT", 403),
    ("malformed-origin", "/dbg/f.txt", "https://A.example", "DELETE", 403),
    ("debug-off-below", "/dbg/off/f.txt", ORIGIN, "DELETE", 403),
    ("default-off", "/nodbg/f.txt", ORIGIN, "DELETE", 403),
    # behind authentication: no bypass, the 401, no field
    ("auth", "/dbg/auth/f.txt", ORIGIN, "DELETE", 401),
    ("auth-disallowed", "/dbg/auth/f.txt", OTHER, "PUT", 401),
]


@table("path, origin, method, status", BARE)
def test_debug_refusal_stays_bare(srv, path, origin, method, status):
    r = preflight(srv, path, origin, method)
    assert_preflight_refused(r, status=status)


def test_debug_allowed_preflight_unchanged(srv):
    r = preflight(srv, "/dbg/f.txt", ORIGIN, "PUT", "x-foo")
    assert_preflight_allowed(r, "PUT, PATCH", headers="X-Foo, Content-Type",
                             max_age=600)
    # an allowed preflight keeps its bypass behind authentication
    r = preflight(srv, "/dbg/auth/f.txt", ORIGIN, "PUT")
    assert_preflight_allowed(r, "PUT, PATCH", max_age=600)
