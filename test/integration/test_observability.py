# SPDX-License-Identifier: Apache-2.0
"""What mod_cors tells the administrator: one ``LogLevel cors:debug`` line
per CORS request (verdict, Origin, reason), the request note ``cors`` in the
access log (``%{cors}n``), and the environment variable ``CORS_VERDICT``.

Values (project decisions): allowed, disallowed, preflight-allowed,
preflight-refused; no note (access log ``-``) without Origin or outside a
scope with a policy.
"""
import itertools
import re
import time

import pytest

from cors_helpers import (ORIGIN, OTHER, PRINTENV_CGI, assert_preflight_allowed,
                          assert_preflight_refused, preflight_headers, table,
                          wait_for)

CONF = """
<Location /o/>
CORSAllowOrigin %(o)s
CORSAllowOrigin https://*.sub.example
CORSAllowMethods PUT
CORSAllowHeaders X-Foo
ErrorDocument 404 /o/f.txt
</Location>
<Location /cgi-bin/>
CORSAllowOrigin %(o)s
</Location>
""" % {"o": ORIGIN}

_seq = itertools.count(1)


@pytest.fixture(scope="module")
def srv(httpd_module):
    return httpd_module(
        CONF, files={"o/f.txt": "o body\n", "free/f.txt": "free body\n"},
        cgi={"env": PRINTENV_CGI})


def uniq():
    """A fresh allowed origin (matches https://*.sub.example), so that the
    log lines of one request can be told from every other's."""
    return "https://u%d-%d.sub.example" % (next(_seq), int(time.time()))


CORS_LINE = re.compile(r"^.*\[cors:debug\].*$", re.M)


def cors_lines_with(srv, needle, expect=1):
    """The [cors:debug] lines that contain needle, once the log holds
    expect of them (or after a short wait)."""
    def found():
        return [ln for ln in CORS_LINE.findall(srv.error_log())
                if needle in ln]
    wait_for(lambda: len(found()) >= expect, timeout=3)
    time.sleep(0.05)  # a second line would be written right after
    return found()


def one_line(srv, needle):
    lines = cors_lines_with(srv, needle)
    assert len(lines) == 1, "expected one [cors:debug] line with %r, got %r" \
        % (needle, lines)
    return lines[0]


VERDICT = re.compile(r"(?<![\w-])(allowed|disallowed|preflight-allowed|"
                     r"preflight-refused)(?![\w-])")


def verdicts(line):
    """The verdict named in a line: a reason such as "origin not allowed"
    also says "allowed", so that word counts only when nothing else is
    named."""
    found = set(VERDICT.findall(line))
    if len(found) > 1:
        found.discard("allowed")
    return found


def without_origin(line, origin):
    """The line without "origin: <the value>", so that what is left names
    the reason only."""
    return re.sub(r"(?i)origin\W{0,4}" + re.escape(origin), "", line)


# ---------------------------------------------------------------- debug log
def test_log_preflight_allowed(srv):
    o = uniq()
    r = srv.request("OPTIONS", "/o/f.txt", preflight_headers(o, "PUT", "x-foo"))
    assert_preflight_allowed(r, origin=o, methods="PUT", headers="X-Foo")
    assert verdicts(one_line(srv, o)) == {"preflight-allowed"}


PNA = [("Access-Control-Request-Private-Network", "true")]

# (id, Origin ({n}: a number no other request uses), method,
#  Access-Control-Request-Headers, extra fields, regular expressions the
#  line matches with the Origin value taken out, ones the line does not)
REFUSED_REASONS = [
    ("origin", "https://u{n}.other.example", "PUT", None, None,
     [r"(?i)origin"], []),
    ("malformed-origin", "https://U{n}.sub.example", "PUT", None, None,
     [r"(?i)malformed"], []),
    ("method", "https://u{n}.sub.example", "DELETE", None, None,
     [r"(?i)method", r"DELETE"], []),
    # names the header that failed, not the ones that passed
    ("header", "https://u{n}.sub.example", "PUT", "x-foo, X-Nope-Header", None,
     [r"(?i)header", r"(?i)x-nope-header"], [r"(?i)x-foo"]),
    ("private-network", "https://u{n}.sub.example", "PUT", None, PNA,
     [r"(?i)private network"], []),
]


@table("origin,method,req_headers,extra,says,not_says", REFUSED_REASONS)
def test_log_preflight_refused_reason(srv, origin, method, req_headers, extra,
                                      says, not_says):
    o = origin.format(n="%d-%d" % (next(_seq), int(time.time())))
    r = srv.request("OPTIONS", "/o/f.txt",
                    preflight_headers(o, method, req_headers, extra))
    assert_preflight_refused(r)
    line = one_line(srv, o)
    assert verdicts(line) == {"preflight-refused"}, line
    reason = without_origin(line, o)
    for pat in says:
        assert re.search(pat, reason), (pat, line)
    for pat in not_says:
        assert not re.search(pat, line), (pat, line)


def test_log_actual_allowed_and_disallowed(srv):
    o = uniq()
    r = srv.request("GET", "/o/f.txt", [("Origin", o)])
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") == o
    assert verdicts(one_line(srv, o)) == {"allowed"}
    o = "https://u%d.other.example" % next(_seq)
    r = srv.request("GET", "/o/f.txt", [("Origin", o)])
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") is None
    line = one_line(srv, o)
    assert verdicts(line) == {"disallowed"}, line
    assert "origin" in without_origin(line, o).lower(), line


def test_log_one_line_through_internal_redirect(srv):
    # ErrorDocument: the 404 is answered by an internal redirect, which is
    # still one CORS request (and one line, and one note)
    o = uniq()
    r = srv.request("GET", "/o/missing?ir", [("Origin", o)])
    assert r.status == 404 and r.body == b"o body\n", r
    assert r.header("Access-Control-Allow-Origin") == o, r
    assert verdicts(one_line(srv, o)) == {"allowed"}
    assert _note(srv, "/o/missing?ir") == "allowed"


def test_log_only_where_a_policy_is(srv):
    o = uniq()
    r = srv.request("GET", "/free/f.txt", [("Origin", o)])
    assert r.status == 200, r
    assert cors_lines_with(srv, o, expect=0) == []


# ---------------------------------------------------------------- access log
def _access_line(srv, path):
    """The access-log line of the one request for path (unique query)."""
    pat = re.compile(r"^.* %s HTTP/1\.1 \d{3} cors=\S*$" % re.escape(path),
                     re.M)
    wait_for(lambda: pat.search(srv.access_log()), timeout=3)
    lines = pat.findall(srv.access_log())
    assert len(lines) == 1, (path, lines, srv.access_log()[-2000:])
    return lines[0]


def _note(srv, path):
    return _access_line(srv, path).rsplit("cors=", 1)[1]


def _full_line(srv, path):
    pat = re.compile(r"^.* %s HTTP/1\.1 .*$" % re.escape(path), re.M)
    wait_for(lambda: pat.search(srv.access_log_full()), timeout=3)
    lines = pat.findall(srv.access_log_full())
    assert len(lines) == 1, (path, lines)
    return lines[0]


def test_access_log_notes(srv):
    n = next(_seq)
    cases = [
        ("OPTIONS", "/o/f.txt?pa%d" % n, preflight_headers(ORIGIN, "PUT"),
         204, "preflight-allowed"),
        ("OPTIONS", "/o/f.txt?pr%d" % n, preflight_headers(OTHER, "PUT"),
         403, "preflight-refused"),
        ("OPTIONS", "/o/f.txt?pm%d" % n, preflight_headers(ORIGIN, "PATCH"),
         403, "preflight-refused"),
        ("GET", "/o/f.txt?a%d" % n, [("Origin", ORIGIN)], 200, "allowed"),
        ("PUT", "/o/f.txt?pu%d" % n, [("Origin", ORIGIN)], 405, "allowed"),
        ("GET", "/o/f.txt?d%d" % n, [("Origin", OTHER)], 200, "disallowed"),
        ("GET", "/o/f.txt?m%d" % n, [("Origin", "null")], 200, "disallowed"),
        ("GET", "/o/f.txt?n%d" % n, [], 200, "-"),
        # OPTIONS without Origin, or without -Request-Method
        ("OPTIONS", "/o/f.txt?on%d" % n, preflight_headers(None, "PUT"),
         200, "-"),
        ("OPTIONS", "/o/f.txt?oa%d" % n, [("Origin", ORIGIN)], 200,
         "allowed"),
        # with Origin but outside any policy
        ("GET", "/free/f.txt?f%d" % n, [("Origin", ORIGIN)], 200, "-"),
        ("OPTIONS", "/free/f.txt?fp%d" % n, preflight_headers(ORIGIN, "PUT"),
         200, "-"),
    ]
    for method, path, hdrs, status, _ in cases:
        r = srv.request(method, path, hdrs,
                        body=b"x" if method == "PUT" else None)
        assert r.status == status, (method, path, r)
    for method, path, _, status, note in cases:
        line = _access_line(srv, path)
        assert line.startswith("%s %s HTTP/1.1 %d " % (method, path, status)), \
            line
        assert _note(srv, path) == note, (method, path, line)


def test_env_in_access_log(srv):
    n = next(_seq)
    for path, hdrs, env in (
            ("/o/f.txt?e%d" % n, [("Origin", ORIGIN)], "allowed"),
            ("/o/f.txt?ed%d" % n, [("Origin", OTHER)], "disallowed"),
            ("/o/f.txt?en%d" % n, [], "-")):
        srv.request("GET", path, hdrs)
        line = _full_line(srv, path)
        assert " env=%s " % env in line, line
    path = "/o/f.txt?ep%d" % n
    srv.request("OPTIONS", path, preflight_headers(ORIGIN, "PUT"))
    assert " env=preflight-allowed " in _full_line(srv, path)


# ---------------------------------------------------------------- CGI env
def test_cgi_sees_cors_verdict(srv):
    r = srv.request("GET", "/cgi-bin/env", [("Origin", ORIGIN)])
    assert r.status == 200, r
    assert r.body == b"CORS_VERDICT=allowed\n", r
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    r = srv.request("GET", "/cgi-bin/env", [("Origin", OTHER)])
    assert r.body == b"CORS_VERDICT=disallowed\n", r
    r = srv.request("POST", "/cgi-bin/env", [("Origin", "https://A.example")],
                    body=b"")
    assert r.body == b"CORS_VERDICT=disallowed\n", r
    r = srv.request("GET", "/cgi-bin/env")
    assert r.body == b"CORS_VERDICT unset\n", r
