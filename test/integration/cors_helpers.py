# SPDX-License-Identifier: Apache-2.0
"""What the integration tests share: the assertions (granted, not_granted,
untouched, served, assert_preflight_allowed, assert_preflight_refused,
expose_set), the requests (send, preflight, preflight_headers, h2_request),
the CGI scripts (CGI, CGI_OWN_CORS, recorder_cgi, PRINTENV_CGI), files
and waiting (make_htpasswd, shared_dir, read_lines, wait_for,
split_responses), tables (table: the parametrize of a table whose rows
begin with their id) and the constants (ORIGIN, OTHER, ACAO, ACAC, ACEH,
PREFLIGHT_VARY, SLOW).

Reading a response (one field, every value, the Vary tokens, the
Access-Control-* fields) is conftest's ``Resp``: ``r.header(name)``,
``r.header_all(name)``, ``r.vary()``, ``r.vary_list()``, ``r.ac_headers()``,
``r.ac_fields()``, ``r.body``; a failed assertion prints ``r`` itself.
The assertions here also take another response object with ``.status``,
``.headers`` and ``.body`` (they read it as a Resp).

Nothing here starts a server: conftest's fixtures do that.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import PREFIX, Resp, shared_dir

__all__ = [
    "SLOW", "ORIGIN", "OTHER", "ACAO", "ACAC", "ACEH", "PREFLIGHT_VARY",
    "granted", "not_granted", "untouched", "served", "expose_set",
    "assert_preflight_allowed", "assert_preflight_refused",
    "send", "check_granted", "preflight", "check_preflight", "preflight_headers", "H2Resp", "h2_request",
    "cgi_script", "CGI", "CGI_OWN_CORS", "recorder_cgi", "PRINTENV_CGI",
    "make_htpasswd", "shared_dir", "read_lines", "wait_for",
    "split_responses", "table", "costly",
]

# Under a tool (valgrind, ...: see conftest.py) everything is much slower:
# time limits are scaled by this factor.
SLOW = 20 if PREFIX else 1

# Cost ratios compare the module's work with httpd's own: under a tool
# (CORS_TEST_HTTPD_PREFIX: valgrind) or AddressSanitizer (the module
# instrumented, httpd not) they mean nothing.
costly = pytest.mark.skipif(
    bool(PREFIX) or "ASAN_OPTIONS" in os.environ,
    reason="cost ratios mean nothing under a tool or a sanitizer")

# The origin the preflight, auth, h2 and observability policies allow, and
# one they do not.
ORIGIN = "https://a.example"
OTHER = "https://b.example"

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACEH = "Access-Control-Expose-Headers"

PREFLIGHT_VARY = ["origin", "access-control-request-method",
                  "access-control-request-headers"]


def _resp(r):
    """r as conftest's Resp (another response class is copied into one)."""
    if isinstance(r, Resp):
        return r
    body = r.body
    if body is None:
        body = b""
    elif not isinstance(body, bytes):
        body = body.encode("latin-1")
    return Resp(r.status, getattr(r, "reason", ""), list(r.headers), body)


# ------------------------------------------------------------- assertions
def granted(r, origin, credentials=False, vary=None, only=False,
            expose=None):
    """The response grants origin: exactly one Access-Control-Allow-Origin
    with that value; -Allow-Credentials: true with credentials, none
    without; Vary names Origin, once (vary=None: unless origin is "*";
    vary=False: not checked).  expose: the one -Expose-Headers value.
    only: no Access-Control-* field besides those."""
    r = _resp(r)
    vals = r.header_all(ACAO)
    assert vals == [origin], "expected one %s: %r, got %r\n%r" % (ACAO, origin, vals, r)
    if credentials:
        assert r.header_all(ACAC) == ["true"], r
    else:
        assert r.header_all(ACAC) == [], r
    if vary is None:
        vary = origin != "*"
    if vary:
        assert "origin" in r.vary(), "Vary lacks Origin: %r" % r
        assert r.vary_list().count("origin") == 1, "Origin twice in Vary: %r" % r
    if expose is not None:
        assert r.header_all(ACEH) == [expose], r
    if only:
        mine = {ACAO.lower(), ACAC.lower()} | ({ACEH.lower()} if expose else set())
        others = [(k, v) for k, v in r.ac_headers() if k.lower() not in mine]
        assert others == [], "other Access-Control-* fields: %r\n%r" % (others, r)


def not_granted(r, vary=True):
    """No Access-Control-* field at all; with vary, Vary names Origin (the
    answer depends on it)."""
    r = _resp(r)
    assert r.ac_headers() == [], "unexpected %r\n%r" % (r.ac_headers(), r)
    if vary:
        assert "origin" in r.vary(), "Vary lacks Origin: %r" % r


def untouched(r, fields=None):
    """Nothing of CORS added or taken away: the Access-Control-* fields are
    exactly fields (the content's own, {name: value}; none by default) and
    Vary does not name Origin."""
    r = _resp(r)
    want = {k.lower(): v for k, v in (fields or {}).items()}
    assert r.ac_fields() == want, r
    assert "origin" not in r.vary(), "Vary: Origin added: %r" % r


def served(r, status=200, body=None, vary=None, fields=None, location=None):
    """The answer itself: the status; body: the exact body; vary: every
    Vary token, in any order (repeats count); fields: {name: value} for
    single fields (None: absent, True: present with any value); location:
    how the Location field ends."""
    r = _resp(r)
    assert r.status == status, r
    if body is not None:
        assert r.body == body, r
    if vary is not None:
        assert sorted(r.vary_list()) == sorted(vary), r
    for name, value in (fields or {}).items():
        if value is True:
            assert r.header(name), "%s missing: %r" % (name, r)
        else:
            assert r.header(name) == value, "%s: %r" % (name, r)
    if location is not None:
        assert (r.header("Location") or "").endswith(location), r


def expose_set(r):
    """The names of the one Access-Control-Expose-Headers field, lower-cased."""
    vals = _resp(r).header_all(ACEH)
    assert len(vals) == 1, "expected one %s, got %r" % (ACEH, vals)
    return {t.strip().lower() for t in vals[0].split(",") if t.strip()}


def assert_preflight_allowed(r, methods, origin=ORIGIN, headers=None,
                             credentials=False, max_age=None, pna=False):
    """An allowed preflight: 204, empty body, exactly these Access-Control-*
    fields, and the preflight Vary."""
    r = _resp(r)
    assert r.status == 204, r
    assert r.body == b"", r
    assert r.header("Content-Length") in (None, "0"), r
    want = {"access-control-allow-origin": origin,
            "access-control-allow-methods": methods}
    if credentials:
        want["access-control-allow-credentials"] = "true"
    if headers is not None:
        want["access-control-allow-headers"] = headers
    if max_age is not None:
        want["access-control-max-age"] = str(max_age)
    if pna:
        want["access-control-allow-private-network"] = "true"
    assert r.ac_fields() == want, r
    assert r.vary_list() == PREFLIGHT_VARY, r


def assert_preflight_refused(r, status=403, vary=True):
    """A refused preflight: status (403, or 401 behind authentication), no
    Access-Control-* field at all; with vary, the preflight Vary."""
    r = _resp(r)
    assert r.status == status, r
    not_granted(r, vary=False)
    if vary:
        assert r.vary_list() == PREFLIGHT_VARY, r


def table(argnames, rows):
    """pytest.mark.parametrize over a table whose rows begin with their id:
    the rest of a row are the arguments."""
    one = "," not in argnames
    return pytest.mark.parametrize(
        argnames, [r[1] if one else r[1:] for r in rows],
        ids=[r[0] for r in rows])


# --------------------------------------------------------------- requests
def send(srv, request, origin=None):
    """Sends a table's request, with Origin unless origin is None.  request
    is a path (GET) or a tuple (method, path[, fields[, body]]); fields is
    a dict or a list of (name, value)."""
    if isinstance(request, str):
        request = ("GET", request)
    method, path, fields, body = tuple(request) + ({}, None)[len(request) - 2:]
    h = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if origin is not None:
        h.append(("Origin", origin))
    return srv.request(method, path, h, body=body)


def check_granted(srv, req, origin, status, want, also):
    """A row of a table of granted requests: sent with origin, served with
    status (and served()'s checks in also), granted as want says."""
    r = send(srv, req, origin)
    served(r, status, **also)
    granted(r, **dict(dict(origin=origin), **want))


def _lines(name, value):
    """One field line per value (a list: one line each)."""
    if value is None:
        return []
    return [(name, v) for v in (value if isinstance(value, list) else [value])]


def preflight_headers(origin=ORIGIN, method="GET", req_headers=None,
                      extra=None):
    """The fields of a preflight: Origin, Access-Control-Request-Method,
    -Request-Headers (each left out when None; a list of values sends one
    line each), then the extra (name, value) pairs."""
    return (_lines("Origin", origin) +
            _lines("Access-Control-Request-Method", method) +
            _lines("Access-Control-Request-Headers", req_headers) +
            list(extra or []))


def preflight(srv, path, origin=ORIGIN, method="GET", req_headers=None,
              extra=None):
    return srv.request("OPTIONS", path,
                       headers=preflight_headers(origin, method, req_headers,
                                                 extra))


def check_preflight(srv, path, origin, method, req_headers, want):
    """A row of a preflight table: want is None (refused) or the keyword
    arguments of assert_preflight_allowed (origin: the request's by
    default)."""
    r = preflight(srv, path, origin, method, req_headers)
    if want is None:
        assert_preflight_refused(r)
    else:
        assert_preflight_allowed(r, **dict(dict(origin=origin), **want))


class H2Resp(Resp):
    """A response read by curl over HTTP/2 (header names lower-case);
    .http_version is what curl negotiated."""

    def __init__(self, status, headers, body, http_version):
        Resp.__init__(self, status, "", headers, body)
        self.http_version = http_version


def h2_request(port, method, path, headers=(), timeout=10 * SLOW):
    """One request over cleartext HTTP/2 with prior knowledge (curl)."""
    d = tempfile.mkdtemp(prefix="pf-h2-")
    try:
        hfile = os.path.join(d, "h")
        bfile = os.path.join(d, "b")
        cmd = ["curl", "-sS", "--http2-prior-knowledge", "-X", method,
               "-D", hfile, "-o", bfile, "-w", "%{http_version}",
               "--max-time", str(timeout)]
        for k, v in headers:
            cmd += ["-H", "%s: %s" % (k, v)]
        cmd.append("http://127.0.0.1:%d%s" % (port, path))
        p = subprocess.run(cmd, capture_output=True, timeout=timeout + 5)
        assert p.returncode == 0, "curl failed: %r" % p.stderr
        with open(hfile, "rb") as f:
            head = f.read().decode("latin-1")
        with open(bfile, "rb") as f:
            body = f.read()
        lines = [ln for ln in head.split("\r\n") if ln]
        m = re.match(r"HTTP/(\S+) (\d{3})", lines[0])
        assert m, head
        hdrs = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.append((k.strip(), v.strip()))
        return H2Resp(int(m.group(2)), hdrs, body, p.stdout.decode().strip())
    finally:
        shutil.rmtree(d, ignore_errors=True)


def split_responses(data):
    """Splits the bytes of pipelined HTTP/1.1 responses (each framed by
    Content-Length, or bodiless 204/304) into [(status, head, body)]."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        assert end >= 0, "incomplete response: %r" % data[:300]
        head, data = data[:end].decode("latin-1"), data[end + 4:]
        status = int(head.split(" ", 2)[1])
        n = 0
        for ln in head.split("\r\n")[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
            assert k.strip().lower() != "transfer-encoding", head
        if status in (204, 304):
            n = 0
        out.append((status, head, data[:n]))
        data = data[n:]
    return out


# -------------------------------------------------------------------- CGI
def cgi_script(headers, body="cgi body\n", status_from_query=False):
    """A CGI script that answers with these header lines and body
    (status_from_query: a query of three digits is the status)."""
    # read the request body first: a script that exits without reading it
    # makes cgid fail with EPIPE and reset the connection
    lines = ['[ -n "$CONTENT_LENGTH" ] && head -c "$CONTENT_LENGTH" >/dev/null']
    if status_from_query:
        lines.append('case "$QUERY_STRING" in [0-9][0-9][0-9]) '
                     'printf "Status: %s\\r\\n" "$QUERY_STRING";; esac')
    for h in headers:
        lines.append("printf '%s\\r\\n'" % h.replace("'", "'\\''"))
    lines.append("printf '\\r\\n'")
    lines.append("printf '%s'" % body.replace("'", "'\\''").replace("\n", "\\n"))
    return "\n".join(lines) + "\n"


# The Access-Control-* fields CGI["acao"] sends of its own.
CGI_OWN_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Expose-Headers": "X-Secret",
    "Access-Control-Allow-Methods": "PUT, DELETE",
    "Access-Control-Max-Age": "999",
}

# CGI scripts the core tests share (name -> script text).
CGI = {
    # a plain answer with some headers a page might want to read
    "plain": cgi_script(["Content-Type: text/plain", "X-One: 1", "X-Two: 2",
                         "Set-Cookie: sid=1; HttpOnly", "Cache-Control: no-cache"]),
    # a backend that does its own (wrong) CORS; ?NNN sets the status
    "acao": cgi_script(["Content-Type: text/plain"] +
                       ["%s: %s" % kv for kv in CGI_OWN_CORS.items()] +
                       ["Vary: Accept-Encoding", "X-Secret: s"],
                       "backend body\n", status_from_query=True),
    # the same in other spellings of the field names
    "acaocase": cgi_script(["Content-Type: text/plain",
                            "access-control-allow-origin: *",
                            "ACCESS-CONTROL-ALLOW-CREDENTIALS: true",
                            "Access-control-expose-headers: X-Secret",
                            "Access-Control-Foo: bar",
                            "vary: Accept-Encoding"], "backend body\n"),
    # CGI local redirect (internal) and client redirect
    "localredir": cgi_script(["Location: /noc/s/data.txt"], ""),
    "extredir": cgi_script(["Location: https://elsewhere.example/x",
                            "Access-Control-Allow-Origin: *"], ""),
    "vary": cgi_script(["Content-Type: text/plain", "Vary: Accept-Encoding, User-Agent"]),
    "varyorigin": cgi_script(["Content-Type: text/plain", "Vary: origin, Accept-Encoding"]),
    "varystar": cgi_script(["Content-Type: text/plain", "Vary: *"]),
    # dies before sending headers: httpd answers 500
    "fail": "exit 1\n",
}


def recorder_cgi(record_file):
    """A CGI script that appends "METHOD URI" to record_file, then answers
    200 text/plain "cgi ran" and a header of its own."""
    return """#!/bin/sh
# consume the request body: mod_cgid resets the connection otherwise
if [ -n "$CONTENT_LENGTH" ]; then head -c "$CONTENT_LENGTH" >/dev/null; fi
echo "$REQUEST_METHOD $REQUEST_URI" >> %s
printf 'Content-Type: text/plain\\r\\n'
printf 'X-Cgi: yes\\r\\n'
printf '\\r\\n'
printf 'cgi ran\\n'
""" % record_file


PRINTENV_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
if [ -n "${CORS_VERDICT+x}" ]; then
  printf 'CORS_VERDICT=%s\\n' "$CORS_VERDICT"
else
  printf 'CORS_VERDICT unset\\n'
fi
"""


# ---------------------------------------------------------- files, waiting
def make_htpasswd(path, user, password):
    """A bcrypt AuthUserFile, readable by the server user."""
    subprocess.run(["htpasswd", "-cbB", path, user, password], check=True,
                   capture_output=True)
    os.chmod(path, 0o644)


def read_lines(path):
    try:
        with open(path) as f:
            return [ln.rstrip("\n") for ln in f]
    except FileNotFoundError:
        return []


def wait_for(pred, timeout=3.0, step=0.05):
    """Polls pred() until true (logs are written asynchronously)."""
    end = time.monotonic() + timeout * SLOW
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)
