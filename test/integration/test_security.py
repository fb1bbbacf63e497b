# SPDX-License-Identifier: Apache-2.0
"""Security properties of mod_cors, end to end.

A. The preflight authentication bypass never serves content.  An allowed
   preflight (OPTIONS, an allowed Origin, Access-Control-Request-Method,
   no request body framing) is answered 204 in the phase that skips
   authentication, so nothing else runs for it: no ErrorDocument, no
   content negotiation, no rewrite, no proxy.  A preflight that carries
   body framing (Transfer-Encoding, or Content-Length other than 0) gets no
   bypass at all: browsers never send a body with a preflight, so behind
   authentication it gets 401 like any unauthenticated request.  Refused
   preflights get no bypass either.
B. Preflight answers carry the scope's "Header always" fields (and the 204,
   a success, the onsuccess ones too).
C. Responses served from mod_cache obey the policy as fresh ones do.
D. One request, one response on the wire.
E. CORSAllowOriginMatch has a bound: a crafted Origin costs about what an
   ordinary one does.
F. A configuration warning cannot flood the error log.

Each test says what it guards; those that pass against a module that lacks
the property say why they are kept.
"""
import base64
import collections
import http.client
import http.server
import os
import re
import shutil
import socketserver
import statistics
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import Resp, dechunk, shared_dir
from cors_helpers import SLOW, costly, make_htpasswd

APP = "https://app.example.com"
EVIL = "https://evil.example"
# The protected file's body: it must never reach an unauthenticated client.
SECRET = b"TOP-SECRET-7f3a9c41"
SECRET_FILE = SECRET + b" do not serve\n"

PREFLIGHT_VARY = ["origin", "access-control-request-method",
                  "access-control-request-headers"]


# --------------------------------------------------------------------------
# Wire helpers
# --------------------------------------------------------------------------
class WireResp(Resp):
    """One response read off the wire (interim 1xx ones included)."""

    def __init__(self, status, headers, body):
        Resp.__init__(self, status, "", headers, body)


def wire_responses(data, head=False):
    """Every HTTP/1.x response in data, in order, 1xx interim ones too."""
    out = []
    while data:
        m = re.match(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n", data)
        assert m, "not a status line where a response should start: %r" \
            % data[:300]
        end = data.find(b"\r\n\r\n")
        assert end >= 0, "incomplete response head: %r" % data[:300]
        lines = data[:end].split(b"\r\n")
        status = int(m.group(1))
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            headers.append((k.decode("latin-1").strip(),
                            v.decode("latin-1").strip()))
        rest = data[end + 4:]
        names = {k.lower(): v for k, v in headers}
        if head or status in (204, 304) or 100 <= status < 200:
            body, used = b"", 0
        elif "chunked" in names.get("transfer-encoding", "").lower():
            body, used = dechunk(rest)
        elif "content-length" in names:
            n = int(names["content-length"])
            body, used = rest[:n], min(n, len(rest))
        else:
            body, used = rest, len(rest)
        out.append(WireResp(status, headers, body))
        data = rest[used:]
    return out


def final(resps):
    """The first final (non-1xx) response."""
    for r in resps:
        if r.status >= 200:
            return r
    raise AssertionError("no final response: %r" % resps)


def assert_no_content_served(wire, resps):
    """Nothing of the protected file, and no 2xx that carries content."""
    assert SECRET not in wire, "protected content served: %r" % wire[:1500]
    for r in resps:
        if 200 <= r.status < 300:
            assert r.body == b"", "2xx with content: %r" % r
            assert r.header("Content-Length") in (None, "0"), r


def basic(user, password):
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return "Basic " + tok


def options_bytes(path, origin=APP, method="PUT", extra=(), body=b""):
    lines = ["OPTIONS %s HTTP/1.1" % path, "Host: 127.0.0.1"]
    if origin is not None:
        lines.append("Origin: %s" % origin)
    if method is not None:
        lines.append("Access-Control-Request-Method: %s" % method)
    lines += ["%s: %s" % kv for kv in extra]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send(srv, data, backend=None, timeout=None):
    """Sends data; checks before anything else that the protected body is
    not on the wire and (backend given) that the backend saw nothing; then
    parses every response and checks that no 2xx carries content.
    Returns (wire, responses)."""
    backend_before = list(backend.requests) if backend is not None else None
    wire = srv.raw(data, timeout=timeout or 10 * SLOW)
    assert SECRET not in wire, "protected content served: %r" % wire[:2000]
    if backend is not None:
        # the backend answers before httpd does: no wait needed
        assert backend.requests == backend_before, \
            "the backend was reached: %r\n%r" % (
                backend.requests[len(backend_before):], wire[:1500])
    resps = wire_responses(wire, head=data.startswith(b"HEAD "))
    assert_no_content_served(wire, resps)
    return wire, resps


def assert_allowed_204(r, methods="GET, PUT", origin=APP):
    """The preflight answer: 204, no body, the grant, the preflight Vary,
    and nothing that a later phase or a handler adds (Last-Modified, ETag,
    Content-Type, negotiation's Alternates/TCN/"Vary: accept")."""
    assert r.status == 204, repr(r)
    assert r.body == b"", repr(r)
    assert r.header("Content-Length") in (None, "0"), repr(r)
    assert r.ac_fields() == {"access-control-allow-origin": origin,
                             "access-control-allow-methods": methods}, \
        repr(r)
    assert r.vary_list() == PREFLIGHT_VARY, repr(r)
    for name in ("Last-Modified", "ETag", "Content-Type", "WWW-Authenticate",
                 "Alternates", "TCN"):
        assert r.header(name) is None, repr(r)


def assert_401_no_grant(r):
    assert r.status == 401, repr(r)
    assert r.header("WWW-Authenticate"), repr(r)
    assert r.ac_fields() == {}, repr(r)


# --------------------------------------------------------------------------
# A. the bypass never serves content
# --------------------------------------------------------------------------
# Every route below checks, in this order: the protected body never shows
# on the wire, the backend behind ProxyPass sees nothing, no 2xx carries
# content, and then the expected status.
#
# Note on the 401 expected for a preflight with body framing: httpd reads
# (discards) the request body of an error response before sending it, and
# a failure there (bad chunk 400, LimitRequestBody 413, RequestReadTimeout
# 408) replaces the 401 (see test_a_refused_preflight_gets_401 on HEAD).
# The 401 thus means that such a body is never read: the connection is
# closed instead (browsers never send a body with a preflight).
AUTH = """AuthType Basic
AuthName "sec"
AuthUserFile "%(pw)s"
Require valid-user
"""
POLICY = """CORSAllowOrigin %s
CORSAllowMethods GET PUT
""" % APP
ERRDOCS = "".join("ErrorDocument %d %%(errdoc)s\n" % s
                  for s in (400, 408, 413, 406, 500))

A_CONF = """
RequestReadTimeout handshake=0 header=10 body=1
<Location /api>
%(auth)s%(policy)sLimitRequestBody 10
%(errdocs_api)s</Location>
<Location /papi>
%(auth)s%(policy)sLimitRequestBody 10
%(errdocs_papi)s</Location>
ProxyPass /papi/px/ http://127.0.0.1:%(bport)d/
<Directory "{docroot}/mv">
Options +MultiViews
%(auth)s%(policy)s</Directory>
<Directory "{docroot}/mv406">
Options +MultiViews
ErrorDocument 406 /mv406/secret.txt
%(auth)s%(policy)s</Directory>
<Directory "{docroot}/rw">
%(auth)s%(policy)s</Directory>
<Directory "{docroot}/rwd">
RewriteEngine On
RewriteRule ^page$ secret.txt
%(auth)s%(policy)s</Directory>
<Location /open>
%(policy)sLimitRequestBody 10
</Location>
<Location /open2>
%(policy)sLimitRequestBody 10
ErrorDocument 400 /open2/errdoc.txt
ErrorDocument 413 /open2/errdoc.txt
</Location>
"""

USER, PASSWORD = "alice", "s3cret"


@pytest.fixture(scope="module")
def adir():
    d = shared_dir("sec-a-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def asrv(httpd_module, adir, backend):
    pw = os.path.join(adir, "htpasswd")
    make_htpasswd(pw, USER, PASSWORD)
    auth = AUTH % {"pw": pw}
    conf = A_CONF % {
        "auth": auth, "policy": POLICY, "bport": backend.port,
        "errdocs_api": ERRDOCS % {"errdoc": "/api/secret.txt"},
        "errdocs_papi": ERRDOCS % {"errdoc": "/papi/px/errdoc"},
    }
    files = {"api/secret.txt": SECRET_FILE,
             "open/f.txt": "open body\n",
             "open2/f.txt": "open body\n",
             "open2/errdoc.txt": "errdoc\n",
             "mv/report.html": "<p>report html</p>\n",
             "mv/report.txt": "report text\n",
             "mv/secret.txt": SECRET_FILE,
             "mv406/report.html": "<p>report html</p>\n",
             "mv406/report.txt": "report text\n",
             "mv406/secret.txt": SECRET_FILE,
             "rw/secret.txt": SECRET_FILE,
             "rwd/secret.txt": SECRET_FILE}
    htaccess = {"rw": "RewriteEngine On\nRewriteRule ^page$ secret.txt\n"}
    return httpd_module(conf, files=files, htaccess=htaccess,
                        extra_modules=["reqtimeout", "negotiation"])


def test_a_setup_protected_file_needs_credentials(asrv):
    # Guard (passes on any build): the configuration really protects the
    # files, so the tests below prove something.
    for path in ("/api/secret.txt", "/mv/report", "/mv/secret.txt",
                 "/mv406/report", "/rw/page", "/rwd/page"):
        r = asrv.request("GET", path, [("Origin", APP)])
        assert r.status == 401 and SECRET not in r.body, (path, r)
    good = [("Authorization", basic(USER, PASSWORD))]
    for path in ("/api/secret.txt", "/rw/page", "/rwd/page"):
        r = asrv.request("GET", path, good)
        assert r.status == 200 and SECRET in r.body, (path, r)
    r = asrv.request("GET", "/mv/report", good)
    assert r.status == 200 and b"report" in r.body, r
    # negotiation really runs there: x/y matches no variant
    r = asrv.request("GET", "/mv/report", good + [("Accept", "x/y")])
    assert r.status == 406, r


ALL_PATHS = ["/api/secret.txt", "/papi/px/x", "/mv/report", "/mv406/report",
             "/rw/page", "/rwd/page"]


@pytest.mark.parametrize("path", ALL_PATHS)
def test_a_allowed_preflight_is_bare_204(asrv, backend, path):
    # The preflight answer itself: 204, no body, the grant, the preflight
    # Vary, nothing of the resource (no Last-Modified/ETag), and the backend
    # behind ProxyPass never sees it.  Guard (passes on HEAD) except for the
    # MultiViews paths, where HEAD lets mod_negotiation run first for the
    # unauthenticated preflight (its "Vary: accept" shows on the 204).
    wire, resps = send(asrv, options_bytes(path), backend)
    assert len(resps) == 1, resps
    assert_allowed_204(resps[0])


BAD_CHUNKED = [
    ("bad-size", b"zz\r\nabc\r\n0\r\n\r\n"),
    ("size-overflow", b"fffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
    ("no-crlf", b"3\r\nabcXX0\r\n\r\n"),
]


@pytest.mark.parametrize("path", ["/api/secret.txt", "/papi/px/x"])
@pytest.mark.parametrize("name,body", BAD_CHUNKED,
                         ids=[n for n, _ in BAD_CHUNKED])
def test_a_malformed_chunked_preflight_gets_no_bypass(asrv, backend, path,
                                                      name, body):
    # HEAD: the bypass skips authentication, the module then reads the
    # body, the read fails: 400, and ErrorDocument 400 serves the secret
    # (or proxies to the backend) to nobody in particular.
    wire, resps = send(asrv, options_bytes(
        path, extra=[("Transfer-Encoding", "chunked")], body=body), backend)
    assert_401_no_grant(final(resps))


@pytest.mark.parametrize("path", ["/api/secret.txt", "/papi/px/x"])
def test_a_body_over_limit_preflight_gets_no_bypass(asrv, backend, path):
    # LimitRequestBody 10, Content-Length: 100.  HEAD: 413 after the
    # bypass, ErrorDocument 413 serves the secret (/api), or the body is
    # read and 204 follows (/papi).
    wire, resps = send(asrv, options_bytes(
        path, extra=[("Content-Length", "100")], body=b"x" * 100), backend)
    assert_401_no_grant(final(resps))


@pytest.mark.parametrize("path", ["/api/secret.txt", "/papi/px/x"])
def test_a_slow_body_preflight_gets_no_bypass(asrv, backend, path):
    # RequestReadTimeout body=1 and a body that stalls.  HEAD: the bypass,
    # the module waits for the body, times out after ~1 s, and ErrorDocument
    # 400 serves the secret (/api) or fails (/papi): never the 401.
    t0 = time.monotonic()
    wire, resps = send(asrv, options_bytes(
        path, extra=[("Content-Length", "8")], body=b"xx"), backend,
        timeout=6 * SLOW)
    assert time.monotonic() - t0 < 6 * SLOW
    assert_401_no_grant(final(resps))


@pytest.mark.parametrize("path", ALL_PATHS)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_preflight_with_small_body_gets_no_bypass(asrv, backend, path,
                                                    framing):
    # A well-formed body is body framing all the same: no bypass, 401.
    # HEAD reads the body and answers 204 without authentication.
    extra, body = {
        "content-length": ([("Content-Length", "5")], b"hello"),
        "chunked": ([("Transfer-Encoding", "chunked")],
                    b"5\r\nhello\r\n0\r\n\r\n"),
    }[framing]
    wire, resps = send(asrv, options_bytes(path, extra=extra, body=body),
                       backend)
    assert_401_no_grant(final(resps))


def test_a_preflight_with_content_length_zero_is_allowed(asrv, backend):
    # Guard (passes on HEAD): Content-Length: 0 is no body; the bypass and
    # the bare 204 stay.
    for path in ("/api/secret.txt", "/papi/px/x"):
        wire, resps = send(asrv, options_bytes(
            path, extra=[("Content-Length", "0")]), backend)
        assert len(resps) == 1, resps
        assert_allowed_204(resps[0])


def test_a_expect_100_without_body_is_allowed(asrv, backend):
    # Guard (passes on HEAD): Expect: 100-continue without body framing is
    # an ordinary allowed preflight: one 204, no interim 100.
    for path in ("/api/secret.txt", "/papi/px/x"):
        wire, resps = send(asrv, options_bytes(
            path, extra=[("Expect", "100-continue")]), backend)
        assert [r.status for r in resps] == [204], resps
        assert_allowed_204(resps[0])


@pytest.mark.parametrize("path", ["/api/secret.txt", "/papi/px/x"])
@pytest.mark.parametrize("size", [5, 100], ids=["small", "over-limit"])
def test_a_expect_100_with_body_gets_no_bypass(asrv, backend, path, size):
    # HEAD: "100 Continue", the body is read, then 204 (small), or 413
    # and ErrorDocument 413 with the secret (over the limit, /api).
    wire, resps = send(asrv, options_bytes(
        path, extra=[("Expect", "100-continue"),
                     ("Content-Length", str(size))],
        body=b"x" * size), backend)
    assert_401_no_grant(final(resps))


@pytest.mark.parametrize("origin,method", [(EVIL, "PUT"), (APP, "DELETE")],
                         ids=["origin", "method"])
@pytest.mark.parametrize("framing", ["none", "bad-chunk", "over-limit"])
def test_a_refused_preflight_gets_401(asrv, backend, origin, method, framing):
    # Refused preflights get no bypass: 401 behind authentication.  Guard
    # for "none" (HEAD: 401).  With a broken or oversized body HEAD reads
    # the body before the 401 goes out, and the body's error (400/413)
    # replaces the 401 (its protected ErrorDocument then fails with 401):
    # no secret, but not the 401 either.
    extra, body = {
        "none": ([], b""),
        "bad-chunk": ([("Transfer-Encoding", "chunked")], BAD_CHUNKED[0][1]),
        "over-limit": ([("Content-Length", "100")], b"x" * 100),
    }[framing]
    for path in ("/api/secret.txt", "/papi/px/x"):
        wire, resps = send(asrv, options_bytes(path, origin, method, extra,
                                               body), backend)
        assert_401_no_grant(final(resps))


# ---- content negotiation ---------------------------------------------------
@pytest.mark.parametrize("path", ["/mv/report", "/mv406/report"])
@pytest.mark.parametrize("accept", ["x/y", "text/html", None])
def test_a_multiviews_preflight_is_bare_204(asrv, path, accept):
    # HEAD: mod_negotiation runs for the unauthenticated preflight before
    # the module answers; with Accept: x/y it answers 406 with the variant
    # list (and ErrorDocument 406 serves the secret under /mv406); with
    # any other Accept its "Vary: accept" shows on the 204.
    extra = [("Accept", accept)] if accept else []
    wire, resps = send(asrv, options_bytes(path, extra=extra))
    assert b"report." not in wire, wire
    assert len(resps) == 1, resps
    assert_allowed_204(resps[0])


def test_a_multiviews_refused_preflight_401(asrv):
    # Guard (passes on HEAD): refused, no bypass: 401 before negotiation.
    for path in ("/mv/report", "/mv406/report"):
        wire, resps = send(asrv, options_bytes(path, origin=EVIL,
                                               extra=[("Accept", "x/y")]))
        assert b"report." not in wire, wire
        assert_401_no_grant(final(resps))


# ---- mod_rewrite in per-directory context ------------------------------------
@pytest.mark.parametrize("path", ["/rw/page", "/rwd/page"],
                         ids=["htaccess", "directory"])
def test_a_rewrite_preflight_is_bare_204(asrv, path):
    # Guard (passes on HEAD, whose fixups answer before mod_rewrite's
    # per-directory rules): the rewrite to the secret never runs for an
    # allowed preflight.
    for accept in (None, "x/y"):
        extra = [("Accept", accept)] if accept else []
        wire, resps = send(asrv, options_bytes(path, extra=extra))
        assert len(resps) == 1, resps
        assert_allowed_204(resps[0])


# ---- HTTP/2 ------------------------------------------------------------------
def _have_nghttp():
    return shutil.which("nghttp") is not None


needs_h2 = pytest.mark.skipif(not _have_nghttp(),
                              reason="nghttp (nghttp2-client) not installed")

_H2_HEADER = re.compile(r"recv \(stream_id=\d+\) (:?[^:\s]+): (.*)$")
_H2_DATA = re.compile(r"recv DATA frame <length=(\d+)")


def h2_request(port, method, path, headers=(), body=None, cl=True,
               timeout=10 * SLOW):
    """One request over h2c with prior knowledge (nghttp: unlike curl it
    reports an answer that arrives before the request body was taken).
    body: bytes sent as DATA frames, with a content-length unless cl is
    false.  Returns (WireResp of the last response head, nghttp's whole
    output: every head and the body)."""
    d = tempfile.mkdtemp(prefix="sec-h2-")
    try:
        cmd = ["nghttp", "-v", "-t", str(timeout), "-H", ":method: " + method]
        for k, v in headers:
            cmd += ["-H", "%s: %s" % (k.lower(), v)]
        if body is not None:
            dfile = os.path.join(d, "d")
            with open(dfile, "wb") as f:
                f.write(body)
            cmd += ["-d", dfile]
            if not cl:
                cmd.append("--no-content-length")
        cmd.append("http://127.0.0.1:%d%s" % (port, path))
        p = subprocess.run(cmd, capture_output=True, timeout=timeout + 5)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    out = p.stdout
    heads = []
    length = 0
    for ln in out.decode("latin-1").splitlines():
        m = _H2_HEADER.search(ln)
        if m:
            if m.group(1) == ":status":
                heads.append([])
            if heads:
                heads[-1].append((m.group(1), m.group(2)))
            continue
        m = _H2_DATA.search(ln)
        if m:
            length += int(m.group(1))
    assert heads, "nghttp got no answer (rc %s): %r\n%r" % (
        p.returncode, p.stderr[-500:], out[-1500:])
    last = heads[-1]
    status = int(last[0][1])
    hdrs = [(k, v) for k, v in last[1:]]
    # the body itself is in nghttp's output; its size is the DATA frames'
    return WireResp(status, hdrs, b"x" * length), out


H2_PF = [("Origin", APP), ("Access-Control-Request-Method", "PUT")]


@needs_h2
@pytest.mark.parametrize("path", ALL_PATHS)
def test_a_h2_allowed_preflight_is_bare_204(asrv, backend, path):
    # The same bare 204 over h2c.  Guard (passes on HEAD) except for the
    # MultiViews paths (negotiation ran first: 406 / "Vary: accept").
    before = len(backend.requests)
    r, wire = h2_request(asrv.port, "OPTIONS", path, H2_PF)
    assert SECRET not in wire, wire
    assert len(backend.requests) == before, backend.requests[before:]
    assert_allowed_204(r)


@needs_h2
@pytest.mark.parametrize("path", ["/api/secret.txt", "/papi/px/x",
                                  "/mv/report"])
@pytest.mark.parametrize("framing", ["content-length", "no-content-length",
                                     "over-limit"])
def test_a_h2_preflight_with_body_gets_no_bypass(asrv, backend, path,
                                                 framing):
    # HEAD: the bypass, the body is read, 204 without authentication.
    # Without content-length mod_http2 gives the request
    # "Transfer-Encoding: chunked": body framing all the same.
    before = len(backend.requests)
    hdrs = list(H2_PF)
    body = b"hello"
    if framing == "over-limit":
        body = b"x" * 100
    r, wire = h2_request(asrv.port, "OPTIONS", path, hdrs, body=body,
                         cl=framing != "no-content-length")
    assert SECRET not in wire, wire
    assert len(backend.requests) == before, backend.requests[before:]
    if 200 <= r.status < 300:
        assert r.body == b"", r
    assert_401_no_grant(r)


@needs_h2
def test_a_h2_refused_preflight_401(asrv):
    # Guard (passes on HEAD): refused over h2, with or without a body: 401.
    for body in (None, b"hello"):
        r, wire = h2_request(asrv.port, "OPTIONS", "/api/secret.txt",
                             [("Origin", EVIL),
                              ("Access-Control-Request-Method", "PUT")],
                             body=body)
        assert SECRET not in wire, wire
        assert_401_no_grant(r)


# ==========================================================================
# D. One response per request
# ==========================================================================
def _status_lines(wire):
    return re.findall(rb"(?m)^HTTP/1\.[01] \d{3}", wire)


def _one_response(wire, status):
    """Exactly one response on the wire: one status line, nothing after
    its framed end, one error document in it."""
    assert len(_status_lines(wire)) == 1, wire
    resps = wire_responses(wire)  # fails on bytes after the framed response
    assert [r.status for r in resps] == [status], wire
    assert wire.count(b"<!DOCTYPE") <= 1, wire
    assert wire.count(b"errdoc") <= 1, wire
    return resps[0]


@pytest.mark.parametrize("path", ["/open/f.txt", "/open2/f.txt"],
                         ids=["canned", "errordocument"])
def test_d_one_response_for_oversized_preflight(asrv, path):
    # Unprotected, LimitRequestBody 10, Content-Length: 100.  HEAD answers
    # 413, then its fixups return 400 for the failed discard and a second
    # answer follows the first on the wire: the 400 page after the 413
    # page, or the ErrorDocument twice past the Content-Length.
    wire = asrv.raw(options_bytes(path, extra=[("Content-Length", "100")],
                                  body=b"x" * 100))
    r = _one_response(wire, 413)
    assert b"Bad Request" not in wire, wire
    assert r.ac_fields() == {}, r


@pytest.mark.parametrize("path", ["/open/f.txt", "/open2/f.txt"],
                         ids=["canned", "errordocument"])
def test_d_one_response_for_bad_chunk_preflight(asrv, path):
    # The same with a malformed chunked body: one 400.
    wire = asrv.raw(options_bytes(path,
                                  extra=[("Transfer-Encoding", "chunked")],
                                  body=BAD_CHUNKED[0][1]))
    r = _one_response(wire, 400)
    assert r.ac_fields() == {}, r


def test_d_preflight_with_small_body_unprotected(asrv):
    # Guard (passes on HEAD): with no authentication to skip, a preflight
    # whose body is within the limits is still answered 204, once.
    wire = asrv.raw(options_bytes("/open/f.txt",
                                  extra=[("Content-Length", "5")],
                                  body=b"hello"))
    assert len(_status_lines(wire)) == 1, wire
    resps = wire_responses(wire)
    assert [r.status for r in resps] == [204], wire
    assert_allowed_204(resps[0])


# ==========================================================================
# B. Preflight answers carry the scope's "Header always" fields
# ==========================================================================
B_SERVER_HEADERS = """Header always set Strict-Transport-Security "max-age=1"
Header always set X-Content-Type-Options nosniff
"""
B_SCOPE = """CORSAllowOrigin %s
CORSAllowMethods GET PUT
Header always merge Vary X-Test
Header set X-Onsuccess yes
""" % APP

B_CONFS = {
    # the policy and the scope's headers at server level
    "server": B_SERVER_HEADERS + B_SCOPE,
    # in a <Location>
    "location": B_SERVER_HEADERS + "<Location /b>\n" + B_SCOPE + "</Location>\n",
    # in a <Location> behind authentication
    "auth": B_SERVER_HEADERS + "<Location /b>\n" + AUTH + B_SCOPE
            + "</Location>\n",
}


@pytest.fixture(scope="module")
def bdir():
    d = shared_dir("sec-b-")
    pw = os.path.join(d, "htpasswd")
    make_htpasswd(pw, USER, PASSWORD)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module", params=sorted(B_CONFS))
def bsrv(request, httpd_module, bdir):
    conf = B_CONFS[request.param] % {"pw": os.path.join(bdir, "htpasswd")}
    srv = httpd_module(conf, files={"b/f.txt": "b body\n"})
    srv.kind = request.param
    return srv


def _always_fields(r):
    assert r.header("Strict-Transport-Security") == "max-age=1", repr(r)
    assert r.header("X-Content-Type-Options") == "nosniff", repr(r)


def test_b_allowed_preflight_carries_header_always_and_onsuccess(bsrv):
    # HEAD answers preflights from fixups with DONE: no handler, so
    # mod_headers' output filters are never inserted and the 204 carries
    # neither the "always" nor the onsuccess fields.
    wire, resps = send(bsrv, options_bytes("/b/f.txt"))
    assert len(resps) == 1, resps
    r = resps[0]
    assert r.status == 204 and r.body == b"", repr(r)
    assert r.ac_fields() == {"access-control-allow-origin": APP,
                             "access-control-allow-methods": "GET, PUT"}, \
        repr(r)
    _always_fields(r)
    assert r.header("X-Onsuccess") == "yes", repr(r)
    vary = r.vary_list()
    for tok in ["x-test"] + PREFLIGHT_VARY:
        assert vary.count(tok) == 1, (tok, repr(r))
    for name in ("Last-Modified", "ETag", "WWW-Authenticate"):
        assert r.header(name) is None, repr(r)


@pytest.mark.parametrize("origin,method", [(EVIL, "PUT"), (APP, "DELETE")],
                         ids=["origin", "method"])
def test_b_refused_preflight_carries_header_always(bsrv, origin, method):
    # 403 (401 behind authentication): the "always" fields, not the
    # onsuccess one, no Access-Control-*.  HEAD's bare 403 carries none of
    # them (behind authentication the 401 is httpd's own and has them).
    wire, resps = send(bsrv, options_bytes("/b/f.txt", origin, method))
    r = final(resps)
    assert r.status == (401 if bsrv.kind == "auth" else 403), repr(r)
    assert r.ac_fields() == {}, repr(r)
    _always_fields(r)
    assert r.header("X-Onsuccess") is None, repr(r)


def test_b_actual_request_keeps_header_fields(bsrv):
    # Guard (passes on HEAD): an actual request under the same policy gets
    # the grant and every field (with credentials behind authentication).
    h = [("Origin", APP)]
    if bsrv.kind == "auth":
        h.append(("Authorization", basic(USER, PASSWORD)))
    r = bsrv.request("GET", "/b/f.txt", h)
    assert r.status == 200 and r.body == b"b body\n", r
    assert r.header("Access-Control-Allow-Origin") == APP, r
    _always_fields(r)
    assert r.header("X-Onsuccess") == "yes", r
    assert {"x-test", "origin"} <= set(r.vary_list()), r


# ==========================================================================
# C. Cached responses obey the policy
# ==========================================================================
class _CacheBackendHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET cacheably, with a CORS grant of its own that the
    policy must replace."""
    protocol_version = "HTTP/1.1"
    server_version = "sec-cache-backend"

    def log_message(self, *a):
        pass

    def do_GET(self):
        with self.server.lock:
            self.server.hits[self.path] += 1
        body = ("cached body of %s\n" % self.path).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Access-Control-Allow-Origin", EVIL)
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Cache-Control", "public, max-age=600")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _CacheBackend(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def cache_backend():
    srv = _CacheBackend(("127.0.0.1", 0), _CacheBackendHandler)
    srv.hits = collections.Counter()
    srv.lock = threading.Lock()
    t = threading.Thread(target=srv.serve_forever,
                         kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


C_POLICY = """CORSAllowOrigin %s
CORSAllowCredentials On
""" % APP

C_CACHES = {
    "disk": ("CacheEnable disk /c/\nCacheRoot \"%(cachedir)s\"\n"
             "CacheDirLevels 1\nCacheDirLength 1\n",
             ["cache", "cache_disk"]),
    "socache": ("CacheEnable socache /c/\n"
                "CacheSocache shmcb:%(cachedir)s/shm(512000)\n",
                ["cache", "cache_socache", "socache_shmcb"]),
}

# Per URL: the first request's Origin, then the others in varied orders.
C_SEQUENCES = {
    "/c/first-allowed": [APP, APP, EVIL, None, APP, None, EVIL, EVIL, APP,
                         None, None, APP, EVIL, APP],
    "/c/first-evil": [EVIL, APP, None, EVIL, APP, APP, None, EVIL, None,
                      APP],
    "/c/first-none": [None, EVIL, APP, None, APP, EVIL, EVIL, APP, None],
}


def _check_cached_answer(r, origin, path):
    what = "Origin %r: %s" % (origin, repr(r))
    assert r.status == 200, what
    assert r.body == ("cached body of %s\n" % path[len("/c"):]).encode(), what
    if origin == APP:
        assert r.header_all("Access-Control-Allow-Origin") == [APP], what
        assert r.header_all("Access-Control-Allow-Credentials") == \
            ["true"], what
        assert {k.lower() for k, _ in r.ac_headers()} == {
            "access-control-allow-origin",
            "access-control-allow-credentials"}, what
    else:
        assert r.ac_headers() == [], what
    assert "origin" in r.vary(), what


@pytest.mark.parametrize("place", ["server", "location"])
@pytest.mark.parametrize("quick", ["On", "Off"])
@pytest.mark.parametrize("cache", sorted(C_CACHES))
def test_c_cached_responses_obey_policy(httpd, cache_backend, cache, quick,
                                        place):
    # HEAD: mod_cache stores the backend's headers (the module's filter
    # runs after CACHE_SAVE) and its quick handler serves hits before the
    # <Location> walk, so under a <Location> policy a hit carries the
    # backend's "Access-Control-Allow-Origin: https://evil.example" with
    # credentials to everyone.  With the policy at server level, or with
    # CacheQuickHandler Off, HEAD's filter rewrites hits: those variants
    # guard that behaviour (they pass on HEAD).
    cachedir = shared_dir("sec-cache-")
    try:
        cache_conf, mods = C_CACHES[cache]
        conf = cache_conf % {"cachedir": cachedir}
        conf += "CacheQuickHandler %s\nCacheHeader on\n" % quick
        conf += "ProxyPass /c/ http://127.0.0.1:%d/\n" % \
            cache_backend.server_address[1]
        if place == "server":
            conf += C_POLICY
        else:
            conf += "<Location /c/>\n" + C_POLICY + "</Location>\n"
        srv = httpd(conf, extra_modules=mods)
        xcache = collections.Counter()
        sent = collections.Counter()
        for path, seq in C_SEQUENCES.items():
            cache_backend.hits[path[len("/c"):]] = 0
            for origin in seq:
                h = [("Origin", origin)] if origin else []
                r = srv.request("GET", path, h)
                sent[path] += 1
                _check_cached_answer(r, origin, path)
                xcache[(r.header("X-Cache") or "none").split()[0]] += 1
        # the cache really served: hits, and the backend saw fewer requests
        assert xcache["HIT"] >= 3, xcache
        for path in C_SEQUENCES:
            assert cache_backend.hits[path[len("/c"):]] < sent[path], \
                (path, cache_backend.hits, sent, xcache)
    finally:
        shutil.rmtree(cachedir, ignore_errors=True)


# ==========================================================================
# E. Regular expressions have a bound
# ==========================================================================
# (name, regex, an allowed Origin, a crafted Origin: well-formed, not
# allowed, and driving the pattern into catastrophic backtracking).  Each
# request gets an Origin of its own (i), so that no cache of verdicts can
# stand in for a bound.  DNS labels stay within 63 bytes: a longer one is
# refused as malformed before any regex runs.
E_CASES = [
    ("nested-dots", r"^https://(.+\.)*example\.com$",
     lambda i: "https://g%d.example.com" % i,
     lambda i: "https://a%d." % i + "a." * 99 + "example.co"),
    ("nested-plus", r"^https://(a+)+\.example\.com$",
     lambda i: "https://" + "a" * (1 + i % 60) + ".example.com",
     lambda i: "https://" + "a" * (30 + i % 30) + ".example.co"),
    ("nested-star", r"^https://(.*)*\.example\.com$",
     lambda i: "https://g%d.example.com" % i,
     lambda i: "https://" + "a" * (25 + i) + ".example.net"),
]
E_ROUNDS = 30


@pytest.fixture(scope="module")
def esrv(httpd_module):
    conf = ""
    files = {}
    htaccess = {}
    for i, (_, rx, _, _) in enumerate(E_CASES):
        # server configuration (compiled once, JIT where available)
        conf += '<Location /e%d>\nCORSAllowOriginMatch "%s"\n</Location>\n' \
            % (i, rx)
        files["e%d/f.txt" % i] = "e\n"
        # .htaccess: compiled per request
        htaccess["h%d" % i] = 'CORSAllowOriginMatch "%s"\n' % rx
        files["h%d/f.txt" % i] = "h\n"
    # warn: no debug line per request in the timings
    return httpd_module(conf, files=files, htaccess=htaccess,
                        loglevel="warn")


@costly
@pytest.mark.parametrize("where", ["config", "htaccess"])
@pytest.mark.parametrize("idx", range(len(E_CASES)),
                         ids=[c[0] for c in E_CASES])
def test_e_crafted_origin_costs_no_more_than_normal(esrv, where, idx):
    # HEAD: PCRE2's default match limit lets each crafted Origin cost
    # 10-30 ms against ~0.3 ms for an ordinary one (30-130x).
    name, rx, good, crafted = E_CASES[idx]
    path = "/%s%d/f.txt" % ("e" if where == "config" else "h", idx)
    # warm up
    for i in range(3):
        r = esrv.request("GET", path, [("Origin", good(100 + i))])
        assert r.status == 200 and \
            r.header("Access-Control-Allow-Origin") == good(100 + i), r
    # alternate, one connection per request
    t_good, t_crafted = [], []
    deadline = time.monotonic() + 15 * SLOW
    for i in range(E_ROUNDS):
        for origin, acc, granted in ((good(i), t_good, True),
                                     (crafted(i), t_crafted, False)):
            t0 = time.perf_counter()
            r = esrv.request("GET", path, [("Origin", origin)])
            acc.append(time.perf_counter() - t0)
            assert r.status == 200, r
            if granted:
                assert r.header("Access-Control-Allow-Origin") == origin, r
            else:
                assert r.ac_headers() == [], r
        if time.monotonic() > deadline:
            break
    m_good = statistics.median(t_good)
    m_crafted = statistics.median(t_crafted)
    assert m_crafted < 2 * m_good, \
        "%s (%s): crafted Origin median %.2f ms, allowed Origin %.2f ms " \
        "(ratio %.1f)" % (name, where, m_crafted * 1e3, m_good * 1e3,
                          m_crafted / m_good)


# ==========================================================================
# F. Logs cannot be flooded
# ==========================================================================
F_REQUESTS = 1000
F_CONNECTIONS = 4


def test_f_merge_warning_logged_at_most_once_per_process(httpd):
    # <Directory> says "*", its .htaccess says CORSAllowCredentials On: they
    # meet only through merging, the answer is "*" without credentials and
    # a warning is logged.  HEAD logs it "once per scope", but an .htaccess
    # scope is built anew for every request: one warning per request.
    srv = httpd("""
<Directory "{docroot}/flood">
CORSAllowOrigin *
</Directory>
LogFormat "%P" pids
CustomLog "{root}/logs/pids.log" pids
""", files={"flood/f.txt": "flood\n"},
        htaccess={"flood": "CORSAllowCredentials On\n"}, loglevel="warn")
    per_conn = F_REQUESTS // F_CONNECTIONS
    t_end = time.monotonic() + 60 * SLOW
    errors = []

    def client(n):
        # keep-alive; http.client opens a new connection by itself when
        # httpd closes one (MaxKeepAliveRequests)
        c = http.client.HTTPConnection("127.0.0.1", srv.port,
                                       timeout=10 * SLOW)
        try:
            for i in range(per_conn):
                if time.monotonic() > t_end:
                    errors.append("out of time")
                    return
                c.request("GET", "/flood/f.txt?%d-%d" % (n, i),
                          headers={"Origin": "https://o%d.example" % i})
                resp = c.getresponse()
                body = resp.read()
                acao = resp.headers.get_all("Access-Control-Allow-Origin")
                acac = resp.headers.get_all(
                    "Access-Control-Allow-Credentials")
                if resp.status != 200 or body != b"flood\n" or \
                        acao != ["*"] or acac:
                    errors.append((resp.status, acao, acac, body))
                    return
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(n,))
               for n in range(F_CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[:5]

    def lines():
        log = srv.error_log()
        return [ln for ln in log.splitlines()
                if "meets CORSAllowCredentials On" in ln]

    # the pid log lines come after the responses: wait for all of them
    pids_path = os.path.join(srv.root, "logs", "pids.log")

    def child_pids():
        try:
            with open(pids_path) as f:
                return [ln.strip() for ln in f if ln.strip()]
        except FileNotFoundError:
            return []
    deadline = time.monotonic() + 5 * SLOW
    while len(child_pids()) < F_REQUESTS and time.monotonic() < deadline:
        time.sleep(0.05)
    served_by = collections.Counter(child_pids())
    assert sum(served_by.values()) >= F_REQUESTS, served_by
    warnings = lines()
    assert warnings, "the warning is logged at all (once per process)"
    warn_pids = collections.Counter(
        re.search(r"\[pid (\d+)", ln).group(1) for ln in warnings)
    assert set(warn_pids) <= set(served_by), (warn_pids, served_by)
    assert len(warnings) <= len(served_by), \
        "%d warnings from %d child processes: %r" % (
            len(warnings), len(served_by), warn_pids)
    assert all(n == 1 for n in warn_pids.values()), warn_pids
    assert len(warnings) <= 4, len(warnings)
