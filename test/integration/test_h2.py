# SPDX-License-Identifier: Apache-2.0
"""Preflights and actual requests over cleartext HTTP/2 (h2c, prior
knowledge, curl): the same verdicts and headers as over HTTP/1.1.

conftest's base config loads mod_http2 and sets ``Protocols h2c http/1.1``.
"""
import os
import subprocess

import pytest

from cors_helpers import (ORIGIN, OTHER, assert_preflight_allowed,
                          assert_preflight_refused, granted, h2_request,
                          not_granted, preflight_headers, read_lines,
                          recorder_cgi)

POLICY = """CORSAllowOrigin %s
CORSAllowMethods PUT
CORSAllowHeaders X-Foo X-Bar
CORSAllowCredentials On
CORSMaxAge 120
""" % ORIGIN

CONF = """
<Location /p/>
%(p)s</Location>
<Location /cgi-bin/>
%(p)s</Location>
<Location /any/>
CORSAllowOrigin *
</Location>
""" % {"p": POLICY}


def _curl_has_http2():
    try:
        out = subprocess.run(["curl", "--version"], capture_output=True,
                             timeout=10).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return False
    return "HTTP2" in out


pytestmark = pytest.mark.skipif(not _curl_has_http2(),
                                reason="curl without HTTP/2 support")


@pytest.fixture(scope="module")
def srv(httpd_module, scratch_dir):
    return httpd_module(
        CONF, files={"p/f.txt": "static body\n", "any/f.txt": "any body\n"},
        cgi={"rec": recorder_cgi(os.path.join(scratch_dir, "runs"))})


def h2(srv, method, path, headers=()):
    r = h2_request(srv.port, method, path, headers)
    assert r.http_version == "2", "not HTTP/2: %r" % r.http_version
    return r


def test_allowed_preflight_h2(srv):
    r = h2(srv, "OPTIONS", "/p/f.txt",
           preflight_headers(ORIGIN, "PUT", "x-foo"))
    assert_preflight_allowed(r, methods="PUT", headers="X-Foo, X-Bar",
                             credentials=True, max_age=120)


def test_allowed_preflight_any_origin_h2(srv):
    r = h2(srv, "OPTIONS", "/any/f.txt",
           preflight_headers("https://x.example", "POST"))
    assert_preflight_allowed(r, methods="GET, HEAD, POST", origin="*")


@pytest.mark.parametrize("origin,method,req_headers,extra", [
    (OTHER, "PUT", None, None),
    ("https://A.example", "PUT", None, None),
    (ORIGIN, "DELETE", None, None),
    (ORIGIN, "put", None, None),
    (ORIGIN, "PUT", "x-baz", None),
    (ORIGIN, "PUT", "x-foo, authorization", None),
    (ORIGIN, "PUT, DELETE", None, None),
    (ORIGIN, "PUT", None, [("Access-Control-Request-Private-Network", "true")]),
], ids=["origin", "malformed-origin", "method", "method-case", "header",
        "authorization", "method-list", "private-network"])
def test_refused_preflight_h2(srv, origin, method, req_headers, extra):
    r = h2(srv, "OPTIONS", "/p/f.txt",
           preflight_headers(origin, method, req_headers, extra))
    assert_preflight_refused(r)


def test_request_headers_split_over_fields_h2(srv):
    # two header fields of the same name: mod_http2 joins them
    hdrs = preflight_headers(ORIGIN, "PUT") + [
        ("Access-Control-Request-Headers", "x-foo"),
        ("Access-Control-Request-Headers", "X-BAR")]
    r = h2(srv, "OPTIONS", "/p/f.txt", hdrs)
    assert_preflight_allowed(r, methods="PUT", headers="X-Foo, X-Bar",
                             credentials=True, max_age=120)
    hdrs = preflight_headers(ORIGIN, "PUT") + [
        ("Access-Control-Request-Headers", "x-foo"),
        ("Access-Control-Request-Headers", "x-baz")]
    assert_preflight_refused(h2(srv, "OPTIONS", "/p/f.txt", hdrs))
    # Browsers list each name once: a list longer than the policy's (here
    # a repeated name) is refused without reading further.
    hdrs = preflight_headers(ORIGIN, "PUT") + [
        ("Access-Control-Request-Headers", "x-foo, x-bar"),
        ("Access-Control-Request-Headers", "X-FOO")]
    assert_preflight_refused(h2(srv, "OPTIONS", "/p/f.txt", hdrs))


def test_actual_request_h2(srv):
    r = h2(srv, "GET", "/p/f.txt", [("Origin", ORIGIN)])
    assert r.status == 200 and r.body == b"static body\n", r
    granted(r, ORIGIN, credentials=True, only=True)
    r = h2(srv, "GET", "/p/f.txt", [("Origin", OTHER)])
    assert r.status == 200 and r.body == b"static body\n", r
    not_granted(r)


def test_options_without_request_method_h2(srv):
    r = h2(srv, "OPTIONS", "/p/f.txt", [("Origin", ORIGIN)])
    assert r.status == 200 and r.header("Allow"), r
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, r


def test_preflight_never_runs_cgi_h2(srv, scratch_dir):
    runs = os.path.join(scratch_dir, "runs")
    before = len(read_lines(runs))
    r = h2(srv, "OPTIONS", "/cgi-bin/rec?pf", preflight_headers(ORIGIN, "PUT"))
    assert_preflight_allowed(r, methods="PUT", credentials=True, max_age=120)
    r = h2(srv, "OPTIONS", "/cgi-bin/rec?refused",
           preflight_headers(OTHER, "PUT"))
    assert_preflight_refused(r)
    r = h2(srv, "GET", "/cgi-bin/rec?actual", [("Origin", ORIGIN)])
    assert r.status == 200 and r.body == b"cgi ran\n", r
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, r
    assert read_lines(runs)[before:] == ["GET /cgi-bin/rec?actual"]


PARITY = [
    ("OPTIONS", "/p/f.txt", preflight_headers(ORIGIN, "PUT", "x-foo")),
    ("OPTIONS", "/p/f.txt", preflight_headers(ORIGIN, "GET")),
    ("OPTIONS", "/p/f.txt", preflight_headers(OTHER, "GET")),
    ("OPTIONS", "/p/f.txt", preflight_headers(ORIGIN, "PATCH")),
    ("OPTIONS", "/p/f.txt", preflight_headers(ORIGIN, "GET", "x-foo,x-bar")),
    ("OPTIONS", "/any/f.txt", preflight_headers("https://c.example", "GET")),
    ("OPTIONS", "/any/f.txt", preflight_headers("https://c.example", "PUT")),
    ("GET", "/p/f.txt", [("Origin", ORIGIN)]),
    ("GET", "/p/f.txt", [("Origin", OTHER)]),
    ("GET", "/p/f.txt", []),
    ("GET", "/any/f.txt", [("Origin", "https://c.example")]),
    ("GET", "/p/missing", [("Origin", ORIGIN)]),
]


def test_same_answers_as_http1(srv):
    for method, path, hdrs in PARITY:
        r1 = srv.request(method, path, hdrs)
        r2 = h2(srv, method, path, hdrs)
        what = "%s %s %r\nh1: %r\nh2: %r" % (method, path, hdrs, r1, r2)
        assert r1.status == r2.status, what
        assert r1.ac_fields() == r2.ac_fields(), what
        assert r1.vary_list() == r2.vary_list(), what
        assert r1.body == r2.body, what
