# SPDX-License-Identifier: Apache-2.0
"""Preflight requests against a real httpd: the verdict tables (origin x
method x headers), what is and is not a preflight, that a preflight never
reaches the handler (static, CGI, proxy), parsing of
Access-Control-Request-Headers, Private Network Access, and hostile values.

One server (module scope) with one <Location> per policy keeps this fast.
Expected values follow the manual (docs/mod_cors.md) and the README's choices:
allowed -> 204, empty body, exactly the listed Access-Control-* fields;
refused -> 403 without any; both with
``Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers``.
"""
import os
import time

import pytest

from cors_helpers import (ORIGIN, OTHER, SLOW, assert_preflight_allowed,
                          assert_preflight_refused, granted, not_granted,
                          preflight, preflight_headers, read_lines,
                          recorder_cgi, split_responses)

POLICY = "CORSAllowOrigin %s\n" % ORIGIN

LOCATIONS = {
    # default methods (GET HEAD POST), no headers
    "/p/": "",
    "/m/": "CORSAllowMethods PUT DELETE PATCH",
    "/mstar/": "CORSAllowMethods *",
    "/mstarc/": "CORSAllowMethods *\nCORSAllowCredentials On",
    "/h/": "CORSAllowHeaders X-Foo Content-Type",
    "/hstar/": "CORSAllowHeaders *",
    "/hstarauth/": "CORSAllowHeaders * Authorization",
    "/hstarc/": "CORSAllowHeaders *\nCORSAllowCredentials On",
    "/hstarauthc/": "CORSAllowHeaders * Authorization\nCORSAllowCredentials On",
    "/age/": "CORSMaxAge 600",
    "/age0/": "CORSMaxAge 0",
    "/cred/": "CORSAllowCredentials On",
    "/pna/": "CORSAllowPrivateNetwork On",
    "/pnaoff/": "CORSAllowPrivateNetwork Off",
    "/full/": ("CORSAllowMethods PUT\nCORSAllowHeaders X-Foo\n"
               "CORSAllowCredentials On\nCORSMaxAge 60\n"
               "CORSAllowPrivateNetwork On"),
    "/cgi-bin/": "CORSAllowMethods PUT",
}


def _conf(backend_url):
    out = []
    for loc, body in LOCATIONS.items():
        out.append("<Location %s>\n%s%s\n</Location>" % (loc, POLICY, body))
    # "*" origins: method and headers are still checked
    out.append("<Location /any/>\nCORSAllowOrigin *\nCORSAllowHeaders X-Foo\n"
               "</Location>")
    out.append("<Location /proxy/>\nProxyPass %s/\n%sCORSAllowMethods PUT\n"
               "</Location>" % (backend_url, POLICY))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def srv(httpd_module, backend, scratch_dir):
    files = {}
    for loc in list(LOCATIONS) + ["/any/"]:
        files[loc.strip("/") + "/f.txt"] = "static body\n"
    files["ht/f.txt"] = "static body\n"
    return httpd_module(
        _conf(backend.url), files=files,
        htaccess={"ht": "CORSAllowOrigin %s\nCORSAllowMethods PUT\n"
                        "CORSAllowHeaders X-Ht\n" % ORIGIN},
        cgi={"rec": recorder_cgi(os.path.join(scratch_dir, "runs"))})


# ---------------------------------------------------------------------------
# Verdict tables
# ---------------------------------------------------------------------------
DEF = "GET, HEAD, POST"

# (path, origin, method, Access-Control-Request-Headers, extra fields,
#  expected: keyword arguments of assert_preflight_allowed)
ALLOWED = [
    # safelisted methods pass everywhere
    ("/p/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF)),
    ("/p/f.txt", ORIGIN, "HEAD", None, None, dict(methods=DEF)),
    ("/p/f.txt", ORIGIN, "POST", None, None, dict(methods=DEF)),
    ("/m/f.txt", ORIGIN, "GET", None, None, dict(methods="PUT, DELETE, PATCH")),
    ("/m/f.txt", ORIGIN, "POST", None, None, dict(methods="PUT, DELETE, PATCH")),
    # listed methods, byte for byte
    ("/m/f.txt", ORIGIN, "PUT", None, None, dict(methods="PUT, DELETE, PATCH")),
    ("/m/f.txt", ORIGIN, "DELETE", None, None, dict(methods="PUT, DELETE, PATCH")),
    ("/m/f.txt", ORIGIN, "PATCH", None, None, dict(methods="PUT, DELETE, PATCH")),
    # "*": literal without credentials, the method echoed with them
    ("/mstar/f.txt", ORIGIN, "PATCH", None, None, dict(methods="*")),
    ("/mstar/f.txt", ORIGIN, "PROPFIND", None, None, dict(methods="*")),
    ("/mstar/f.txt", ORIGIN, "get", None, None, dict(methods="*")),
    ("/mstarc/f.txt", ORIGIN, "PATCH", None, None,
     dict(methods="PATCH", credentials=True)),
    ("/mstarc/f.txt", ORIGIN, "X-Custom-Method", None, None,
     dict(methods="X-Custom-Method", credentials=True)),
    # a header list, names case-insensitive, sent as configured
    ("/h/f.txt", ORIGIN, "GET", "x-foo", None,
     dict(methods=DEF, headers="X-Foo, Content-Type")),
    ("/h/f.txt", ORIGIN, "POST", "X-FOO,CONTENT-TYPE", None,
     dict(methods=DEF, headers="X-Foo, Content-Type")),
    ("/h/f.txt", ORIGIN, "POST", "content-type", None,
     dict(methods=DEF, headers="X-Foo, Content-Type")),
    # no header requested: no -Allow-Headers
    ("/h/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF)),
    # "*" covers every name but Authorization; answered with the requested
    # names, lower-cased, never "*" (WebKit lets a cached "*" cover
    # Authorization)
    ("/hstar/f.txt", ORIGIN, "GET", "x-anything,x-other,content-type", None,
     dict(methods=DEF, headers="x-anything, x-other, content-type")),
    ("/hstarauth/f.txt", ORIGIN, "GET", "authorization,x-anything", None,
     dict(methods=DEF, headers="authorization, x-anything")),
    ("/hstarauth/f.txt", ORIGIN, "GET", "Authorization", None,
     dict(methods=DEF, headers="authorization")),
    # "*" with credentials: the requested names, lower-cased
    ("/hstarc/f.txt", ORIGIN, "GET", "X-Foo,Content-Type", None,
     dict(methods=DEF, headers="x-foo, content-type", credentials=True)),
    ("/hstarauthc/f.txt", ORIGIN, "GET", "Authorization,X-Foo", None,
     dict(methods=DEF, headers="authorization, x-foo", credentials=True)),
    # Max-Age only when set (0 is set)
    ("/age/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF, max_age=600)),
    ("/age0/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF, max_age=0)),
    ("/cred/f.txt", ORIGIN, "GET", None, None,
     dict(methods=DEF, credentials=True)),
    # "*" origins: any origin, answered "*" (even "null": a sandboxed page
    # reads "*" as allowed, and the answer is the same for everyone)
    ("/any/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF, origin="*")),
    ("/any/f.txt", "null", "GET", None, None, dict(methods=DEF, origin="*")),
    ("/any/f.txt", "https://whoever.example:8443", "POST", "x-foo", None,
     dict(methods=DEF, origin="*", headers="X-Foo")),
    # Private Network Access
    ("/pna/f.txt", ORIGIN, "GET", None,
     [("Access-Control-Request-Private-Network", "true")],
     dict(methods=DEF, pna=True)),
    ("/pna/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF)),
    ("/pnaoff/f.txt", ORIGIN, "GET", None, None, dict(methods=DEF)),
    # everything at once
    ("/full/f.txt", ORIGIN, "PUT", "x-foo",
     [("Access-Control-Request-Private-Network", "true")],
     dict(methods="PUT", headers="X-Foo", credentials=True, max_age=60,
          pna=True)),
    # a path that does not exist, a directory without an index: answered
    # before any handler could 404/403
    ("/p/no-such-file", ORIGIN, "GET", None, None, dict(methods=DEF)),
    ("/p/", ORIGIN, "GET", None, None, dict(methods=DEF)),
    # a policy from .htaccess (AllowOverride FileInfo)
    ("/ht/f.txt", ORIGIN, "PUT", "x-ht", None,
     dict(methods="PUT", headers="X-Ht")),
]

# (path, origin, method, Access-Control-Request-Headers, extra fields)
REFUSED = [
    # origin
    ("/p/f.txt", OTHER, "GET", None, None),
    ("/p/f.txt", "http://a.example", "GET", None, None),
    ("/p/f.txt", "https://a.example:8443", "GET", None, None),
    ("/p/f.txt", "https://A.example", "GET", None, None),
    ("/p/f.txt", "https://a.example/", "GET", None, None),
    ("/p/f.txt", "https://a.example:443", "GET", None, None),
    ("/p/f.txt", "https://a.example.", "GET", None, None),
    ("/p/f.txt", "https://u@a.example", "GET", None, None),
    ("/p/f.txt", "https://a.example.evil.example", "GET", None, None),
    ("/p/f.txt", "null", "GET", None, None),
    ("/cred/f.txt", OTHER, "GET", None, None),
    # methods: not listed, or not byte-for-byte the listed one
    ("/p/f.txt", ORIGIN, "PUT", None, None),
    ("/p/f.txt", ORIGIN, "DELETE", None, None),
    ("/p/f.txt", ORIGIN, "get", None, None),
    ("/p/f.txt", ORIGIN, "Post", None, None),
    ("/m/f.txt", ORIGIN, "put", None, None),
    ("/m/f.txt", ORIGIN, "patch", None, None),
    ("/m/f.txt", ORIGIN, "Delete", None, None),
    ("/m/f.txt", ORIGIN, "PROPFIND", None, None),
    # headers
    ("/p/f.txt", ORIGIN, "GET", "x-foo", None),
    ("/p/f.txt", ORIGIN, "POST", "content-type", None),
    ("/h/f.txt", ORIGIN, "GET", "x-bar", None),
    ("/h/f.txt", ORIGIN, "GET", "x-foo,x-bar", None),
    ("/h/f.txt", ORIGIN, "GET", "authorization", None),
    ("/h/f.txt", ORIGIN, "GET", "x-fo", None),
    ("/hstar/f.txt", ORIGIN, "GET", "authorization", None),
    ("/hstar/f.txt", ORIGIN, "GET", "x-foo,Authorization", None),
    ("/hstarc/f.txt", ORIGIN, "GET", "authorization", None),
    # a good method but a bad origin still fails
    ("/mstar/f.txt", OTHER, "PATCH", None, None),
    # "*" origins still check method and headers
    ("/any/f.txt", ORIGIN, "PUT", None, None),
    ("/any/f.txt", ORIGIN, "GET", "x-bar", None),
    # Private Network Access requested where it is off (unset or Off)
    ("/p/f.txt", ORIGIN, "GET", None,
     [("Access-Control-Request-Private-Network", "true")]),
    ("/pnaoff/f.txt", ORIGIN, "GET", None,
     [("Access-Control-Request-Private-Network", "true")]),
    ("/cred/f.txt", ORIGIN, "GET", None,
     [("Access-Control-Request-Private-Network", "true")]),
]


def _id(case):
    return "%s|%s|%s|%s%s" % (case[0], case[1], case[2], case[3],
                              "|+" + case[4][0][0] if case[4] else "")


@pytest.mark.parametrize("case", ALLOWED, ids=[_id(c) for c in ALLOWED])
def test_allowed(srv, case):
    path, origin, method, req_headers, extra, want = case
    r = preflight(srv, path, origin, method, req_headers, extra)
    if want.get("origin") is None:
        want = dict(want, origin=origin)
    assert_preflight_allowed(r, **want)


@pytest.mark.parametrize("case", REFUSED, ids=[_id(c) for c in REFUSED])
def test_refused(srv, case):
    path, origin, method, req_headers, extra = case
    r = preflight(srv, path, origin, method, req_headers, extra)
    assert_preflight_refused(r)


def test_no_private_network_header_unless_requested(srv):
    # PNA on, header absent: no -Allow-Private-Network (exact set checked)
    r = preflight(srv, "/full/f.txt", ORIGIN, "PUT", "x-foo")
    assert_preflight_allowed(r, methods="PUT", headers="X-Foo",
                             credentials=True, max_age=60)


# ---------------------------------------------------------------------------
# What is not a preflight is served as usual
# ---------------------------------------------------------------------------
def test_options_without_request_method_is_actual_request(srv):
    # httpd's own OPTIONS answer (200 + Allow), with CORS headers of an
    # actual request from an allowed origin
    r = srv.request("OPTIONS", "/p/f.txt", [("Origin", ORIGIN)])
    assert r.status == 200, r
    assert r.header("Allow"), r
    granted(r, ORIGIN, only=True)


def test_options_without_origin_is_not_cors(srv):
    r = srv.request("OPTIONS", "/m/f.txt",
                    preflight_headers(origin=None, method="PUT"))
    assert r.status == 200, r
    assert r.header("Allow"), r
    not_granted(r, vary=False)


def test_options_not_preflight_reaches_cgi(srv, scratch_dir):
    runs = os.path.join(scratch_dir, "runs")
    before = len(read_lines(runs))
    r = srv.request("OPTIONS", "/cgi-bin/rec?noacrm", [("Origin", ORIGIN)])
    assert r.status == 200 and r.body == b"cgi ran\n", r
    r = srv.request("OPTIONS", "/cgi-bin/rec?noorigin",
                    preflight_headers(origin=None, method="PUT"))
    assert r.status == 200 and r.body == b"cgi ran\n", r
    not_granted(r, vary=False)
    assert read_lines(runs)[before:] == ["OPTIONS /cgi-bin/rec?noacrm",
                                         "OPTIONS /cgi-bin/rec?noorigin"]


def test_options_not_preflight_reaches_backend(srv, backend):
    backend.clear()
    r = srv.request("OPTIONS", "/proxy/a", [("Origin", ORIGIN)])
    assert r.status == 200 and r.body == b"backend body\n", r
    r = srv.request("OPTIONS", "/proxy/b",
                    preflight_headers(origin=None, method="PUT"))
    assert r.status == 200 and r.body == b"backend body\n", r
    assert [(m, p) for m, p, _ in backend.requests] == [("OPTIONS", "/a"),
                                                         ("OPTIONS", "/b")]


# ---------------------------------------------------------------------------
# A preflight never reaches the handler
# ---------------------------------------------------------------------------
def test_preflight_never_runs_cgi(srv, scratch_dir):
    runs = os.path.join(scratch_dir, "runs")
    before = len(read_lines(runs))
    r = preflight(srv, "/cgi-bin/rec?pf1", ORIGIN, "PUT")
    assert_preflight_allowed(r, methods="PUT")
    r = preflight(srv, "/cgi-bin/rec?pf2", ORIGIN, "GET", "x-foo")
    assert_preflight_refused(r)
    r = preflight(srv, "/cgi-bin/rec?pf3", OTHER, "PUT")
    assert_preflight_refused(r)
    r = preflight(srv, "/cgi-bin/rec?pf4", ORIGIN, "DELETE")
    assert_preflight_refused(r)
    # the actual request does run it
    r = srv.request("PUT", "/cgi-bin/rec?actual", [("Origin", ORIGIN)],
                    body=b"x")
    assert r.status == 200 and r.body == b"cgi ran\n", r
    assert r.header("X-Cgi") == "yes"
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, r
    assert read_lines(runs)[before:] == ["PUT /cgi-bin/rec?actual"]


def test_preflight_never_reaches_backend(srv, backend):
    backend.clear()
    r = preflight(srv, "/proxy/x", ORIGIN, "PUT")
    assert_preflight_allowed(r, methods="PUT")
    r = preflight(srv, "/proxy/x", OTHER, "PUT")
    assert_preflight_refused(r)
    r = preflight(srv, "/proxy/x", ORIGIN, "DELETE")
    assert_preflight_refused(r)
    assert backend.requests == []
    r = srv.request("PUT", "/proxy/x", [("Origin", ORIGIN)], body=b"x")
    assert r.status == 200 and r.body == b"backend body\n", r
    assert [(m, p) for m, p, _ in backend.requests] == [("PUT", "/x")]
    # the backend's own Access-Control-* (ACAO "*", -Credentials) replaced
    granted(r, ORIGIN, only=True)


def test_preflight_never_serves_static(srv):
    r = preflight(srv, "/p/f.txt", ORIGIN, "GET")
    assert_preflight_allowed(r, methods=DEF)
    for name in ("Last-Modified", "ETag", "Allow"):
        assert r.header(name) is None, r
    r = srv.request("GET", "/p/f.txt", [("Origin", ORIGIN)])
    assert r.status == 200 and r.body == b"static body\n", r


def test_preflight_with_body_keeps_connection_in_step(srv):
    # a preflight answered without the handler must still consume its
    # request body, or the body would be read as the next request
    def opt(origin, framing, body):
        return ("OPTIONS /p/f.txt HTTP/1.1\r\nHost: x\r\nOrigin: %s\r\n"
                "Access-Control-Request-Method: GET\r\n%s\r\n\r\n%s"
                % (origin, framing, body)).encode()
    smuggled = "GET /p/no-such-file HTTP/1.1\r\nHost: x\r\n\r\n"
    data = (opt(ORIGIN, "Content-Length: %d" % len(smuggled), smuggled) +
            opt(OTHER, "Content-Length: %d" % len(smuggled), smuggled) +
            opt(ORIGIN, "Transfer-Encoding: chunked",
                "%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)) +
            b"GET /p/f.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = split_responses(srv.raw(data))
    assert [s for s, _, _ in got] == [204, 403, 204, 200], got
    assert got[0][2] == b"" and got[2][2] == b"", got
    assert got[3][2] == b"static body\n", got


# ---------------------------------------------------------------------------
# Access-Control-Request-Headers as it may arrive
# ---------------------------------------------------------------------------
def test_acrh_split_over_lines(srv):
    r = preflight(srv, "/h/f.txt", req_headers=["x-foo", "content-type"])
    assert_preflight_allowed(r, methods=DEF, headers="X-Foo, Content-Type")
    r = preflight(srv, "/h/f.txt", req_headers=["x-foo", "x-bar"])
    assert_preflight_refused(r)
    r = preflight(srv, "/h/f.txt",
                  req_headers=["x-foo", "content-type", "authorization"])
    assert_preflight_refused(r)
    r = preflight(srv, "/hstarc/f.txt", req_headers=["x-a, X-B", "x-c"])
    assert_preflight_allowed(r, methods=DEF, headers="x-a, x-b, x-c",
                             credentials=True)


@pytest.mark.parametrize("value", [
    "x-foo,,content-type", " x-foo , content-type ", ",x-foo,",
    "x-foo,\tcontent-type", "x-foo , , ,content-type", "x-foo,x-foo"])
def test_acrh_spaces_and_empty_elements(srv, value):
    r = preflight(srv, "/h/f.txt", req_headers=[value])
    assert_preflight_allowed(r, methods=DEF, headers="X-Foo, Content-Type")


def test_acrh_empty_elements_still_checked(srv):
    r = preflight(srv, "/h/f.txt", req_headers=[" , x-foo ,, x-bar , "])
    assert_preflight_refused(r)


@pytest.mark.parametrize("value", [
    "x foo", "x-foo;", '"x-foo"', "x(a)", "x-foo, x/bar", "x@y", "x-foo, =",
    "x-foo, [x]", "x-foo,x{y}", "x:y", b"x-\xc3\xa9", b"x-foo, \xff",
    "x-foo, x\\y"])
def test_acrh_non_token_refused(srv, value):
    # "*" would allow any well-formed name: only the malformation refuses
    for path in ("/hstar/f.txt", "/hstarc/f.txt"):
        r = preflight(srv, path, req_headers=[value])
        assert_preflight_refused(r)


def test_acrh_thousands_of_commas(srv):
    # Empty elements are not names: empty header lines, which httpd joins
    # as ", , ,", request none.  Separators have a bound of their own (256
    # bytes plus four per listed name): a flood of commas is refused once
    # past it; under "*" every byte is read.
    value = "x-foo" + "," * 7000 + "content-type"
    t = time.monotonic()
    r = preflight(srv, "/h/f.txt", req_headers=[value])
    assert_preflight_refused(r)
    r = preflight(srv, "/h/f.txt", req_headers=[""] * 16)
    assert_preflight_allowed(r, methods=DEF)
    r = preflight(srv, "/h/f.txt", req_headers=[""] * 11 + ["x-foo"])
    assert_preflight_allowed(r, methods=DEF, headers="X-Foo, Content-Type")
    r = preflight(srv, "/h/f.txt", req_headers=["x-foo ,,, , content-type,"])
    assert_preflight_allowed(r, methods=DEF, headers="X-Foo, Content-Type")
    r = preflight(srv, "/hstar/f.txt", req_headers=[value])
    assert_preflight_allowed(r, methods=DEF, headers="x-foo, content-type")
    r = preflight(srv, "/h/f.txt", req_headers=[", " * 3900 + "x-bar"])
    assert_preflight_refused(r)
    assert time.monotonic() - t < 5 * SLOW


def test_acrh_repeated_names(srv):
    # Browsers send each name once: without "*", a list with more names
    # than the policy lists cannot be allowed and is refused once the name
    # past the policy's count is read (bounded work); with "*" every name
    # is read.
    value = ",".join(["x-foo", "Content-Type"] * 400)  # ~7.6 KB
    assert len(value) < 8000
    r = preflight(srv, "/h/f.txt", req_headers=[value])
    assert_preflight_refused(r)
    srv.wait_log("more request headers than the policy lists")
    r = preflight(srv, "/h/f.txt", req_headers=["x-foo, Content-Type"])
    assert_preflight_allowed(r, methods=DEF, headers="X-Foo, Content-Type")
    r = preflight(srv, "/hstar/f.txt", req_headers=[value])
    assert_preflight_allowed(r, methods=DEF, headers=value.lower().replace(",", ", "))


def _names_of_size(n, last=None):
    """Distinct names joined by ", ", exactly n bytes long."""
    parts, size, i = [], 0, 0
    tail = ", " + last if last else ""
    while True:
        name = "x-h%05d" % i
        add = len(name) + (2 if parts else 0)
        if size + add + len(tail) > n - 12:
            break
        parts.append(name)
        size += add
        i += 1
    v = ", ".join(parts) + tail
    pad = n - len(v) - 2
    v += ", " + "x-" + "p" * (pad - 2)
    assert len(v) == n
    return v


def test_acrh_near_maximum_size(srv):
    # 8000 bytes: within httpd's default LimitRequestFieldSize (8190)
    value = _names_of_size(8000)
    t = time.monotonic()
    r = preflight(srv, "/hstar/f.txt", req_headers=[value])
    assert_preflight_allowed(r, methods=DEF, headers=value)
    r = preflight(srv, "/hstar/f.txt",
                  req_headers=[_names_of_size(8000, "authorization")])
    assert_preflight_refused(r)
    r = preflight(srv, "/h/f.txt", req_headers=[value])
    assert_preflight_refused(r)
    # with credentials every name is reflected: answer stays correct
    r = preflight(srv, "/hstarc/f.txt", req_headers=[value])
    assert r.status == 204, r
    assert r.header("Access-Control-Allow-Headers") == value.lower()
    # split over lines whose join (httpd limits it too) is near maximum
    half = _names_of_size(3950)
    r = preflight(srv, "/hstar/f.txt", req_headers=[half, half])
    assert_preflight_allowed(r, methods=DEF, headers=half + ", " + half)
    r = preflight(srv, "/hstar/f.txt", req_headers=[half, half[:-20], "x y"])
    assert_preflight_refused(r)
    assert time.monotonic() - t < 5 * SLOW


def test_acrh_over_field_limit_refused_by_httpd(srv):
    # past LimitRequestFieldSize: httpd answers 400 before any module runs
    r = preflight(srv, "/hstar/f.txt", req_headers=["x-a," * 2600])
    assert r.status == 400, r
    not_granted(r, vary=False)


# ---------------------------------------------------------------------------
# Hostile Origin / Access-Control-Request-Method values
# ---------------------------------------------------------------------------
HOSTILE_ORIGINS = [
    ("dup", [ORIGIN, ORIGIN]),
    ("dup2", [ORIGIN, OTHER]),
    ("list", [ORIGIN + ", " + ORIGIN]),
    ("list-space", [ORIGIN + " " + ORIGIN]),
    ("5k", ["https://" + "a" * 5000 + ".example"]),
    ("5k-tail", [ORIGIN + "/" + "a" * 5000]),
    ("513", ["https://" + "a." * 250 + "example"]),
    ("hi-bytes", [b"https://a.example\xff"]),
    ("utf8", [b"https://\xc3\xa4.example"]),
    ("latin1", [b"https://a.ex\xe4mple"]),
    ("ctl", [b"https://a.example\x7f"]),
    ("port-junk", ["https://a.example:"]),
    ("port-zero", ["https://a.example:0443"]),
    ("scheme-only", ["https://"]),
    ("no-scheme", ["a.example"]),
    ("query", [ORIGIN + "?x"]),
    ("fragment", [ORIGIN + "#x"]),
]


@pytest.mark.parametrize("name,origins", HOSTILE_ORIGINS,
                         ids=[c[0] for c in HOSTILE_ORIGINS])
def test_hostile_origin_refused(srv, name, origins):
    for path in ("/p/f.txt", "/cred/f.txt", "/cgi-bin/rec"):
        r = preflight(srv, path, origins, ["GET"])
        # httpd itself refuses control characters (400); the rest is the
        # module's to refuse (403)
        assert_preflight_refused(r, status=400 if name == "ctl" else 403,
                                 vary=False)


HOSTILE_METHODS = [
    ("list", "/m/f.txt", ["PUT, DELETE"]),
    ("list-star", "/mstar/f.txt", ["PUT, DELETE"]),
    ("list-starc", "/mstarc/f.txt", ["PUT, DELETE"]),
    ("dup", "/m/f.txt", ["PUT", "PUT"]),
    ("dup-safelisted", "/p/f.txt", ["GET", "GET"]),
    ("dup-starc", "/mstarc/f.txt", ["PUT", "DELETE"]),
    ("space", "/mstarc/f.txt", ["PU T"]),
    ("5k", "/m/f.txt", ["P" * 5000]),
    ("hi-bytes", "/mstar/f.txt", [b"PUT\xff"]),
    ("hi-bytes-c", "/mstarc/f.txt", [b"\xc3\xa9"]),
    ("separators", "/mstarc/f.txt", ["PUT;x=1"]),
    ("slash", "/mstarc/f.txt", ["GET/1"]),
    ("quote", "/mstarc/f.txt", ['"PUT"']),
    ("prefix", "/m/f.txt", ["PUTX"]),
    ("suffix", "/p/f.txt", ["GETS"]),
]


@pytest.mark.parametrize("name,path,methods", HOSTILE_METHODS,
                         ids=[c[0] for c in HOSTILE_METHODS])
def test_hostile_request_method_refused(srv, name, path, methods):
    r = preflight(srv, path, [ORIGIN], methods)
    assert_preflight_refused(r, vary=False)


def test_empty_values_never_granted(srv):
    # an empty Origin or Access-Control-Request-Method: whether or not it
    # counts as a preflight, nothing is granted and nothing breaks
    for origins, methods in (([""], ["GET"]), ([ORIGIN], [""]),
                             ([""], [""])):
        for path in ("/p/f.txt", "/mstarc/f.txt"):
            r = preflight(srv, path, origins, methods)
            assert r.status != 204 and r.status < 500, r
            not_granted(r, vary=False)


def test_control_bytes_refused_by_httpd(srv):
    # httpd refuses control characters in a field value (400)
    for origins, methods in (([b"https://a.example\x01"], ["GET"]),
                             ([ORIGIN], [b"PUT\x01"])):
        r = preflight(srv, "/mstarc/f.txt", origins, methods)
        assert r.status == 400, r
        not_granted(r, vary=False)


def test_preflight_redirected_before_module_is_refused(httpd):
    """mod_alias' Redirect answers in translate_name, before the module's
    fixups: browsers fail a redirected preflight, so the module must neither
    add preflight fields to the 302 nor log it as allowed."""
    srv = httpd(
        "<Location /moved>\n"
        "  CORSAllowOrigin %s\n"
        "</Location>\n"
        "Redirect 302 /moved /elsewhere\n" % ORIGIN)
    r = srv.request("OPTIONS", "/moved/x", {
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert r.status == 302
    not_granted(r)
    srv.wait_log("/moved/x", which="access")
    assert "cors=preflight-refused" in srv.access_log()
