# SPDX-License-Identifier: Apache-2.0
"""Ordered rules (<CORSRule> sections) against a real httpd: the first rule
that applies decides, scope settings are the rules' defaults, a child scope
overrides a setting in every inherited rule or replaces the rules, and a
rule lists the methods it allows - nothing more, as on S3.

One server (module scope) with one <Location> per case.  Expected values
follow the manual (docs/mod_cors.md, "Rules")."""
import concurrent.futures
import json

import pytest

from conftest import configtest
from cors_helpers import (ACAO, check_preflight, granted, not_granted,
                          preflight, send, table)

APP = "https://app.example"
PARTNER = "https://partner.example"
ANYONE = "https://anyone.example"

CONF = r"""
<Location /cors-info>
    SetHandler cors-info
</Location>
<Location /bucket>
    CORSMaxAge 600
    <CORSRule app>
        CORSAllowOrigin https://app.example
        CORSAllowMethods GET PUT DELETE
        CORSAllowHeaders Content-Type Authorization
        CORSAllowCredentials On
        CORSExposeHeaders ETag
    </CORSRule>
    <CORSRule public>
        CORSAllowOrigin *
        CORSAllowMethods GET HEAD
    </CORSRule>
</Location>
<Location /bucket/short>
    CORSMaxAge 60
</Location>
<Location /bucket/private>
    CORSAllowCredentials Off
</Location>
<Location /bucket/replaced>
    CORSAllowOrigin https://partner.example
</Location>
<Location /bucket/off>
    CORSEngine Off
</Location>
<Location /shadow>
    <CORSRule public>
        CORSAllowOrigin *
        CORSAllowMethods GET
    </CORSRule>
    <CORSRule app>
        CORSAllowOrigin https://app.example
        CORSAllowMethods GET PUT
        CORSAllowCredentials On
    </CORSRule>
</Location>
<Location /ordered>
    <CORSRule app>
        CORSAllowOrigin https://app.example
        CORSAllowMethods GET PUT
        CORSAllowCredentials On
    </CORSRule>
    <CORSRule public>
        CORSAllowOrigin *
        CORSAllowMethods GET
    </CORSRule>
</Location>
<Location /partners>
    CORSAllowMethods GET
    <CORSRule partner>
        CORSAllowOrigin https://partner.example https://*.partner.example
    </CORSRule>
    <CORSRule app>
        CORSAllowOrigin https://app.example
        CORSAllowMethods GET POST PUT
    </CORSRule>
</Location>
<Location /putonly>
    <CORSRule>
        CORSAllowOrigin https://app.example
        CORSAllowMethods PUT
    </CORSRule>
</Location>
<Location /patterns>
    <CORSRule>
        CORSAllowOrigin https://app.example
        CORSAllowHeaders X-Amz-* Content-Type
    </CORSRule>
</Location>
<Location /allstar>
    <CORSRule reads>
        CORSAllowOrigin *
        CORSAllowMethods GET
        CORSExposeHeaders X-Total
    </CORSRule>
    <CORSRule writes>
        CORSAllowOrigin *
        CORSAllowMethods PUT
    </CORSRule>
</Location>
<Location /regex>
    <CORSRule tenants>
        CORSAllowOriginMatch ^https://[a-z]+\.tenant\.example$
        CORSAllowMethods GET PATCH
    </CORSRule>
</Location>
"""

PATHS = ["bucket", "bucket/short", "bucket/private", "bucket/replaced",
         "bucket/off", "shadow", "ordered", "partners", "putonly", "patterns",
         "allstar", "regex", "ht"]


@pytest.fixture(scope="module")
def srv(httpd_module):
    files = {p + "/f.txt": "body\n" for p in PATHS}
    return httpd_module(CONF, files=files, htaccess={"ht": """
CORSMaxAge 30
<CORSRule ht-app>
    CORSAllowOrigin https://app.example
    CORSAllowMethods GET DELETE
    CORSAllowCredentials On
</CORSRule>
<CORSRule ht-public>
    CORSAllowOrigin *
</CORSRule>
"""})


# (id, path, origin, method, request headers, expected: keyword arguments of
#  assert_preflight_allowed, or None for refused)
PREFLIGHTS = [
    ("app-put", "/bucket/f.txt", APP, "PUT", "content-type",
     dict(methods="GET, PUT, DELETE", headers="Content-Type, Authorization",
          credentials=True, max_age=600)),
    ("app-delete-auth", "/bucket/f.txt", APP, "DELETE", "authorization",
     dict(methods="GET, PUT, DELETE", headers="Content-Type, Authorization",
          credentials=True, max_age=600)),
    # the app's rule does not list POST; the public one neither
    ("app-post-refused", "/bucket/f.txt", APP, "POST", None, None),
    # the app's rule refuses the header; the public one allows no header
    ("app-header-refused", "/bucket/f.txt", APP, "PUT", "x-other", None),
    ("public-get", "/bucket/f.txt", ANYONE, "GET", None,
     dict(origin="*", methods="GET, HEAD", max_age=600)),
    ("public-put-refused", "/bucket/f.txt", ANYONE, "PUT", None, None),
    # a GET from the app is the app's rule's: credentials
    ("app-get", "/bucket/f.txt", APP, "GET", None,
     dict(methods="GET, PUT, DELETE", credentials=True, max_age=600)),
    # a child's setting overrides every inherited rule's
    ("child-max-age", "/bucket/short/f.txt", APP, "PUT", None,
     dict(methods="GET, PUT, DELETE", credentials=True, max_age=60)),
    ("child-credentials", "/bucket/private/f.txt", APP, "PUT", None,
     dict(methods="GET, PUT, DELETE", max_age=600)),
    # a child's origins replace the rules
    ("replaced-app", "/bucket/replaced/f.txt", APP, "GET", None, None),
    ("replaced-partner", "/bucket/replaced/f.txt", PARTNER, "PUT", None, None),
    ("replaced-partner-get", "/bucket/replaced/f.txt", PARTNER, "GET", None,
     dict(origin=PARTNER, methods="GET, HEAD, POST", max_age=600)),
    # the trap: "*" first answers the app's GET without credentials...
    ("shadow-get", "/shadow/f.txt", APP, "GET", None,
     dict(origin="*", methods="GET")),
    # ...while a PUT passes the public rule by and reaches the app's
    ("shadow-put", "/shadow/f.txt", APP, "PUT", None,
     dict(methods="GET, PUT", credentials=True)),
    ("ordered-get", "/ordered/f.txt", APP, "GET", None,
     dict(methods="GET, PUT", credentials=True)),
    # scope defaults: methods GET for the partner rule
    ("partner-get", "/partners/f.txt", PARTNER, "GET", None,
     dict(origin=PARTNER, methods="GET")),
    ("partner-sub-get", "/partners/f.txt", "https://eu.partner.example",
     "GET", None, dict(origin="https://eu.partner.example", methods="GET")),
    ("partner-post-refused", "/partners/f.txt", PARTNER, "POST", None, None),
    ("app-post", "/partners/f.txt", APP, "POST", None,
     dict(methods="GET, POST, PUT")),
    # no method is implied beyond those a rule lists
    ("putonly-get-refused", "/putonly/f.txt", APP, "GET", None, None),
    ("putonly-put", "/putonly/f.txt", APP, "PUT", None, dict(methods="PUT")),
    ("putonly-other", "/putonly/f.txt", ANYONE, "PUT", None, None),
    # name patterns: answered with the requested names
    ("pattern", "/patterns/f.txt", APP, "GET", "x-amz-date,X-Amz-Meta-A",
     dict(methods="GET, HEAD, POST", headers="x-amz-date, x-amz-meta-a")),
    ("pattern-and-name", "/patterns/f.txt", APP, "POST",
     "content-type,x-amz-acl",
     dict(methods="GET, HEAD, POST", headers="content-type, x-amz-acl")),
    ("pattern-no-authorization", "/patterns/f.txt", APP, "GET",
     "authorization", None),
    ("pattern-miss", "/patterns/f.txt", APP, "GET", "x-am", None),
    ("pattern-prefix-only", "/patterns/f.txt", APP, "GET", "x-amz-", dict(
        methods="GET, HEAD, POST", headers="x-amz-")),
    ("allstar-put", "/allstar/f.txt", ANYONE, "PUT", None,
     dict(origin="*", methods="PUT")),
    ("regex", "/regex/f.txt", "https://abc.tenant.example", "PATCH", None,
     dict(origin="https://abc.tenant.example", methods="GET, PATCH")),
    ("regex-miss", "/regex/f.txt", "https://a.b.tenant.example", "PATCH",
     None, None),
    ("htaccess-app", "/ht/f.txt", APP, "DELETE", None,
     dict(methods="GET, DELETE", credentials=True, max_age=30)),
    ("htaccess-public", "/ht/f.txt", ANYONE, "POST", None,
     dict(origin="*", methods="GET, HEAD, POST", max_age=30)),
    ("htaccess-public-delete", "/ht/f.txt", ANYONE, "DELETE", None, None),
]


@table("path,origin,method,req_headers,want", PREFLIGHTS)
def test_preflight(srv, path, origin, method, req_headers, want):
    check_preflight(srv, path, origin, method, req_headers, want)


# (id, path, method, origin, expected Access-Control-Allow-Origin or None,
#  credentials, Vary names Origin)
ACTUAL = [
    ("app-get", "/bucket/f.txt", "GET", APP, APP, True, True),
    ("app-put", "/bucket/f.txt", "PUT", APP, APP, True, True),
    ("app-post", "/bucket/f.txt", "POST", APP, None, False, True),
    # "*" in a scope whose other rule echoes origins: still Vary: Origin
    ("public-get", "/bucket/f.txt", "GET", ANYONE, "*", False, True),
    ("public-head", "/bucket/f.txt", "HEAD", ANYONE, "*", False, True),
    ("public-put", "/bucket/f.txt", "PUT", ANYONE, None, False, True),
    ("shadow-get", "/shadow/f.txt", "GET", APP, "*", False, True),
    ("shadow-put", "/shadow/f.txt", "PUT", APP, APP, True, True),
    ("ordered-get", "/ordered/f.txt", "GET", APP, APP, True, True),
    ("putonly-get", "/putonly/f.txt", "GET", APP, None, False, True),
    ("putonly-put", "/putonly/f.txt", "PUT", APP, APP, False, True),
    ("partner-post", "/partners/f.txt", "POST", PARTNER, None, False, True),
    ("partner-get", "/partners/f.txt", "GET", PARTNER, PARTNER, False, True),
    ("allstar-get", "/allstar/f.txt", "GET", ANYONE, "*", False, False),
    ("allstar-post", "/allstar/f.txt", "POST", ANYONE, None, False, False),
    ("off", "/bucket/off/f.txt", "GET", APP, None, False, False),
    ("malformed", "/bucket/f.txt", "GET", "https://APP.example", "*", False,
     True),
    ("htaccess-app", "/ht/f.txt", "DELETE", APP, APP, True, True),
    ("htaccess-public", "/ht/f.txt", "GET", ANYONE, "*", False, True),
]


@table("path,method,origin,acao,credentials,vary", ACTUAL)
def test_actual(srv, path, method, origin, acao, credentials, vary):
    r = send(srv, (method, path), origin)
    assert r.status in (200, 405), r
    if acao is None:
        not_granted(r, vary=vary)
    else:
        granted(r, acao, credentials=credentials, vary=vary)
    if not vary:
        assert "origin" not in r.vary(), r


def test_expose_per_rule(srv):
    r = send(srv, "/bucket/f.txt", APP)
    assert r.header("Access-Control-Expose-Headers") == "ETag", r
    r = send(srv, "/bucket/f.txt", ANYONE)
    assert r.header("Access-Control-Expose-Headers") is None, r
    r = send(srv, "/allstar/f.txt", ANYONE)
    assert r.header("Access-Control-Expose-Headers") == "X-Total", r


def test_no_origin(srv):
    # Rules that echo an origin: the answer depends on Origin.
    r = srv.request("GET", "/bucket/f.txt")
    not_granted(r, vary=True)
    # Every rule "*": the first that lists the method answers "*" to all.
    r = srv.request("GET", "/allstar/f.txt")
    assert r.header(ACAO) == "*", r
    assert r.header("Access-Control-Expose-Headers") == "X-Total", r
    r = srv.request("POST", "/allstar/f.txt")
    assert r.header(ACAO) is None, r


def test_note_names_the_rule(srv):
    send(srv, "/bucket/f.txt", APP)
    send(srv, "/bucket/f.txt", ANYONE)
    preflight(srv, "/bucket/f.txt", ANYONE, "PUT")
    preflight(srv, "/partners/f.txt", "https://nobody.example", "GET")
    log = [l for l in srv.access_log().splitlines()
           if "/bucket/f.txt" in l or "/partners/f.txt" in l]
    assert log[-4].endswith("cors=allowed rule=app"), log
    assert log[-3].endswith("cors=allowed rule=public"), log
    # refused: the first rule whose origins matched
    assert log[-2].endswith("cors=preflight-refused rule=public"), log
    # no rule's origins matched: no rule named
    assert log[-1].endswith("cors=preflight-refused"), log
    err = srv.error_log()
    assert "rule app" in err and "rule public" in err, err


def test_unnamed_rule_named_by_place(srv):
    preflight(srv, "/putonly/f.txt", APP, "PUT")
    line = [l for l in srv.access_log().splitlines() if "/putonly/" in l][-1]
    assert "cors=preflight-allowed rule=" in line and ".conf:" in line, line


# (id, configuration, what the message must say)
BAD = [
    ("no-origin", "<CORSRule x>\n CORSAllowMethods GET\n</CORSRule>",
     "needs at least one origin"),
    ("origin-then-rule",
     "CORSAllowOrigin https://a.example\n<CORSRule>\n"
     " CORSAllowOrigin https://b.example\n</CORSRule>",
     "inside a <CORSRule>"),
    ("rule-then-origin",
     "<CORSRule>\n CORSAllowOrigin https://b.example\n</CORSRule>\n"
     "CORSAllowOrigin https://a.example", "inside a <CORSRule>"),
    ("rule-then-match",
     "<CORSRule>\n CORSAllowOrigin https://b.example\n</CORSRule>\n"
     "CORSAllowOriginMatch ^https://a$", "inside a <CORSRule>"),
    ("engine-inside",
     "<CORSRule>\n CORSAllowOrigin https://b.example\n CORSEngine Off\n"
     "</CORSRule>", "CORSEngine"),
    ("foreign-inside",
     "<CORSRule>\n CORSAllowOrigin https://b.example\n Header set X-A 1\n"
     "</CORSRule>", "Header"),
    ("nested",
     "<CORSRule a>\n CORSAllowOrigin https://b.example\n <CORSRule b>\n"
     "  CORSAllowOrigin https://c.example\n </CORSRule>\n</CORSRule>",
     "nested"),
    ("star-credentials",
     "<CORSRule>\n CORSAllowOrigin *\n CORSAllowCredentials On\n</CORSRule>",
     "credentials"),
    ("two-names", "<CORSRule a b>\n CORSAllowOrigin https://b.example\n"
     "</CORSRule>", "one name"),
    ("bad-value-inside",
     "<CORSRule>\n CORSAllowOrigin https://b.example/\n</CORSRule>",
     "https://b.example/"),
    ("two-stars", "<CORSRule>\n CORSAllowOrigin https://b.example\n"
     " CORSAllowHeaders X-*-*\n</CORSRule>", "one '*'"),
]

GOOD = [
    ("defaults", "CORSMaxAge 5\nCORSAllowMethods GET\n<CORSRule a>\n"
     " CORSAllowOrigin https://a.example\n</CORSRule>\n"
     "CORSAllowHeaders X-A"),
    ("sections",
     "<Directory \"{docroot}/x\">\n <CORSRule>\n  CORSAllowOrigin *\n"
     " </CORSRule>\n</Directory>\n<Files \"*.json\">\n <CORSRule>\n"
     "  CORSAllowOrigin https://a.example\n </CORSRule>\n</Files>\n"
     "<If \"%{QUERY_STRING} == 'x'\">\n <CORSRule>\n"
     "  CORSAllowOrigin https://a.example\n </CORSRule>\n</If>\n"
     "<VirtualHost 127.0.0.1:{port}>\n <CORSRule>\n"
     "  CORSAllowOrigin https://a.example\n </CORSRule>\n</VirtualHost>"),
    ("star-rule-credentials-elsewhere",
     "<CORSRule>\n CORSAllowOrigin https://a.example\n"
     " CORSAllowCredentials On\n</CORSRule>\n<CORSRule>\n"
     " CORSAllowOrigin *\n</CORSRule>"),
    ("header-pattern", "CORSAllowOrigin https://a.example\n"
     "CORSAllowHeaders X-Amz-* *-Token"),
]


def _run(rows):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        return dict(zip([r[1] for r in rows],
                        ex.map(lambda row: configtest(row[1]), rows)))


@pytest.fixture(scope="module")
def bad_results():
    return _run(BAD)


@pytest.fixture(scope="module")
def good_results():
    return _run(GOOD)


@table("conf,says", BAD)
def test_bad_config_refused(bad_results, conf, says):
    rc, out = bad_results[conf]
    assert rc != 0, "accepted: %r\n%s" % (conf, out)
    assert says in out, "%r not said in:\n%s" % (says, out)
    assert ".conf" in out and "line" in out, out


@table("conf", GOOD)
def test_good_config_accepted(good_results, conf):
    rc, out = good_results[conf]
    assert rc == 0, "refused: %r\n%s" % (conf, out)


def test_cors_info_names_the_rule(srv):
    r = srv.request("GET", "/cors-info?uri=/bucket/f.txt&origin=%s&method=PUT"
                    % APP)
    info = json.loads(r.body)
    assert info["verdict"] == "preflight-allowed", info
    assert info["rule"] == "app", info
    assert info["note"] == "preflight-allowed rule=app", info
    names = [rule["name"] for rule in info["rules"]]
    assert names == ["app", "public"], info
    public = {s["directive"]: s for s in info["rules"][1]["settings"]}
    # the scope's CORSMaxAge, as the rule's default
    assert public["CORSMaxAge"]["value"] == "600", public
    assert public["CORSAllowOrigin"]["value"] == ["*"], public
    r = srv.request("GET", "/cors-info?uri=/bucket/f.txt&origin=%s&format=text"
                    % ANYONE)
    text = r.body.decode()
    assert "rule: public" in text and "rule 2: public" in text, text


def test_rules_give_their_scope_origins():
    # Settings beside rules (or a rule file) are the rules' defaults: no
    # "CORS directives but no origin" warning for their section.
    rc, out = configtest(
        "<Location /a>\n CORSMaxAge 60\n <CORSRule>\n"
        "  CORSAllowOrigin https://a.example\n </CORSRule>\n</Location>\n"
        "<Location /b>\n CORSMaxAge 60\n</Location>\n")
    assert rc == 0, out
    # one warning: /b's, not /a's
    assert out.count("AH99302") == 1, out
