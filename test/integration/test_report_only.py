# SPDX-License-Identifier: Apache-2.0
"""CORSEngine ReportOnly: the module decides and publishes the verdict (the
note cors, CORS_VERDICT), but changes no field, answers no preflight and
bypasses no authentication; the note cors-report compares the
Access-Control-* fields that went out with those the policy would send.

Tables: REPORTS (request, what went out untouched, the notes)."""
import os
import re

import pytest

from cors_helpers import (CGI, CGI_OWN_CORS, ORIGIN, OTHER,
                          assert_preflight_allowed, cgi_script, make_htpasswd,
                          preflight, read_lines, recorder_cgi, send, table,
                          untouched, wait_for)

USER, PASSWORD = "alice", "s3cret"

POLICY = """    CORSAllowOrigin %s
    CORSAllowMethods PUT
    CORSAllowHeaders X-Foo
""" % ORIGIN

CONF = """
LogFormat "%%r %%>s cors=%%{cors}n report=%%{cors-report}n env=%%{CORS_VERDICT}e" report
CustomLog "{root}/logs/report.log" report
ScriptAlias /ro/cgi/ "{cgibin}/"
ScriptAlias /ro/auth/cgi/ "{cgibin}/"
ScriptAlias /on/cgi/ "{cgibin}/"
ProxyPass /ro/proxy/ @BACKEND@/
<Location /ro/>
    CORSEngine ReportOnly
%(policy)s</Location>
<Location /ro/hdr/>
    Header always set Access-Control-Allow-Origin "%(origin)s"
    Header always set Access-Control-Allow-Methods "PUT"
    Header always set Access-Control-Allow-Headers "x-foo"
</Location>
<Location /ro/auth/>
    AuthType Basic
    AuthName "ro"
    AuthUserFile "%(htpasswd)s"
    Require valid-user
</Location>
<Location /ro/on/>
    CORSEngine On
</Location>
<Location /ro/ws/>
    CORSWebSocketOrigin On
</Location>
<Location /on/>
%(policy)s</Location>
"""

# A script that answers exactly what the policy would for an allowed GET.
SAME_CGI = cgi_script(["Content-Type: text/plain",
                       "Access-Control-Allow-Origin: %s" % ORIGIN])
# ... and one that spells a list differently.
PREFLIGHT_CGI = cgi_script(["Content-Type: text/plain",
                            "Access-Control-Allow-Origin: %s" % ORIGIN,
                            "Access-Control-Allow-Methods: PUT",
                            "Access-Control-Allow-Headers: X-FOO , "])


@pytest.fixture(scope="module")
def srv(httpd_module, scratch_dir, backend):
    pw = os.path.join(scratch_dir, "htpasswd")
    make_htpasswd(pw, USER, PASSWORD)
    conf = CONF % {"policy": POLICY, "origin": ORIGIN, "htpasswd": pw}
    conf = conf.replace("@BACKEND@", backend.url)
    s = httpd_module(
        conf,
        files={"ro/f.txt": "ro body\n", "ro/hdr/f.txt": "hdr body\n",
               "ro/auth/f.txt": "secret\n", "ro/on/f.txt": "on body\n",
               "ro/ws/f.txt": "ws body\n"},
        cgi={"acao": CGI["acao"], "same": SAME_CGI, "pre": PREFLIGHT_CGI,
             "rec": recorder_cgi(os.path.join(scratch_dir, "runs"))})
    s.scratch = scratch_dir
    return s


def report_line(srv, method, path):
    """The report.log line of the last request "method path"."""
    pat = re.compile(r"^%s %s HTTP/1\.1 .*$" % (method, re.escape(path)), re.M)
    text = wait_for(lambda: pat.findall(srv._read("report.log")))
    assert text, srv._read("report.log")[-2000:]
    return text[-1]


OWN = {k: v for k, v in CGI_OWN_CORS.items()}
BACKEND = {"Access-Control-Allow-Origin": "*",
           "Access-Control-Allow-Credentials": "true"}

# (id, request, origin, status, fields that went out untouched, cors note,
#  cors-report note)
REPORTS = [
    ("cgi-own-fields", "/ro/cgi/acao", ORIGIN, 200, OWN, "allowed",
     "differs: Access-Control-Allow-Origin"),
    ("cgi-own-fields-disallowed", "/ro/cgi/acao", OTHER, 200, OWN, "disallowed",
     "differs: Access-Control-Allow-Origin"),
    ("cgi-same", "/ro/cgi/same", ORIGIN, 200,
     {"Access-Control-Allow-Origin": ORIGIN}, "allowed", "same"),
    ("cgi-same-other-origin", "/ro/cgi/same", OTHER, 200,
     {"Access-Control-Allow-Origin": ORIGIN}, "disallowed",
     "differs: Access-Control-Allow-Origin"),
    ("cgi-error-status", "/ro/cgi/acao?500", ORIGIN, 500, OWN, "allowed",
     "differs: Access-Control-Allow-Origin"),
    ("proxy", "/ro/proxy/x", ORIGIN, 200, BACKEND, "allowed",
     "differs: Access-Control-Allow-Origin"),
    ("proxy-404", "/ro/proxy/status/404", ORIGIN, 404, BACKEND, "allowed",
     "differs: Access-Control-Allow-Origin"),
    ("static-nothing", "/ro/f.txt", ORIGIN, 200, {}, "allowed",
     "differs: Access-Control-Allow-Origin"),
    ("static-nothing-disallowed", "/ro/f.txt", OTHER, 200, {}, "disallowed",
     "same"),
    ("mod-headers-same", "/ro/hdr/f.txt", ORIGIN, 200,
     {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "PUT",
      "Access-Control-Allow-Headers": "x-foo"}, "allowed",
     "differs: Access-Control-Allow-Methods"),
    ("mod-headers-missing", "/ro/hdr/nothere", ORIGIN, 404,
     {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "PUT",
      "Access-Control-Allow-Headers": "x-foo"}, "allowed",
     "differs: Access-Control-Allow-Methods"),
]


@table("path, origin, status, fields, verdict, report", REPORTS)
def test_report_only_actual(srv, path, origin, status, fields, verdict, report):
    r = send(srv, path, origin)
    assert r.status == status, r
    untouched(r, fields)
    line = report_line(srv, "GET", path)
    assert "cors=%s " % verdict in line, line
    assert "report=%s env=" % report in line, line
    assert "env=%s" % verdict in line, line


def test_report_only_no_origin(srv):
    # no Origin: not CORS, no verdict; the policy lists origins, so it
    # would send nothing: the script's own fields differ
    r = send(srv, "/ro/cgi/acao")
    assert r.status == 200, r
    untouched(r, OWN)
    line = report_line(srv, "GET", "/ro/cgi/acao")
    assert "cors=- " in line and "report=differs: Access-Control-" in line, line


def test_report_only_preflight_reaches_the_handler(srv):
    runs = os.path.join(srv.scratch, "runs")
    before = len(read_lines(runs))
    r = preflight(srv, "/ro/cgi/rec", ORIGIN, "PUT", "x-foo")
    assert r.status == 200 and r.body == b"cgi ran\n", r
    assert r.header("X-Cgi") == "yes", r
    untouched(r)
    assert wait_for(lambda: len(read_lines(runs)) == before + 1)
    assert read_lines(runs)[-1] == "OPTIONS /ro/cgi/rec"
    line = report_line(srv, "OPTIONS", "/ro/cgi/rec")
    assert "cors=preflight-allowed " in line, line
    assert "report=differs: Access-Control-Allow-Origin" in line, line


def test_report_only_preflight_answered_by_script_like_the_policy(srv):
    # a list compared as a set of names: "X-FOO , " is "X-Foo"
    r = preflight(srv, "/ro/cgi/pre", ORIGIN, "PUT", "x-foo")
    assert r.status == 200, r
    assert r.header("Access-Control-Allow-Headers").startswith("X-FOO"), r
    line = report_line(srv, "OPTIONS", "/ro/cgi/pre")
    assert "cors=preflight-allowed report=same " in line, line


def test_report_only_refused_preflight_reaches_the_handler(srv):
    r = preflight(srv, "/ro/cgi/pre", ORIGIN, "DELETE")
    assert r.status == 200, r
    assert r.header("Access-Control-Allow-Methods") == "PUT", r
    line = report_line(srv, "OPTIONS", "/ro/cgi/pre")
    assert "cors=preflight-refused report=differs: Access-Control-Allow-Origin" in line, line


def test_report_only_no_auth_bypass(srv):
    # an allowed preflight behind Basic auth: 401, as without mod_cors
    r = preflight(srv, "/ro/auth/f.txt", ORIGIN, "PUT", "x-foo")
    assert r.status == 401, r
    untouched(r)
    line = report_line(srv, "OPTIONS", "/ro/auth/f.txt")
    assert "cors=preflight-allowed " in line, line
    assert "report=differs: Access-Control-Allow-Origin" in line, line
    runs = os.path.join(srv.scratch, "runs")
    before = len(read_lines(runs))
    r = preflight(srv, "/ro/auth/cgi/rec", ORIGIN, "PUT")
    assert r.status == 401, r
    untouched(r)
    assert len(read_lines(runs)) == before, "the handler ran without credentials"


def test_report_only_merges_like_on_off(srv):
    # a nested CORSEngine On enforces the inherited policy
    r = preflight(srv, "/ro/on/f.txt", ORIGIN, "PUT", "x-foo")
    assert_preflight_allowed(r, "PUT", headers="X-Foo")
    line = report_line(srv, "OPTIONS", "/ro/on/f.txt")
    assert "report=- " in line, line


def test_enforced_scope_has_no_report(srv):
    r = send(srv, "/on/cgi/acao", ORIGIN)
    assert r.header("Access-Control-Allow-Origin") == ORIGIN, r
    assert r.header("Access-Control-Max-Age") is None, r
    line = report_line(srv, "GET", "/on/cgi/acao")
    assert "cors=allowed report=- " in line, line


def test_report_only_refuses_no_websocket(srv):
    # CORSWebSocketOrigin On would answer 403; under ReportOnly the
    # handshake goes on (here to a static file), with its verdict logged
    r = send(srv, ("GET", "/ro/ws/f.txt", {"Upgrade": "websocket",
                                           "Connection": "Upgrade"}), OTHER)
    assert r.status == 200 and r.body == b"ws body\n", r
    untouched(r)
    line = report_line(srv, "GET", "/ro/ws/f.txt")
    assert "cors=disallowed report=same " in line, line
