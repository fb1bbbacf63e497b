# SPDX-License-Identifier: Apache-2.0
"""The cors-info handler (mod_cors_info.c) and the file:line of the debug
line.

``GET /cors-info?uri=...&origin=...&method=...&preflight=0|1&headers=...``
answers, for that URI as httpd resolves it (a subrequest lookup: .htaccess,
<If>, DirectoryIndex and per-directory RewriteRule included), the policy
with the file and line of every setting, and the verdict.  The verdict it
reports must be the ``%{cors}n`` note of the real request.
"""
import json
import re
import urllib.parse

import pytest

from cors_helpers import table, wait_for

A = "https://a.example"
B = "https://b.example"
C = "https://c.example"

CONF = """
<Location /cors-info>
    SetHandler cors-info
    Require ip 127.0.0.1
</Location>
<Location /api>
    CORSAllowOrigin %(a)s
    CORSAllowMethods PUT DELETE
    CORSAllowHeaders X-Token Content-Type
    CORSMaxAge 60
</Location>
<Location /if>
    CORSAllowOrigin %(a)s
    <If "%%{HTTP:Origin} == '%(b)s'">
        CORSAllowOrigin %(b)s
    </If>
</Location>
<Directory "{docroot}/d">
    CORSAllowOrigin %(a)s
    <Files "index.html">
        CORSAllowOrigin %(c)s
    </Files>
</Directory>
<Directory "{docroot}/rw">
    CORSAllowOrigin %(a)s
    RewriteEngine On
    RewriteRule ^old$ /t/new [L]
</Directory>
<Location /t>
    CORSAllowOrigin %(c)s
</Location>
<Location /cgi-bin>
    CORSAllowOrigin %(a)s
</Location>
<Location /e>
    CORSAllowOrigin %(a)s
    ErrorDocument 404 /errors/404.html
</Location>
<Location /errors>
    CORSAllowOrigin %(c)s
</Location>
<Location /ifinfo>
    <If "-n %%{QUERY_STRING}">
        SetHandler cors-info
    </If>
</Location>
Redirect /gone /api/x
""" % {"a": A, "b": B, "c": C}

FILES = {
    "api/x": "x\n",
    "if/x": "if\n",
    "d/index.html": "index\n",
    "rw/keep": "keep\n",
    "t/new": "new\n",
    "h/x": "h\n",
    "e/x": "e\n",
    "errors/404.html": "not here\n",
}
HTACCESS = {"h": "CORSAllowOrigin %s\nCORSAllowCredentials On\n" % B,
            "tools": "SetHandler cors-info\n"}


@pytest.fixture(scope="module")
def srv(httpd_module):
    return httpd_module(CONF, files=FILES, htaccess=HTACCESS,
                        cgi={"s": "echo 'Content-Type: text/plain'\necho\necho s\n"})


def q(**params):
    return "/cors-info?" + urllib.parse.urlencode(params)


def info(srv, send_headers=None, **params):
    r = srv.request("GET", q(**params), headers=send_headers)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/json"), r
    return json.loads(r.body)


def text(srv, send_headers=None, **params):
    r = srv.request("GET", q(**params), headers=send_headers)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/plain"), r
    return r.body.decode("ascii")


def conf_line(srv, needle, path=None):
    """"file:line" of the first line of the file (the generated config by
    default) that contains needle."""
    path = path or srv.conf_path
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return "%s:%d" % (path, n)
    raise AssertionError("%r not in %s" % (needle, path))


def setting(j, directive):
    return [s for s in j["policy"] if s["directive"] == directive][0]


# ------------------------------------------------------------------ answers
def test_policy_and_verdict_with_file_and_line(srv):
    j = info(srv, uri="/api/x", origin=A, method="PUT", headers="x-token")
    assert j["preflight"] is True  # PUT: a browser preflights
    assert j["request"]["method"] == "OPTIONS"
    assert j["request"]["access_control_request_method"] == "PUT"
    assert j["verdict"] == "preflight-allowed"
    assert j["note"] == "preflight-allowed"
    assert j["reason"] == "exact origin"
    where = conf_line(srv, "CORSAllowOrigin %s" % A)
    assert j["decided_by"] == {"directive": "CORSAllowOrigin", "where": where}
    assert j["fields"]["Access-Control-Allow-Origin"] == A
    assert j["fields"]["Access-Control-Allow-Methods"] == "PUT, DELETE"
    assert j["fields"]["Access-Control-Max-Age"] == "60"
    assert setting(j, "CORSAllowOrigin")["value"] == [A]
    assert setting(j, "CORSAllowMethods")["where"] == \
        conf_line(srv, "CORSAllowMethods PUT DELETE")
    assert setting(j, "CORSMaxAge")["where"] == conf_line(srv, "CORSMaxAge 60")
    assert setting(j, "CORSAllowCredentials")["default"] is True


def test_refusal_names_the_setting(srv):
    j = info(srv, uri="/api/x", origin=A, method="PATCH")
    assert j["verdict"] == "preflight-refused"
    assert j["reason"] == "method not allowed"
    assert j["detail"] == "PATCH"
    assert j["decided_by"]["directive"] == "CORSAllowMethods"
    j = info(srv, uri="/api/x", origin=A, method="GET", headers="x-other")
    assert j["preflight"] is True
    assert j["reason"] == "header not allowed"
    assert j["decided_by"]["directive"] == "CORSAllowHeaders"
    j = info(srv, uri="/api/x", origin=B)
    assert j["preflight"] is False
    assert j["verdict"] == "disallowed" and j["fields"] == {"Vary": "Origin"}


def test_preflight_parameter(srv):
    j = info(srv, uri="/api/x", origin=A, method="PUT", preflight="0")
    assert j["preflight"] is False and j["verdict"] == "allowed"
    j = info(srv, uri="/api/x", origin=A, preflight="1")
    assert j["preflight"] is True and j["verdict"] == "preflight-allowed"


def test_no_policy_and_no_origin(srv):
    j = info(srv, uri="/rw/keep")
    assert j["verdict"] == "not-cors" and j["note"] is None
    j = info(srv, uri="/other", origin=A)
    assert j["verdict"] == "none" and j["policy_active"] is False
    assert j["fields"] == {}


def test_htaccess(srv):
    j = info(srv, uri="/h/x", origin=B)
    assert j["verdict"] == "allowed"
    htaccess = srv.docroot + "/h/.htaccess"
    assert j["decided_by"]["where"] == htaccess + ":1"
    assert setting(j, "CORSAllowCredentials")["where"] == htaccess + ":2"
    assert j["fields"]["Access-Control-Allow-Credentials"] == "true"


def test_handler_set_in_htaccess_and_if(srv):
    for base in ("/tools/info", "/ifinfo"):
        r = srv.get(base + "?" + urllib.parse.urlencode(
            {"uri": "/api/x", "origin": A}))
        assert r.status == 200, r
        assert json.loads(r.body)["verdict"] == "allowed"


def test_if_sees_the_origin_parameter(srv):
    assert info(srv, uri="/if/x", origin=B)["verdict"] == "allowed"
    # the Origin of the cors-info request itself does not count
    j = info(srv, send_headers={"Origin": B}, uri="/if/x", origin=A)
    assert j["verdict"] == "allowed" and j["request"]["origin"] == A
    j = info(srv, send_headers={"Origin": B}, uri="/if/x", origin=C)
    assert j["verdict"] == "disallowed"


def test_directory_index_target_decides(srv):
    j = info(srv, uri="/d/", origin=C)
    assert j["verdict"] == "allowed"
    assert j["lookup"]["filename"].endswith("/d/index.html")
    assert info(srv, uri="/d/", origin=A)["verdict"] == "disallowed"
    # a preflight is answered before mod_dir: the directory's policy
    assert info(srv, uri="/d/", origin=A, preflight="1")["verdict"] == \
        "preflight-allowed"


def test_rewrite_target_decides(srv):
    j = info(srv, uri="/rw/old", origin=C)
    assert j["lookup"]["uris"] == ["/rw/old", "/t/new"]
    assert j["lookup"]["followed"] is True
    assert j["verdict"] == "allowed"
    path, line = conf_line(srv, "<Location /t>").rsplit(":", 1)
    assert j["decided_by"]["where"] == "%s:%d" % (path, int(line) + 1)
    assert info(srv, uri="/rw/old", origin=A)["verdict"] == "disallowed"
    # mod_cors answers a preflight before per-directory rewrites
    assert info(srv, uri="/rw/old", origin=A, preflight="1")["verdict"] == \
        "preflight-allowed"


def test_error_document_target_decides(srv):
    j = info(srv, uri="/e/missing", origin=C)
    assert j["lookup"]["uris"] == ["/e/missing", "/errors/404.html"]
    assert j["verdict"] == "allowed"
    assert any("ErrorDocument /errors/404.html" in n for n in j["notes"])
    assert info(srv, uri="/e/x", origin=C)["verdict"] == "disallowed"
    j = info(srv, uri="/api/missing", origin=A)
    assert j["verdict"] == "allowed"
    assert any("no such file" in n for n in j["notes"])


def test_could_not_follow_is_said(srv):
    j = info(srv, uri="/gone", origin=A)
    assert j["lookup"]["status"] == 302 and j["lookup"]["followed"] is False
    assert any("the lookup ended with status 302" in n for n in j["notes"])
    t = text(srv, uri="/gone", origin=A, format="text")
    assert "the lookup ended with status 302" in t
    j = info(srv, uri="/cgi-bin/s", origin=A)
    assert any("CGI script" in n for n in j["notes"])


# ------------------------------------------------------------------ forms
def test_text_form(srv):
    t = text(srv, uri="/api/x", origin=A, format="text")
    assert "verdict: allowed: exact origin" in t
    assert "decided by: CORSAllowOrigin at %s" % \
        conf_line(srv, "CORSAllowOrigin %s" % A) in t
    assert "Access-Control-Allow-Origin: %s" % A in t
    t = text(srv, send_headers={"Accept": "text/plain"}, uri="/api/x", origin=A)
    assert "verdict: allowed" in t
    t = text(srv, send_headers={"Accept": "application/json;q=0.5, text/*"},
             uri="/api/x", origin=A)
    assert "verdict: allowed" in t
    # a browser's */* and an explicit preference for JSON get JSON
    info(srv, send_headers={"Accept": "*/*"}, uri="/api/x", origin=A)
    info(srv, send_headers={"Accept": "application/json, text/plain;q=0.9"},
         uri="/api/x", origin=A)
    info(srv, send_headers={"Accept": "text/plain"}, uri="/api/x", origin=A,
         format="json")
    info(srv, send_headers={"Accept": "text/plain;q=0, text/html"},
         uri="/api/x", origin=A)


HOSTILE = "<script>&\"'\x01\x1b\n\r\t\\\x7f\xff"


def test_hostile_parameters_are_escaped(srv):
    params = {"uri": "/api/x?<a>&\"", "origin": HOSTILE, "method": "PUT",
              "headers": HOSTILE, "preflight": "1"}
    path = "/cors-info?" + urllib.parse.urlencode(params, encoding="latin-1")
    for form, extra in (("json", ""), ("text", "&format=text")):
        r = srv.request("GET", path + extra)
        assert r.status == 200, r
        body = r.body
        for bad in (b"<", b">", b"&", b"\x01", b"\x1b", b"\r", b"\t", b"\x7f",
                    b"\xff", b"'"):
            assert bad not in body, (form, bad, body)
        if form == "json":
            j = json.loads(body)
            assert j["request"]["origin"] == HOSTILE
            assert j["request"]["access_control_request_headers"] == HOSTILE
            assert j["uri"] == params["uri"]
            assert j["verdict"] == "preflight-refused"
            assert j["reason"] == "malformed Origin"
            assert "\\u0022" in body.decode() and "\\u003c" in body.decode()
        else:
            assert b'"' not in body
            assert b"\\x3cscript\\x3e" in body
        assert not re.search(rb"[\x00-\x09\x0b-\x1f]", body)


def test_only_get_and_head(srv):
    for m in ("POST", "PUT", "DELETE", "OPTIONS"):
        r = srv.request(m, q(uri="/api/x"), body=b"x" if m != "OPTIONS" else None)
        assert r.status == 405, r
        assert r.header("Allow") == "GET, HEAD"
    r = srv.request("HEAD", q(uri="/api/x", origin=A))
    assert r.status == 200 and r.body == b""


@table("params", [
    ("long-origin", {"uri": "/api/x", "origin": "https://" + "a" * 2050}),
    ("long-uri", {"uri": "/" + "a" * 2048}),
    ("long-headers", {"uri": "/api/x", "origin": A, "headers": "x," * 1100}),
    ("no-uri", {"origin": A}),
    ("relative-uri", {"uri": "api/x"}),
    ("unknown", {"uri": "/api/x", "foo": "1"}),
    ("twice", [("uri", "/api/x"), ("uri", "/x")]),
    ("bad-method", {"uri": "/api/x", "method": "P T"}),
    ("bad-format", {"uri": "/api/x", "format": "html"}),
    ("bad-escape", "uri=%zz"),
    ("nul", "uri=/api%00x"),
])
def test_bad_parameters_400(srv, params):
    query = params if isinstance(params, str) else urllib.parse.urlencode(params)
    r = srv.request("GET", "/cors-info?" + query)
    assert r.status == 400, r
    assert "error" in json.loads(r.body)
    r = srv.request("GET", "/cors-info?" + query,
                    headers={"Accept": "text/plain"})
    assert r.status == 400 and r.body.startswith(b"cors-info: "), r


def test_2048_bytes_are_enough(srv):
    j = info(srv, uri="/api/x", origin="https://" + "a" * 2040)
    assert j["verdict"] == "disallowed"


# ----------------------------------------------------- agreement with httpd
AGREE = [
    ("get-allowed", "/api/x", A, "GET", 0, None),
    ("get-other", "/api/x", B, "GET", 0, None),
    ("get-no-origin", "/api/x", None, "GET", 0, None),
    ("put-actual", "/api/x", A, "PUT", 0, None),
    ("pf-put", "/api/x", A, "PUT", 1, "x-token"),
    ("pf-patch", "/api/x", A, "PATCH", 1, None),
    ("pf-header", "/api/x", A, "GET", 1, "x-nope"),
    ("pf-other", "/api/x", B, "DELETE", 1, None),
    ("htaccess", "/h/x", B, "GET", 0, None),
    ("htaccess-a", "/h/x", A, "GET", 0, None),
    ("if-b", "/if/x", B, "GET", 0, None),
    ("if-c", "/if/x", C, "GET", 0, None),
    ("if-pf-b", "/if/x", B, "PUT", 1, None),
    ("dir-index-c", "/d/", C, "GET", 0, None),
    ("dir-index-a", "/d/", A, "GET", 0, None),
    ("dir-index-pf-a", "/d/", A, "GET", 1, None),
    ("dir-index-pf-c", "/d/", C, "GET", 1, None),
    ("rewrite-c", "/rw/old", C, "GET", 0, None),
    ("rewrite-a", "/rw/old", A, "GET", 0, None),
    ("rewrite-pf-a", "/rw/old", A, "GET", 1, None),
    ("no-policy", "/free", A, "GET", 0, None),
    ("errdoc-c", "/e/missing", C, "GET", 0, None),
    ("errdoc-a", "/e/missing", A, "GET", 0, None),
    ("errdoc-present-a", "/e/x", A, "GET", 0, None),
    ("errdoc-pf-a", "/e/missing", A, "PUT", 1, None),
    ("missing-a", "/api/missing", A, "GET", 0, None),
    ("redirect-a", "/gone", A, "GET", 0, None),
]


def test_agrees_with_real_requests(srv):
    mismatches = []
    for n, (name, uri, origin, method, pf, hdrs) in enumerate(AGREE):
        params = {"uri": uri, "method": method, "preflight": str(pf)}
        if origin:
            params["origin"] = origin
        if hdrs:
            params["headers"] = hdrs
        j = info(srv, **params)
        headers = {}
        if origin:
            headers["Origin"] = origin
        real_method = method
        if pf:
            real_method = "OPTIONS"
            headers["Access-Control-Request-Method"] = method
            if hdrs:
                headers["Access-Control-Request-Headers"] = hdrs
        marker = "%s?agree=%d" % (uri, n)
        srv.request(real_method, marker, headers=headers)
        line_re = re.compile(r"^%s %s HTTP/1.1 \d+ cors=(\S+)$" % (
            re.escape(real_method), re.escape(marker)), re.M)
        assert wait_for(lambda: line_re.search(srv.access_log())), marker
        real = line_re.search(srv.access_log()).group(1)
        reported = j["note"] or "-"
        if real != reported:
            mismatches.append((name, reported, real))
    assert not mismatches, mismatches


# ------------------------------------------------------------ the debug line
def test_debug_line_names_file_and_line(srv):
    srv.get("/api/x?debugline=1", origin=A)
    where = conf_line(srv, "CORSAllowOrigin %s" % A)
    pat = re.compile(r"AH99001: GET /api/x allowed: origin '%s': exact origin "
                     r"\(%s\)" % (re.escape(A), re.escape(where)))
    assert wait_for(lambda: pat.search(srv.error_log())), srv.error_log()[-2000:]
    srv.get("/h/x?debugline=2", origin=C)
    pat = re.compile(r"AH99001: GET /h/x disallowed: origin '%s': origin not "
                     r"allowed \(%s:1\)" % (re.escape(C),
                                          re.escape(srv.docroot + "/h/.htaccess")))
    assert wait_for(lambda: pat.search(srv.error_log())), srv.error_log()[-2000:]
