"""Scopes and merging: what a child scope does not set it inherits; a list a
child sets replaces the parent's; the two origin directives are one setting;
CORSEngine Off switches off below until turned On again; a parent's "*" with
a child's credentials answers "*" without credentials.  Exercised through
<Location>, <LocationMatch>, <Directory>, <Files>, <If>, virtual hosts and
.htaccess (AllowOverride FileInfo).
"""

import re

import pytest

from cors_asserts import ACAC, ACAO, ACEH, CGI, granted, not_granted

PARENT = "https://parent.example"
EVIL = "https://evil.example"

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


def preflight(srv, path, origin=PARENT, method="PUT", headers=None, extra=None):
    h = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers:
        h.append(("Access-Control-Request-Headers", headers))
    h += extra or []
    return srv.request("OPTIONS", path, h)


def assert_untouched(r):
    """Module off: no Access-Control-*, no Vary: Origin."""
    assert r.ac_headers() == [], r
    assert "origin" not in r.vary(), r


# ---- server-level settings, inherited where unset ------------------------------

def test_server_level_policy(srv):
    r = srv.get("/data.txt", PARENT)
    granted(r, PARENT, credentials=True)
    assert r.header(ACEH) == "X-Parent"
    not_granted(srv.get("/data.txt", EVIL))


def test_inherit_unset_everything(srv):
    r = srv.get("/inherit/x", PARENT)
    granted(r, PARENT, credentials=True)
    assert r.header(ACEH) == "X-Parent"
    r = preflight(srv, "/inherit/x", method="PUT", headers="x-parent-h")
    assert r.status == 204, r
    assert r.header("Access-Control-Allow-Methods") == "GET, PUT, DELETE"
    assert r.header("Access-Control-Allow-Headers") == "X-Parent-H"
    assert r.header("Access-Control-Max-Age") == "600"
    assert r.header(ACAC) == "true"


def test_child_expose_list_replaces_parent_others_inherited(srv):
    r = srv.get("/cexpose/x", PARENT)
    granted(r, PARENT, credentials=True)
    assert r.header(ACEH) == "X-Child"


def test_child_origin_list_replaces_parent(srv):
    r = srv.get("/corigin/x", "https://child.example")
    granted(r, "https://child.example", credentials=True)
    assert r.header(ACEH) == "X-Parent"
    not_granted(srv.get("/corigin/x", PARENT))


def test_child_regex_replaces_parent_origins(srv):
    # the two origin directives are one setting
    granted(srv.get("/cregex/x", "https://rx.example"), "https://rx.example",
            credentials=True)
    not_granted(srv.get("/cregex/x", PARENT))


def test_child_origin_replaces_parent_regex(srv):
    granted(srv.get("/regexparent/x", "https://rxparent.example"),
            "https://rxparent.example", credentials=True)
    not_granted(srv.get("/regexparent/x", PARENT))
    granted(srv.get("/regexparent/child/x", "https://child.example"),
            "https://child.example", credentials=True)
    not_granted(srv.get("/regexparent/child/x", "https://rxparent.example"))
    not_granted(srv.get("/regexparent/child/x", PARENT))


def test_child_methods_replace_parent(srv):
    r = preflight(srv, "/cmethods/x", method="PATCH")
    assert r.status == 204, r
    assert r.header("Access-Control-Allow-Methods") == "PATCH"
    r = preflight(srv, "/cmethods/x", method="PUT")
    assert r.status == 403, r
    assert r.ac_headers() == []
    # safelisted methods always pass
    assert preflight(srv, "/cmethods/x", method="GET").status == 204


def test_child_allow_headers_replace_parent(srv):
    r = preflight(srv, "/cheaders/x", method="GET", headers="x-child-h")
    assert r.status == 204, r
    assert r.header("Access-Control-Allow-Headers") == "X-Child-H"
    r = preflight(srv, "/cheaders/x", method="GET", headers="x-parent-h")
    assert r.status == 403, r


def test_child_max_age(srv):
    r = preflight(srv, "/cmaxage/x", method="GET")
    assert r.status == 204
    assert r.header("Access-Control-Max-Age") == "5"


def test_child_credentials_off(srv):
    r = srv.get("/ccredsoff/x", PARENT)
    granted(r, PARENT, credentials=False)
    r = preflight(srv, "/ccredsoff/x", method="GET")
    assert r.status == 204 and not r.has(ACAC)


def test_private_network_child_on(srv):
    pna = [("Access-Control-Request-Private-Network", "true")]
    r = preflight(srv, "/cpna/x", method="GET", extra=pna)
    assert r.status == 204, r
    assert r.header("Access-Control-Allow-Private-Network") == "true"
    # inherited Off elsewhere: refused
    r = preflight(srv, "/inherit/x", method="GET", extra=pna)
    assert r.status == 403, r
    assert r.ac_headers() == []


# ---- CORSEngine ---------------------------------------------------------------

def test_engine_off_changes_nothing(srv):
    assert_untouched(srv.get("/off/x", PARENT))
    assert_untouched(srv.get("/off/x"))
    r = srv.get("/off/cgi/acao", PARENT)
    assert r.header_all(ACAO) == ["*"] and r.header_all(ACAC) == ["true"]
    assert r.vary_list() == ["accept-encoding"]


def test_engine_off_no_preflight_answer(srv):
    # OPTIONS goes to the handler like any request (static: 200 + Allow)
    r = preflight(srv, "/off/x", method="GET")
    assert r.status == 200, r
    assert_untouched(r)


def test_engine_on_again_below_off(srv):
    r = srv.get("/off/on/x", PARENT)
    granted(r, PARENT, credentials=True)
    assert r.header(ACEH) == "X-Parent"
    r = srv.get("/off/on/cgi/acao", PARENT)
    granted(r, PARENT, credentials=True)
    assert_untouched(srv.get("/off/on/off/x", PARENT))


def test_engine_off_directory_and_on_again(srv):
    assert_untouched(srv.get("/doff/data.txt", PARENT))
    granted(srv.get("/doff/on/data.txt", PARENT), PARENT, credentials=True)


# ---- "*" meets credentials only through merging --------------------------------

def _cors_warnings(srv):
    return [ln for ln in srv.error_log().splitlines() if re.search(r"\[cors:warn\]", ln)]


def test_parent_star_child_credentials_answers_star_without_credentials(srv):
    r = srv.get("/starparent/creds/x", PARENT)
    granted(r, "*", credentials=False, vary=False)
    r = srv.get("/starparent/creds/x", EVIL)
    granted(r, "*", credentials=False, vary=False)
    r = srv.get("/starparent/creds/x")
    granted(r, "*", credentials=False, vary=False)
    r = preflight(srv, "/starparent/creds/x", method="GET")
    assert r.status == 204, r
    assert r.header(ACAO) == "*" and not r.has(ACAC)
    assert srv.wait_log(r"\[cors:warn\]"), "no warning logged"
    warns = _cors_warnings(srv)
    assert any(re.search(r"(?i)credential", ln) for ln in warns), warns


def test_parent_credentials_child_star(srv):
    # the server level says credentials On, /star says "*": they meet only
    # through merging, so the same fail-safe answer
    r = srv.get("/star/x", PARENT)
    granted(r, "*", credentials=False, vary=False)


def test_star_parent_then_explicit_origin_grandchild_has_credentials(srv):
    # replacing "*" by an explicit list makes credentials valid again
    r = srv.get("/starparent/creds/again/x", "https://child.example")
    granted(r, "https://child.example", credentials=True)
    not_granted(srv.get("/starparent/creds/again/x", PARENT))


def test_parent_star_alone(srv):
    r = srv.get("/starparent/x", PARENT)
    granted(r, "*", credentials=False, vary=False)


# ---- section types -------------------------------------------------------------

def test_directory_nesting(srv):
    r = srv.get("/dir1/data.txt", "https://dir.example")
    granted(r, "https://dir.example", credentials=True)
    assert r.header(ACEH) == "X-Parent"
    not_granted(srv.get("/dir1/data.txt", PARENT))
    r = srv.get("/dir1/sub/data.txt", "https://dir.example")
    granted(r, "https://dir.example", credentials=True)
    assert r.header(ACEH) == "X-Sub"


def test_location_wins_over_directory(srv):
    granted(srv.get("/both/data.txt", "https://loc.example"), "https://loc.example",
            credentials=True)
    not_granted(srv.get("/both/data.txt", "https://dir.example"))


def test_files_section(srv):
    granted(srv.get("/files/special.txt", "https://files.example"),
            "https://files.example", credentials=True)
    not_granted(srv.get("/files/special.txt", PARENT))
    granted(srv.get("/files/data.txt", PARENT), PARENT, credentials=True)
    not_granted(srv.get("/files/data.txt", "https://files.example"))


def test_files_match_and_directory_match(srv):
    granted(srv.get("/files/t.csv", "https://csv.example"), "https://csv.example",
            credentials=True)
    not_granted(srv.get("/files/t.csv", PARENT))
    granted(srv.get("/dm1/data.txt", "https://dm.example"), "https://dm.example",
            credentials=True)
    not_granted(srv.get("/dm1/data.txt", PARENT))


def test_files_wildcard_section(srv):
    granted(srv.get("/files/data.json", PARENT), PARENT, credentials=False)


def test_location_match(srv):
    granted(srv.get("/lm/42/x", "https://lm.example"), "https://lm.example",
            credentials=True)
    not_granted(srv.get("/lm/42/x", PARENT))


def test_if_section(srv):
    granted(srv.get("/data.txt?iftest", "https://if.example"), "https://if.example",
            credentials=True)
    not_granted(srv.get("/data.txt?iftest", PARENT))
    granted(srv.get("/data.txt?other", PARENT), PARENT, credentials=True)
    not_granted(srv.get("/data.txt?other", "https://if.example"))


# ---- .htaccess -----------------------------------------------------------------

def test_htaccess_policy(srv):
    r = srv.get("/ht/data.txt", "https://ht.example")
    granted(r, "https://ht.example", credentials=True)
    assert r.header(ACEH) == "X-Ht"
    not_granted(srv.get("/ht/data.txt", PARENT))


def test_htaccess_inherited_by_subdirectory(srv):
    r = srv.get("/ht/sub/data.txt", "https://ht.example")
    granted(r, "https://ht.example", credentials=True)


def test_htaccess_engine_off_and_on(srv):
    assert_untouched(srv.get("/ht/off/data.txt", "https://ht.example"))
    r = srv.get("/ht/off/on/data.txt", "https://ht.example")
    granted(r, "https://ht.example", credentials=True)


def test_htaccess_star_with_inherited_credentials(srv):
    granted(srv.get("/htstar/data.txt", PARENT), "*", credentials=False, vary=False)


def test_htaccess_files_and_if_sections(srv):
    granted(srv.get("/htfiles/special.txt", "https://hf.example"), "https://hf.example",
            credentials=True)
    not_granted(srv.get("/htfiles/special.txt", PARENT))
    granted(srv.get("/htfiles/data.txt", PARENT), PARENT, credentials=True)
    granted(srv.get("/htfiles/data.txt?iftest", "https://hif.example"),
            "https://hif.example", credentials=True)
    not_granted(srv.get("/htfiles/data.txt?iftest", PARENT))


def test_htaccess_refused_without_fileinfo(srv):
    r = srv.get("/noover/data.txt", PARENT)
    assert r.status == 500
    assert re.search(r"CORSAllowOrigin not allowed here", srv.error_log())


def test_htaccess_ignored_with_allowoverride_none(srv):
    granted(srv.get("/none/data.txt", PARENT), PARENT, credentials=True)
    not_granted(srv.get("/none/data.txt", "https://ht.example"))


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


def vget(vsrv, host, path, origin):
    return vsrv.request("GET", path, [("Host", host), ("Origin", origin)])


def test_vhost_inherits_main_server(vsrv):
    granted(vget(vsrv, "default.test", "/data.txt", "https://main.example"),
            "https://main.example")


def test_vhost_own_policy_replaces_main(vsrv):
    granted(vget(vsrv, "v1.test", "/data.txt", "https://v1.example"),
            "https://v1.example", credentials=True)
    not_granted(vget(vsrv, "v1.test", "/data.txt", "https://main.example"))
    # and does not leak into the other hosts
    not_granted(vget(vsrv, "default.test", "/data.txt", "https://v1.example"))


def test_vhost_engine_off(vsrv):
    assert_untouched(vget(vsrv, "v2.test", "/data.txt", "https://main.example"))


def test_vhost_location(vsrv):
    granted(vget(vsrv, "v3.test", "/data.txt", "https://main.example"),
            "https://main.example")
    granted(vget(vsrv, "v3.test", "/api/data.txt", "https://v3api.example"),
            "https://v3api.example")
    not_granted(vget(vsrv, "v3.test", "/api/data.txt", "https://main.example"))
    not_granted(vget(vsrv, "default.test", "/api/data.txt", "https://v3api.example"))


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
