# SPDX-License-Identifier: Apache-2.0
"""Scopes and merging: what a child scope does not set it inherits; a list a
child sets replaces the parent's; the two origin directives are one setting;
CORSEngine Off switches off below until turned On again; a parent's "*" with
a child's credentials answers "*" without credentials.  Exercised through
<Location>, <LocationMatch>, <Directory>, <Files>, <If>, virtual hosts and
.htaccess (AllowOverride FileInfo).

Tables: ACTUAL and VHOST_CASES (what an actual request from an origin gets
where), PREFLIGHT (what a preflight gets where).
"""

import re

import pytest

from cors_helpers import (CGI, CGI_OWN_CORS, assert_preflight_allowed,
                          assert_preflight_refused, granted, not_granted,
                          preflight, served, untouched)

PARENT = "https://parent.example"
EVIL = "https://evil.example"
CHILD = "https://child.example"
DIR = "https://dir.example"
HT = "https://ht.example"

LOCS = ("inherit|cexpose|corigin|cregex|cmethods|cheaders|cmaxage|ccredsoff|"
        "cpna|off|off/on|off/on/off|star|starparent|starparent/creds|"
        "starparent/creds/again|lm/[0-9]+|ifloc|regexparent|regexparent/child")

CONF = r"""
CORSAllowOrigin https://parent.example
CORSAllowCredentials On
CORSExposeHeaders X-Parent
CORSAllowMethods GET PUT DELETE
CORSAllowHeaders X-Parent-H
CORSMaxAge 600

AliasMatch "^/(%(locs)s)/x$" "{docroot}/data.txt"
ScriptAliasMatch "^/(%(locs)s)/cgi/(.*)$" "{cgibin}/$2"

<Location /cexpose>
    CORSExposeHeaders X-Child
</Location>
<Location /corigin>
    CORSAllowOrigin https://child.example
</Location>
<Location /cregex>
    CORSAllowOriginMatch ^https://rx\.example$
</Location>
<Location /regexparent>
    CORSAllowOriginMatch ^https://rxparent\.example$
</Location>
<Location /regexparent/child>
    CORSAllowOrigin https://child.example
</Location>
<Location /cmethods>
    CORSAllowMethods PATCH
</Location>
<Location /cheaders>
    CORSAllowHeaders X-Child-H
</Location>
<Location /cmaxage>
    CORSMaxAge 5
</Location>
<Location /ccredsoff>
    CORSAllowCredentials Off
</Location>
<Location /cpna>
    CORSAllowPrivateNetwork On
</Location>
<Location /off>
    CORSEngine Off
</Location>
<Location /off/on>
    CORSEngine On
</Location>
<Location /off/on/off>
    CORSEngine Off
</Location>
<Location /star>
    CORSAllowOrigin *
</Location>
<Location /starparent>
    CORSAllowOrigin *
    CORSAllowCredentials Off
</Location>
<Location /starparent/creds>
    CORSAllowCredentials On
</Location>
<Location /starparent/creds/again>
    CORSAllowOrigin https://child.example
</Location>
<LocationMatch "^/lm/[0-9]+/">
    CORSAllowOrigin https://lm.example
</LocationMatch>
<If "%%{QUERY_STRING} == 'iftest'">
    CORSAllowOrigin https://if.example
</If>

<Directory "{docroot}/dir1">
    CORSAllowOrigin https://dir.example
</Directory>
<Directory "{docroot}/dir1/sub">
    CORSExposeHeaders X-Sub
</Directory>
<Directory "{docroot}/doff">
    CORSEngine Off
</Directory>
<Directory "{docroot}/doff/on">
    CORSEngine On
</Directory>
<Directory "{docroot}/both">
    CORSAllowOrigin https://dir.example
</Directory>
<Location /both>
    CORSAllowOrigin https://loc.example
</Location>
<Directory "{docroot}/files">
    <Files "special.txt">
        CORSAllowOrigin https://files.example
    </Files>
</Directory>
<FilesMatch "\.csv$">
    CORSAllowOrigin https://csv.example
</FilesMatch>
<DirectoryMatch "^{docroot}/dm[0-9]+">
    CORSAllowOrigin https://dm.example
</DirectoryMatch>
<Files "*.json">
    CORSAllowCredentials Off
</Files>

<Directory "{docroot}/noover">
    AllowOverride AuthConfig
</Directory>
<Directory "{docroot}/none">
    AllowOverride None
</Directory>
""" % {"locs": LOCS}

FILES = {
    "data.txt": "data\n",
    "dir1/data.txt": "d\n", "dir1/sub/data.txt": "d\n",
    "doff/data.txt": "d\n", "doff/on/data.txt": "d\n",
    "both/data.txt": "d\n",
    "files/special.txt": "s\n", "files/data.txt": "d\n", "files/data.json": "{}\n",
    "files/t.csv": "a,b\n", "dm1/data.txt": "d\n",
    "ht/data.txt": "d\n", "ht/sub/data.txt": "d\n", "ht/off/data.txt": "d\n",
    "ht/off/on/data.txt": "d\n", "htstar/data.txt": "d\n",
    "htfiles/special.txt": "s\n", "htfiles/data.txt": "d\n",
    "noover/data.txt": "d\n", "none/data.txt": "d\n", "htbad/data.txt": "d\n",
}

HTACCESS = {
    "ht": "CORSAllowOrigin https://ht.example\nCORSExposeHeaders X-Ht\n",
    "ht/off": "CORSEngine Off\n",
    "ht/off/on": "CORSEngine On\n",
    "htstar": "CORSAllowOrigin *\n",
    "htfiles": ('<Files "special.txt">\n  CORSAllowOrigin https://hf.example\n</Files>\n'
                "<If \"%{QUERY_STRING} == 'iftest'\">\n"
                "  CORSAllowOrigin https://hif.example\n</If>\n"),
    "noover": "CORSAllowOrigin https://ht.example\n",
    "none": "CORSAllowOrigin https://ht.example\n",
    "htbad": "CORSAllowOrigin null\n",
}


@pytest.fixture(scope="module")
def srv(httpd_module):
    return httpd_module(CONF, files=FILES, htaccess=HTACCESS, cgi=CGI)


def _cors_warnings(srv):
    return [ln for ln in srv.error_log().splitlines() if re.search(r"\[cors:warn\]", ln)]


# What an actual request gets: granted() arguments; None: not granted; OFF:
# the module changes nothing (CORSEngine Off)
OFF = "off"
CRED = dict(credentials=True)
STAR = dict(origin="*", vary=False)  # and no credentials


def check_actual(r, origin, want):
    served(r, 200)
    if want is OFF:
        untouched(r)
    elif want is None:
        not_granted(r)
    else:
        granted(r, **dict(dict(origin=origin), **want))


def _id(row):
    return "|".join(str(x) for x in row[:-1])


# (path, Origin, expected)
ACTUAL = [
    # server-level settings, inherited where unset
    ("/data.txt", PARENT, dict(CRED, expose="X-Parent")),
    ("/data.txt", EVIL, None),
    ("/inherit/x", PARENT, dict(CRED, expose="X-Parent")),
    # a list a child sets replaces the parent's, the rest is inherited
    ("/cexpose/x", PARENT, dict(CRED, expose="X-Child")),
    ("/corigin/x", CHILD, dict(CRED, expose="X-Parent")),
    ("/corigin/x", PARENT, None),
    ("/ccredsoff/x", PARENT, dict(credentials=False)),
    # the two origin directives are one setting
    ("/cregex/x", "https://rx.example", CRED),
    ("/cregex/x", PARENT, None),
    ("/regexparent/x", "https://rxparent.example", CRED),
    ("/regexparent/x", PARENT, None),
    ("/regexparent/child/x", CHILD, CRED),
    ("/regexparent/child/x", "https://rxparent.example", None),
    ("/regexparent/child/x", PARENT, None),
    # CORSEngine Off switches off below until turned On again
    ("/off/x", PARENT, OFF),
    ("/off/x", None, OFF),
    ("/off/on/x", PARENT, dict(CRED, expose="X-Parent")),
    ("/off/on/cgi/acao", PARENT, CRED),
    ("/off/on/off/x", PARENT, OFF),
    ("/doff/data.txt", PARENT, OFF),
    ("/doff/on/data.txt", PARENT, CRED),
    # "*" meets credentials only through merging: "*" without credentials
    # (server level credentials On, /star "*")
    ("/star/x", PARENT, STAR),
    ("/starparent/x", PARENT, STAR),
    # replacing "*" by an explicit list makes credentials valid again
    ("/starparent/creds/again/x", CHILD, CRED),
    ("/starparent/creds/again/x", PARENT, None),
    # section types
    ("/dir1/data.txt", DIR, dict(CRED, expose="X-Parent")),
    ("/dir1/data.txt", PARENT, None),
    ("/dir1/sub/data.txt", DIR, dict(CRED, expose="X-Sub")),
    # <Location> wins over <Directory>
    ("/both/data.txt", "https://loc.example", CRED),
    ("/both/data.txt", DIR, None),
    ("/files/special.txt", "https://files.example", CRED),
    ("/files/special.txt", PARENT, None),
    ("/files/data.txt", PARENT, CRED),
    ("/files/data.txt", "https://files.example", None),
    ("/files/t.csv", "https://csv.example", CRED),
    ("/files/t.csv", PARENT, None),
    ("/dm1/data.txt", "https://dm.example", CRED),
    ("/dm1/data.txt", PARENT, None),
    # <Files "*.json">: credentials Off
    ("/files/data.json", PARENT, dict(credentials=False)),
    ("/lm/42/x", "https://lm.example", CRED),
    ("/lm/42/x", PARENT, None),
    ("/data.txt?iftest", "https://if.example", CRED),
    ("/data.txt?iftest", PARENT, None),
    ("/data.txt?other", PARENT, CRED),
    ("/data.txt?other", "https://if.example", None),
    # .htaccess (AllowOverride FileInfo)
    ("/ht/data.txt", HT, dict(CRED, expose="X-Ht")),
    ("/ht/data.txt", PARENT, None),
    ("/ht/sub/data.txt", HT, CRED),
    ("/ht/off/data.txt", HT, OFF),
    ("/ht/off/on/data.txt", HT, CRED),
    ("/htstar/data.txt", PARENT, STAR),
    ("/htfiles/special.txt", "https://hf.example", CRED),
    ("/htfiles/special.txt", PARENT, None),
    ("/htfiles/data.txt", PARENT, CRED),
    ("/htfiles/data.txt?iftest", "https://hif.example", CRED),
    ("/htfiles/data.txt?iftest", PARENT, None),
    # AllowOverride None: the .htaccess is not read
    ("/none/data.txt", PARENT, CRED),
    ("/none/data.txt", HT, None),
]


@pytest.mark.parametrize("path,origin,want", ACTUAL, ids=[_id(c) for c in ACTUAL])
def test_actual(srv, path, origin, want):
    check_actual(srv.get(path, origin), origin, want)


PARENT_METHODS = "GET, PUT, DELETE"
INHERITED = dict(origin=PARENT, methods=PARENT_METHODS, credentials=True,
                 max_age=600)
PNA = [("Access-Control-Request-Private-Network", "true")]

# (path, method, Access-Control-Request-Headers, extra fields,
#  assert_preflight_allowed arguments, or None: refused)
PREFLIGHT = [
    ("/inherit/x", "PUT", "x-parent-h", None,
     dict(INHERITED, headers="X-Parent-H")),
    ("/cmethods/x", "PATCH", None, None, dict(INHERITED, methods="PATCH")),
    ("/cmethods/x", "PUT", None, None, None),
    # safelisted methods always pass
    ("/cmethods/x", "GET", None, None, dict(INHERITED, methods="PATCH")),
    ("/cheaders/x", "GET", "x-child-h", None,
     dict(INHERITED, headers="X-Child-H")),
    ("/cheaders/x", "GET", "x-parent-h", None, None),
    ("/cmaxage/x", "GET", None, None, dict(INHERITED, max_age=5)),
    ("/ccredsoff/x", "GET", None, None, dict(INHERITED, credentials=False)),
    ("/cpna/x", "GET", None, PNA, dict(INHERITED, pna=True)),
    # inherited Off elsewhere
    ("/inherit/x", "GET", None, PNA, None),
]


@pytest.mark.parametrize("path,method,req_headers,extra,want", PREFLIGHT,
                         ids=["%s|%s|%s%s" % (c[0], c[1], c[2], "|+pna" if c[3] else "")
                              for c in PREFLIGHT])
def test_preflight(srv, path, method, req_headers, extra, want):
    r = preflight(srv, path, PARENT, method, req_headers, extra)
    if want is None:
        assert_preflight_refused(r)
    else:
        assert_preflight_allowed(r, **want)


def test_engine_off_cgi_fields_untouched(srv):
    r = srv.get("/off/cgi/acao", PARENT)
    served(r, 200, vary=["accept-encoding"])
    untouched(r, CGI_OWN_CORS)


def test_engine_off_no_preflight_answer(srv):
    # OPTIONS goes to the handler like any request (static: 200 + Allow)
    r = preflight(srv, "/off/x", PARENT, "GET")
    assert r.status == 200, r
    untouched(r)


def test_parent_star_child_credentials_answers_star_without_credentials(srv):
    for origin in (PARENT, EVIL, None):
        check_actual(srv.get("/starparent/creds/x", origin), origin, STAR)
    r = preflight(srv, "/starparent/creds/x", PARENT, "GET")
    assert_preflight_allowed(r, **dict(INHERITED, origin="*", credentials=False))
    assert srv.wait_log(r"\[cors:warn\]"), "no warning logged"
    warns = _cors_warnings(srv)
    assert any(re.search(r"(?i)credential", ln) for ln in warns), warns


def test_htaccess_refused_without_fileinfo(srv):
    r = srv.get("/noover/data.txt", PARENT)
    assert r.status == 500
    assert re.search(r"CORSAllowOrigin not allowed here", srv.error_log())


def test_htaccess_bad_value_is_500_with_reason(srv):
    r = srv.get("/htbad/data.txt", PARENT)
    assert r.status == 500
    assert srv.wait_log(r"CORSAllowOrigin.*null"), srv.error_log()[-2000:]


# ---- virtual hosts -------------------------------------------------------------

VHOSTS = r"""
CORSAllowOrigin https://main.example
<VirtualHost 127.0.0.1:{port}>
    ServerName default.test
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName v1.test
    CORSAllowOrigin https://v1.example
    CORSAllowCredentials On
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName v2.test
    CORSEngine Off
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName v3.test
    <Location /api>
        CORSAllowOrigin https://v3api.example
    </Location>
</VirtualHost>
"""


@pytest.fixture(scope="module")
def vsrv(httpd_module):
    return httpd_module(VHOSTS, files={"data.txt": "d\n", "api/data.txt": "a\n"})


MAIN = "https://main.example"
V1 = "https://v1.example"
V3API = "https://v3api.example"

# (Host, path, Origin, expected as in ACTUAL)
VHOST_CASES = [
    # the main server's policy, inherited
    ("default.test", "/data.txt", MAIN, {}),
    # a host's own policy replaces the main server's...
    ("v1.test", "/data.txt", V1, CRED),
    ("v1.test", "/data.txt", MAIN, None),
    # ...and does not leak into the other hosts
    ("default.test", "/data.txt", V1, None),
    ("v2.test", "/data.txt", MAIN, OFF),
    ("v3.test", "/data.txt", MAIN, {}),
    ("v3.test", "/api/data.txt", V3API, {}),
    ("v3.test", "/api/data.txt", MAIN, None),
    ("default.test", "/api/data.txt", V3API, None),
]


@pytest.mark.parametrize("host,path,origin,want", VHOST_CASES,
                         ids=[_id(c) for c in VHOST_CASES])
def test_vhost(vsrv, host, path, origin, want):
    r = vsrv.request("GET", path, [("Host", host), ("Origin", origin)])
    check_actual(r, origin, want)


def test_merge_conflict_warning_once_per_scope(httpd):
    srv = httpd("""
<Location /p>
    CORSAllowOrigin *
</Location>
<Location /p/c>
    CORSAllowCredentials On
</Location>
AliasMatch "^/p/c/.*$" "{docroot}/data.txt"
""", files={"data.txt": "d\n"})
    for i in range(10):
        r = srv.get("/p/c/%d" % i, PARENT)
        granted(r, "*", credentials=False, vary=False)
    assert srv.wait_log(r"\[cors:warn\]")
    warns = _cors_warnings(srv)
    # once per scope and process (this server runs at most 2 children)
    assert 1 <= len(warns) <= 2, warns
