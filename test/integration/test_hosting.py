# SPDX-License-Identifier: Apache-2.0
"""Shared hosting: tenants who write their own .htaccess, and what they must
not be able to do to each other or to the server.

1. Configuration costs grow linearly with its size: ``apache2 -t`` with
   16,000 names in CORSAllowHeaders / CORSExposeHeaders / CORSAllowMethods
   needs at most 20x the memory and CPU time of 1,000 names (quadratic would
   be 256x); an .htaccess of 4,000 CORSAllowHeaders names costs a request at
   most 2x what 4,000 AddType lines cost.
2. The configuration of the content that is served decides.  After an
   internal redirect (URL ErrorDocument, mod_rewrite in directory context,
   a CGI local redirect, mod_dir) the policy of the target applies, not the
   policy of the URL the client asked for: a tenant cannot lend its own
   (permissive) policy to another tenant's files, to /server-status, or to
   a scope with ``CORSEngine Off``.  An error httpd generates for the
   request itself (no ErrorDocument, or a string one) stays under the
   request's own policy.
3. 200 CORSAllowOriginMatch lines in an .htaccess cost a request at most 2x
   what 200 ``SetEnvIf Origin`` lines cost (no JIT compile per request).
4. ``CORSExposeHeaders *`` with credentials lists the response's names in
   linear time and in at most 8,192 bytes, each name once.
5. ``CORSWebSocketOrigin On`` (default Off) refuses a WebSocket handshake
   from an origin the scope does not allow with 403, before any backend is
   contacted (mod_proxy_wstunnel, mod_proxy_http ``upgrade=websocket``).

Costs are ratios of two measurements taken in the same run, alternating,
median of several (server-side ``%D`` for requests, the child's rusage for
``apache2 -t``); they are skipped under CORS_TEST_HTTPD_PREFIX (valgrind...) and AddressSanitizer,
where they mean nothing.  Everything talks to 127.0.0.1 only.
"""

import base64
import hashlib
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time

import pytest

from conftest import REQUEST_TIMEOUT, Server, configtest
from cors_helpers import (ACAC, ACAO, ACEH, CGI, SLOW, costly, granted,
                          not_granted, wait_for)

EVIL = "https://evil.example"
BOB = "https://bob.example"
SHARED = "https://shared.example"
STATIC = "https://static.example"
APP = "https://app.example"



_seq = itertools.count(1)


def uniq():
    return "%d-%d" % (next(_seq), os.getpid())


# ==========================================================================
# Measuring
# ==========================================================================

# One line per request: the path and query the client sent, and the time
# httpd took to serve it (microseconds).
TIME_LOG = r"""
LogFormat "%U%q %D" hosttime
CustomLog "{root}/logs/time.log" hosttime
"""


def _time_lines(srv):
    try:
        with open(os.path.join(srv.root, "logs", "time.log")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def measure(srv, series, rounds, warm=2, check=None):
    """Requests every series in turn, rounds times (after warm rounds that
    are not counted); series maps a name to (method, path, headers).  Returns
    {name: median server time in microseconds}.  check(name, resp) may look
    at each answer."""
    tag = uniq()
    for _ in range(warm):
        for name, (method, path, headers) in series.items():
            srv.request(method, path, headers)
    wanted = {}
    for i in range(rounds):
        for name, (method, path, headers) in series.items():
            sep = "&" if "?" in path else "?"
            marked = "%s%sm=%s-%s-%d" % (path, sep, tag, name, i)
            wanted[marked] = name
            r = srv.request(method, marked, headers, timeout=120)
            assert r.status < 500, r
            if check:
                check(name, r)
    times = {}

    def collect():
        times.clear()
        for ln in _time_lines(srv):
            target, _, us = ln.rpartition(" ")
            if target in wanted:
                times.setdefault(wanted[target], []).append(int(us))
        return sum(len(v) for v in times.values()) >= len(wanted)

    assert wait_for(collect, timeout=10), "time log incomplete: %r" % times
    return {name: statistics.median(v) for name, v in times.items()}


def _report(what, **values):
    print("\n[hosting] %s: %s" % (what, ", ".join(
        "%s=%s" % (k, ("%.2f" % v) if isinstance(v, float) else v)
        for k, v in values.items())))


# ==========================================================================
# 1. Linear configuration cost
# ==========================================================================

def _names(n, fmt="X-H%05d"):
    return [fmt % i for i in range(1, n + 1)]


def _big_conf(directive, n, lines):
    names = _names(n)
    if lines == "one":
        body = "    %s %s\n" % (directive, " ".join(names))
    else:
        body = "".join("    %s %s\n" % (directive, x) for x in names)
    return ("<Location /big>\n    CORSAllowOrigin https://a.example\n%s"
            "</Location>\n" % body)


def configtest_usage(conf):
    """Runs ``apache2 -t`` on the generated config; returns (peak RSS in KiB,
    CPU seconds) of that child alone."""
    srv = Server(conf)
    try:
        out_path = os.path.join(srv.logdir, "configtest.out")
        with open(out_path, "wb") as out:
            p = subprocess.Popen(srv._cmd(test_only=True), stdout=out,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        timer = threading.Timer(180, lambda: os.kill(p.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        with open(out_path, "rb") as f:
            text = f.read().decode("latin-1")
        assert p.returncode == 0, "apache2 -t failed (%s):\n%s" % (
            p.returncode, text[-3000:])
        return ru.ru_maxrss, ru.ru_utime + ru.ru_stime
    finally:
        srv._stopped = True
        srv.cleanup()


@costly
@pytest.mark.parametrize("directive,lines", [
    ("CORSAllowHeaders", "one"),
    ("CORSAllowHeaders", "many"),
    ("CORSExposeHeaders", "one"),
    ("CORSAllowMethods", "one"),
])
def test_configtest_cost_linear_in_names(directive, lines):
    """16,000 names cost at most 20x 1,000 names (quadratic: 256x), in peak
    memory and in CPU time of ``apache2 -t``."""
    small = _big_conf(directive, 1000, lines)
    big = _big_conf(directive, 16000, lines)
    limit = 20.0
    best_mem = best_cpu = None
    for _ in range(3):
        m1, c1 = configtest_usage(small)
        m2, c2 = configtest_usage(big)
        rm, rc = m2 / m1, c2 / max(c1, 0.001)
        best_mem = rm if best_mem is None else min(best_mem, rm)
        best_cpu = rc if best_cpu is None else min(best_cpu, rc)
        _report("apache2 -t %s (%s line(s)) 16000/1000" % (directive, lines),
                rss_kib=(m1, m2), cpu_s=(round(c1, 3), round(c2, 3)),
                mem_ratio=rm, cpu_ratio=rc)
        if best_mem <= limit and best_cpu <= limit:
            return
        if best_mem > 3 * limit or best_cpu > 3 * limit:
            break  # no noise explains that: do not spend more
    assert best_mem <= limit, "peak memory ratio %.1f > %.0f" % (best_mem, limit)
    assert best_cpu <= limit, "CPU time ratio %.1f > %.0f" % (best_cpu, limit)


HT_N = 4000
HT_WIDE = 500


@costly
def test_htaccess_allow_headers_cost_like_addtype(httpd):
    """An .htaccess of 4,000 CORSAllowHeaders names, many on a line or one a
    line, costs a request at most 2x an .htaccess of 4,000 AddType lines.
    (httpd reads .htaccess lines of at most 8 KiB: 500 names a line.)"""
    names = _names(HT_N)
    wide = "CORSAllowOrigin https://a.example\n" + "".join(
        "CORSAllowHeaders %s\n" % " ".join(names[i:i + HT_WIDE])
        for i in range(0, HT_N, HT_WIDE))
    many = "CORSAllowOrigin https://a.example\n" + "".join(
        "CORSAllowHeaders %s\n" % x for x in names)
    types = "".join("AddType text/x-h%05d .h%05d\n" % (i, i)
                    for i in range(1, HT_N + 1))
    srv = httpd(TIME_LOG, files={"wide/f.txt": "f\n", "many/f.txt": "f\n",
                                 "types/f.txt": "f\n", "types/x.h03999": "x\n"},
                htaccess={"wide": wide, "many": many, "types": types},
                loglevel="warn")
    o = [("Origin", "https://a.example")]
    # the .htaccess files are in force (a preflight needs the names)
    r = srv.request("OPTIONS", "/wide/f.txt", o + [
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "x-h03999")])
    assert r.status == 204 and r.header(ACAO) == "https://a.example", r
    r = srv.request("OPTIONS", "/many/f.txt", o + [
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "x-h00002")])
    assert r.status == 204 and r.header(ACAO) == "https://a.example", r
    r = srv.request("GET", "/types/x.h03999")
    assert r.header("Content-Type") == "text/x-h03999", r

    med = measure(srv, {"wide": ("GET", "/wide/f.txt", o),
                        "many": ("GET", "/many/f.txt", o),
                        "types": ("GET", "/types/f.txt", o)}, rounds=15)
    r_wide = med["wide"] / med["types"]
    r_many = med["many"] / med["types"]
    _report(".htaccess 4000 CORSAllowHeaders vs 4000 AddType",
            us=med, wide_lines_ratio=r_wide, many_lines_ratio=r_many)
    assert r_wide <= 2.0, "500 names a line: %.1fx AddType (%r)" % (r_wide, med)
    assert r_many <= 2.0, "many lines: %.1fx AddType (%r)" % (r_many, med)


# ==========================================================================
# 2. The configuration of the content that is served decides
# ==========================================================================

HOSTING_CONF = r"""
<Directory "{docroot}/alice">
    AllowOverride FileInfo Indexes
    Options FollowSymLinks
</Directory>

<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>

# server context: a rewrite to another tenant's path, with and without [PT]
RewriteEngine On
RewriteRule "^/alice/s1$" "/bob/private.json" [L]
RewriteRule "^/alice/s2$" "/bob/private.json" [PT,L]
RewriteRule "^/alice/s3$" "/admin/data.json" [PT,L]
RewriteRule "^/alice/s4$" "/shared/data.json" [PT,L]

Alias /shared "{root}/shared"
<Directory "{root}/shared">
    Require all granted
    CORSAllowOrigin https://shared.example
</Directory>

# CORSEngine Off below a parent with a policy: a static file with its own
# Access-Control-Allow-Origin, a CGI and a proxied backend that send theirs
<Directory "{docroot}/dpol">
    CORSAllowOrigin https://evil.example https://bob.example
    CORSAllowCredentials On
</Directory>
<Directory "{docroot}/dpol/offdir">
    CORSEngine Off
    Header set Access-Control-Allow-Origin https://static.example
</Directory>
ScriptAlias /pol/off/cgi/ "{cgibin}/"

# a CGI of a scope with alice's policy whose answer is a local redirect
ScriptAlias /alicecgi/ "{cgibin}/"
<Location /alicecgi>
    CORSAllowOrigin https://evil.example
    CORSAllowCredentials On
</Location>
ProxyPass /pol/off/proxy/ @BACKEND@/
<Location /pol>
    CORSAllowOrigin https://evil.example
    CORSAllowCredentials On
</Location>
<Location /pol/off>
    CORSEngine Off
</Location>
"""

ALICE_HT = """CORSAllowOrigin https://evil.example
CORSAllowCredentials On
ErrorDocument 404 /bob/private.json
RewriteEngine On
RewriteRule ^r1$ /bob/private.json [L]
RewriteRule ^r2$ /admin/data.json [L]
RewriteRule ^r3$ /server-status [L]
RewriteRule ^r4$ /dpol/offdir/acao.txt [L]
RewriteRule ^r5$ /shared/data.json [L]
RewriteRule ^r6$ /pol/off/cgi/acao [L]
RewriteRule ^r7$ /pol/off/proxy/r7 [L]
RewriteRule ^r8$ /alice/own.json [L]
<Files "missing2">
    ErrorDocument 404 "alice has no such thing"
</Files>
"""

BOB_HT = """CORSAllowOrigin https://bob.example
RewriteEngine On
RewriteRule ^toalice$ /alice/own.json [L]
"""

HOSTING_HT = {
    "alice": ALICE_HT,
    "alice/plain": "ErrorDocument 404 default\n",
    "alice/adm": "ErrorDocument 404 /admin/data.json\n",
    "alice/idx": "DirectoryIndex /bob/private.json\n",
    "bob": BOB_HT,
}

HOSTING_FILES = {
    "alice/index.html": "alice index\n",
    "alice/own.json": '{"alice": "own"}\n',
    "bob/private.json": '{"bob": "private"}\n',
    "admin/data.json": '{"admin": "data"}\n',
    "dpol/data.txt": "dpol data\n",
    "dpol/offdir/acao.txt": "offdir static\n",
}

ALICE_BODY = b'{"alice": "own"}\n'
BOB_BODY = b'{"bob": "private"}\n'
ADMIN_BODY = b'{"admin": "data"}\n'
SHARED_BODY = b'{"shared": "data"}\n'


@pytest.fixture(scope="module")
def hosting(httpd_module, backend):
    cgi = dict(CGI)
    cgi["tobob"] = "printf 'Location: /bob/private.json\\r\\n\\r\\n'\n"
    cgi["toadmin"] = "printf 'Location: /admin/data.json\\r\\n\\r\\n'\n"
    srv = httpd_module(HOSTING_CONF.replace("@BACKEND@", backend.url),
                       files=HOSTING_FILES, htaccess=HOSTING_HT, cgi=cgi,
                       extra_modules=["status"])
    shared = os.path.join(srv.root, "shared")
    os.makedirs(shared)
    os.chmod(shared, 0o755)
    with open(os.path.join(shared, "data.json"), "wb") as f:
        f.write(SHARED_BODY)
    os.chmod(os.path.join(shared, "data.json"), 0o644)
    return srv


# What a response must carry:
#   ("grant", origin, credentials)   exactly that grant (cors_helpers.granted)
#   ("refuse",)                      a policy applied and said no: no
#                                    Access-Control-*, Vary: Origin
#   ("nothing",)                     no Access-Control-* at all
#   ("untouched", {field: [values]}) what the content's own source set,
#                                    exactly, for these fields
CGI_OWN = {ACAO: ["*"], ACAC: ["true"], ACEH: ["X-Secret"]}
BACKEND_OWN = {ACAO: ["*"], ACAC: ["true"]}

# (id, path, origin, status, body (bytes: equal; str: contained), expect,
#  access-log note: a value, "!allowed" (anything but allowed) or None)
ROUTES = [
    # each tenant's own content, asked for directly: the policies in force
    ("direct-alice", "/alice/own.json", EVIL, 200, ALICE_BODY,
     ("grant", EVIL, True), "allowed"),
    ("direct-bob", "/bob/private.json", BOB, 200, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    ("direct-bob-evil", "/bob/private.json", EVIL, 200, BOB_BODY,
     ("refuse",), "disallowed"),
    ("direct-admin", "/admin/data.json", EVIL, 200, ADMIN_BODY,
     ("nothing",), None),
    ("direct-shared", "/shared/data.json", SHARED, 200, SHARED_BODY,
     ("grant", SHARED, False), "allowed"),
    ("direct-dpol", "/dpol/data.txt", EVIL, 200, b"dpol data\n",
     ("grant", EVIL, True), "allowed"),
    ("direct-offdir", "/dpol/offdir/acao.txt", EVIL, 200, b"offdir static\n",
     ("untouched", {ACAO: [STATIC], ACAC: []}), "!allowed"),
    ("direct-offcgi", "/pol/off/cgi/acao", EVIL, 200, b"backend body\n",
     ("untouched", CGI_OWN), "!allowed"),
    ("direct-offproxy", "/pol/off/proxy/x", EVIL, 200, b"backend body\n",
     ("untouched", BACKEND_OWN), "!allowed"),
    # ErrorDocument with a URL: an internal redirect to the target
    ("errdoc-to-bob-evil", "/alice/missing", EVIL, 404, BOB_BODY,
     ("refuse",), "disallowed"),
    ("errdoc-to-bob-bob", "/alice/missing", BOB, 404, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    ("errdoc-to-admin", "/alice/adm/missing", EVIL, 404, ADMIN_BODY,
     ("nothing",), "!allowed"),
    # mod_rewrite in directory context (alice's .htaccess)
    ("rw-dir-bob-evil", "/alice/r1", EVIL, 200, BOB_BODY,
     ("refuse",), "disallowed"),
    ("rw-dir-bob-bob", "/alice/r1", BOB, 200, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    ("rw-dir-admin", "/alice/r2", EVIL, 200, ADMIN_BODY,
     ("nothing",), "!allowed"),
    ("rw-dir-server-status", "/alice/r3", EVIL, 200, "Apache Server Status",
     ("nothing",), "!allowed"),
    ("rw-dir-offdir-static", "/alice/r4", EVIL, 200, b"offdir static\n",
     ("untouched", {ACAO: [STATIC], ACAC: []}), "!allowed"),
    ("rw-dir-alias-evil", "/alice/r5", EVIL, 200, SHARED_BODY,
     ("refuse",), "disallowed"),
    ("rw-dir-alias-shared", "/alice/r5", SHARED, 200, SHARED_BODY,
     ("grant", SHARED, False), "allowed"),
    ("rw-dir-offcgi", "/alice/r6", EVIL, 200, b"backend body\n",
     ("untouched", CGI_OWN), "!allowed"),
    ("rw-dir-offproxy", "/alice/r7", EVIL, 200, b"backend body\n",
     ("untouched", BACKEND_OWN), "!allowed"),
    ("rw-dir-own", "/alice/r8", EVIL, 200, ALICE_BODY,
     ("grant", EVIL, True), "allowed"),
    # the other direction: bob's URL serving alice's content
    ("rw-dir-bob-to-alice-evil", "/bob/toalice", EVIL, 200, ALICE_BODY,
     ("grant", EVIL, True), "allowed"),
    ("rw-dir-bob-to-alice-bob", "/bob/toalice", BOB, 200, ALICE_BODY,
     ("refuse",), "disallowed"),
    # mod_rewrite in server context
    ("rw-srv-bob-evil", "/alice/s1", EVIL, 200, BOB_BODY,
     ("refuse",), "disallowed"),
    ("rw-srv-bob-bob", "/alice/s1", BOB, 200, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    ("rw-srv-pt-bob-evil", "/alice/s2", EVIL, 200, BOB_BODY,
     ("refuse",), "disallowed"),
    ("rw-srv-pt-bob-bob", "/alice/s2", BOB, 200, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    ("rw-srv-pt-admin", "/alice/s3", EVIL, 200, ADMIN_BODY,
     ("nothing",), "!allowed"),
    ("rw-srv-pt-alias-evil", "/alice/s4", EVIL, 200, SHARED_BODY,
     ("refuse",), "disallowed"),
    ("rw-srv-pt-alias-shared", "/alice/s4", SHARED, 200, SHARED_BODY,
     ("grant", SHARED, False), "allowed"),
    # mod_dir: DirectoryIndex
    # a CGI's local redirect (Location: /path, no status)
    ("cgi-local-redirect-evil", "/alicecgi/tobob", EVIL, 200, BOB_BODY,
     ("refuse",), "disallowed"),
    ("cgi-local-redirect-bob", "/alicecgi/tobob", BOB, 200, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    ("cgi-local-redirect-admin", "/alicecgi/toadmin", EVIL, 200, ADMIN_BODY,
     ("nothing",), "!allowed"),
    # mod_dir: DirectoryIndex (a fast internal redirect)
    ("dirindex-own", "/alice/", EVIL, 200, b"alice index\n",
     ("grant", EVIL, True), "allowed"),
    ("dirindex-to-bob-evil", "/alice/idx/", EVIL, 200, BOB_BODY,
     ("refuse",), "disallowed"),
    ("dirindex-to-bob-bob", "/alice/idx/", BOB, 200, BOB_BODY,
     ("grant", BOB, False), "allowed"),
    # errors httpd generates for the request itself: the request's policy
    ("error-string-errdoc", "/alice/missing2", EVIL, 404,
     "alice has no such thing", ("grant", EVIL, True), "allowed"),
    ("error-no-errdoc", "/alice/plain/missing", EVIL, 404, None,
     ("grant", EVIL, True), "allowed"),
]


def _access_note(srv, marked_path):
    pat = re.compile(r"^GET %s HTTP/1\.1 \d{3} cors=(\S*)$" % re.escape(marked_path),
                     re.M)
    wait_for(lambda: pat.search(srv.access_log()), timeout=3)
    found = pat.findall(srv.access_log())
    assert len(found) == 1, (marked_path, found, srv.access_log()[-2000:])
    return found[0]


def check_expect(r, expect):
    kind = expect[0]
    if kind == "grant":
        granted(r, expect[1], credentials=expect[2])
        assert r.header_all(ACAO) == [expect[1]], r
    elif kind == "refuse":
        not_granted(r)
    elif kind == "nothing":
        assert r.ac_headers() == [], "unexpected %r\n%r" % (r.ac_headers(), r)
    elif kind == "untouched":
        for name, values in expect[1].items():
            assert r.header_all(name) == values, (name, r)
        # nothing but what the source set
        want = {n.lower() for n, v in expect[1].items() if v}
        got = {k.lower() for k, _ in r.ac_headers()}
        assert want <= got, r
        assert EVIL not in [v for _, v in r.ac_headers()], r
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("path,origin,status,body,expect,note",
                         [c[1:] for c in ROUTES], ids=[c[0] for c in ROUTES])
def test_served_content_policy_decides(hosting, path, origin, status, body,
                                       expect, note):
    marked = "%s?u=%s" % (path, uniq())
    r = hosting.get(marked, origin)
    assert r.status == status, r
    if isinstance(body, bytes):
        assert r.body == body, r
    elif body is not None:
        assert body.encode() in r.body, r
    # alice's permissive policy never reaches content that is not hers
    if expect[0] != "grant" or expect[1] != EVIL:
        assert EVIL not in r.header_all(ACAO), r
        if expect[0] != "untouched":
            assert not r.has(ACAC), r
    check_expect(r, expect)
    if note is not None:
        got = _access_note(hosting, marked)
        if note == "!allowed":
            assert got != "allowed", (marked, got)
        else:
            assert got == note, (marked, got)


def test_preflight_for_missing_url_answered_by_its_scope(hosting):
    """A preflight for a missing URL of alice's is alice's to answer: it is
    answered before any handler, so no ErrorDocument runs."""
    r = hosting.request("OPTIONS", "/alice/missing-pf",
                        [("Origin", EVIL), ("Access-Control-Request-Method", "GET")])
    assert r.status == 204, r
    assert r.header(ACAO) == EVIL and r.header(ACAC) == "true", r


# ==========================================================================
# 3. Regular expressions in .htaccess
# ==========================================================================

RX_N = 200


@costly
def test_htaccess_regex_cost_like_setenvif(httpd):
    """200 CORSAllowOriginMatch lines cost a request at most 2x what 200
    ``SetEnvIf Origin`` lines with the same expressions cost, with and
    without an Origin header."""
    exprs = [r"^https://t%03d\.example(:[0-9]{1,5})?$" % i for i in range(1, RX_N + 1)]
    rx = "".join('CORSAllowOriginMatch "%s"\n' % e for e in exprs)
    env = "".join('SetEnvIf Origin "%s" T%03d\n' % (e, i)
                  for i, e in enumerate(exprs, 1))
    srv = httpd(TIME_LOG, files={"rx/f.txt": "f\n", "env/f.txt": "f\n"},
                htaccess={"rx": rx, "env": env}, loglevel="warn")
    # the expressions are in force
    r = srv.get("/rx/f.txt", "https://t200.example")
    assert r.header(ACAO) == "https://t200.example", r
    assert srv.get("/rx/f.txt", "https://t201.example").header(ACAO) is None

    nomatch = [("Origin", "https://nomatch.example")]
    med = measure(srv, {"rx-origin": ("GET", "/rx/f.txt", nomatch),
                        "env-origin": ("GET", "/env/f.txt", nomatch),
                        "rx-none": ("GET", "/rx/f.txt", []),
                        "env-none": ("GET", "/env/f.txt", [])}, rounds=15)
    with_o = med["rx-origin"] / med["env-origin"]
    without = med["rx-none"] / med["env-none"]
    _report(".htaccess 200 CORSAllowOriginMatch vs 200 SetEnvIf",
            us=med, ratio_with_origin=with_o, ratio_without_origin=without)
    assert with_o <= 2.0, "with Origin: %.1fx SetEnvIf (%r)" % (with_o, med)
    assert without <= 2.0, "without Origin: %.1fx SetEnvIf (%r)" % (without, med)


# ==========================================================================
# 4. CORSExposeHeaders * with credentials
# ==========================================================================

MANY_N = 20000
EXPOSE_MAX = 8192
NEVER_EXPOSED = {"cache-control", "content-language", "content-length",
                 "content-type", "expires", "last-modified", "pragma",
                 "set-cookie", "set-cookie2"}

EXPOSE_CONF = r"""
ScriptAlias /expcgi/ "{cgibin}/"
<Location /expcgi>
    CORSAllowOrigin https://app.example
    CORSAllowCredentials On
    CORSExposeHeaders *
</Location>
# the same names in the other header table too (mod_headers: headers_out;
# a CGI's fields: err_headers_out), in other spellings
<Location /expcgi/dup>
    Header set x-b "from mod_headers"
    Header set X-a "from mod_headers"
</Location>
"""

# The CGI copies a prepared header block, so that producing 20,000 fields
# costs the script nothing.
MANY_CGI = '#!/bin/sh\nexec cat "$DOCUMENT_ROOT/many.hdr"\n'
MANY_HDR = ("Content-Type: text/plain\r\nSet-Cookie: sid=1; HttpOnly\r\n"
            "Cache-Control: no-cache\r\n"
            + "".join("X-F%05d: v\r\n" % i for i in range(1, MANY_N + 1))
            + "\r\nmany\n").encode()
DUP_CGI = ("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-A: 1\\r\\n"
           "X-B: 2\\r\\nx-a: 3\\r\\nSet-Cookie: s=1\\r\\n\\r\\ndup\\n'\n")


@pytest.fixture(scope="module")
def expose_srv(httpd_module):
    return httpd_module(EXPOSE_CONF + TIME_LOG, files={"many.hdr": MANY_HDR},
                        cgi={"many": MANY_CGI, "dup": DUP_CGI}, loglevel="warn")


def expose_names(r):
    vals = r.header_all(ACEH)
    assert len(vals) == 1, "expected one %s, got %d" % (ACEH, len(vals))
    return vals[0], [t.strip() for t in vals[0].split(",") if t.strip()]


def test_expose_star_many_fields_bounded(expose_srv):
    r = expose_srv.get("/expcgi/many", APP)
    assert r.status == 200 and r.body == b"many\n", r.status
    granted(r, APP, credentials=True)
    value, names = expose_names(r)
    assert len(value.encode()) <= EXPOSE_MAX, len(value)
    present = {k.lower() for k, _ in r.headers}
    lower = [n.lower() for n in names]
    assert len(lower) == len(set(lower)), "a name listed twice"
    assert not set(lower) & NEVER_EXPOSED, value[:300]
    assert not [n for n in lower if n.startswith("access-control-")], value[:300]
    missing = [n for n in names if n.lower() not in present]
    assert not missing, "listed but not in the response: %r" % missing[:10]
    fields = [n for n in lower if re.match(r"^x-f\d{5}$", n)]
    assert len(fields) >= 16, "too few of the response's names: %r" % value[:300]


def test_expose_star_duplicate_names_once(expose_srv):
    """X-A, X-B and x-a from the CGI, x-b and X-a from mod_headers: each
    name listed once, whatever its spelling and table."""
    r = expose_srv.get("/expcgi/dup", APP)
    assert r.status == 200 and r.body == b"dup\n", r
    sent = [k.lower() for k, _ in r.headers]
    assert sent.count("x-b") == 2, r  # both tables reached the wire
    granted(r, APP, credentials=True)
    _, names = expose_names(r)
    lower = [n.lower() for n in names]
    assert lower.count("x-a") == 1, names
    assert lower.count("x-b") == 1, names
    assert len(lower) == len(set(lower)), names
    assert not set(lower) & NEVER_EXPOSED, names


@costly
def test_expose_star_many_fields_cost(expose_srv):
    """The policy costs the 20,000-field response at most 3x what the same
    CGI costs outside any policy."""
    o = [("Origin", APP)]

    def check(name, r):
        assert r.status == 200 and r.body == b"many\n"
        assert r.has(ACEH) == (name == "policy")

    med = measure(expose_srv, {"policy": ("GET", "/expcgi/many", o),
                               "none": ("GET", "/cgi-bin/many", o)},
                  rounds=9, warm=1, check=check)
    ratio = med["policy"] / med["none"]
    _report("CORSExposeHeaders * 20000 fields, policy vs none", us=med,
            ratio=ratio)
    assert ratio <= 3.0, "%.1fx (%r)" % (ratio, med)


# ==========================================================================
# 5. WebSockets: CORSWebSocketOrigin
# ==========================================================================

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


class WSBackend:
    """A tiny WebSocket server on 127.0.0.1: answers every handshake with
    101 (and an Access-Control-Allow-Origin of its own), records it, then
    echoes whatever bytes come until the peer closes."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handshakes = []  # (method, path, {lower-case name: value})
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(15)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                c = conn.recv(4096)
                if not c or len(data) > 65536:
                    return
                data += c
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
            with self.lock:
                self.handshakes.append((method, path, headers))
            key = headers.get("sec-websocket-key")
            if headers.get("upgrade", "").lower() != "websocket" or not key:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
                return
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n"
                          "Access-Control-Allow-Origin: https://backend.example\r\n"
                          "\r\n" % ws_accept(key)).encode())
            if rest:
                conn.sendall(rest)
            while True:
                c = conn.recv(4096)
                if not c:
                    return
                conn.sendall(c)
        except OSError:
            pass
        finally:
            conn.close()

    def seen(self, token):
        """The handshakes whose path holds token."""
        with self.lock:
            return [h for h in self.handshakes if token in h[1]]

    def close(self):
        self.stopping.set()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def ws_backend():
    b = WSBackend()
    yield b
    b.close()


class WSResult:
    def __init__(self, status, headers, echo):
        self.status = status
        self.headers = headers
        self.echo = echo

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<WS %s %r echo=%r>" % (self.status, self.headers, self.echo)


def ws_handshake(srv, path, origin=None):
    """One WebSocket opening handshake over HTTP/1.1; after a 101, sends a
    few bytes and reads them back through the tunnel."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % srv.port,
             "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append("Origin: " + origin)
    timeout = REQUEST_TIMEOUT
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    try:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in data:
            c = s.recv(4096)
            if not c:
                break
            data += c
            assert time.monotonic() < deadline, "no answer in time"
        head, _, rest = data.partition(b"\r\n\r\n")
        hl = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.1 (\d{3})", hl[0])
        assert m, "bad answer: %r" % data[:300]
        headers = []
        for ln in hl[1:]:
            k, _, v = ln.partition(":")
            headers.append((k.strip(), v.strip()))
        status = int(m.group(1))
        echo = None
        if status == 101:
            acc = [v for k, v in headers if k.lower() == "sec-websocket-accept"]
            assert acc == [ws_accept(key)], headers
            probe = b"ws-probe-" + key.encode()
            s.sendall(probe)
            echo = rest
            while len(echo) < len(probe):
                c = s.recv(4096)
                if not c:
                    break
                echo += c
        return WSResult(status, headers, echo)
    finally:
        s.close()


WS_CONF = r"""
ProxyWebsocketFallbackToProxyHttp Off
ProxyPass /ws/ ws://127.0.0.1:@WS@/
ProxyPass /ws2/ http://127.0.0.1:@WS@/ upgrade=websocket
ProxyPass /wsm/ ws://127.0.0.1:@WS@/
<Location /ws/>
    CORSAllowOrigin https://app.example
    CORSWebSocketOrigin On
</Location>
<Location /ws2/>
    CORSAllowOrigin https://app.example
    CORSWebSocketOrigin On
</Location>
<Location /wsm/>
    CORSAllowOrigin https://app.example
    CORSWebSocketOrigin On
</Location>
<Location /wsm/off/>
    CORSWebSocketOrigin Off
</Location>
"""

# The same backends without the directive: its default.
WS_DEFAULT_CONF = r"""
ProxyWebsocketFallbackToProxyHttp Off
ProxyPass /wsdef/ ws://127.0.0.1:@WS@/
ProxyPass /wsdef2/ http://127.0.0.1:@WS@/ upgrade=websocket
<Location /wsdef/>
    CORSAllowOrigin https://app.example
</Location>
<Location /wsdef2/>
    CORSAllowOrigin https://app.example
</Location>
"""

WS_HT = {"wsht": "CORSAllowOrigin https://app.example\nCORSWebSocketOrigin On\n",
         "wshtdef": "CORSAllowOrigin https://app.example\n"}
WS_FILES = {"wsht/f.txt": "static\n", "wshtdef/f.txt": "static\n"}


@pytest.fixture(scope="module")
def ws_srv(httpd_module, ws_backend):
    return httpd_module(WS_CONF.replace("@WS@", str(ws_backend.port)),
                        files=WS_FILES, htaccess=WS_HT,
                        extra_modules=["proxy_wstunnel"])


@pytest.fixture(scope="module")
def ws_default_srv(httpd_module, ws_backend):
    return httpd_module(WS_DEFAULT_CONF.replace("@WS@", str(ws_backend.port)),
                        extra_modules=["proxy_wstunnel"])


def assert_tunnel(res, backend, token, origin):
    assert res.status == 101, res
    assert res.echo and res.echo.startswith(b"ws-probe-"), res
    got = backend.seen(token)
    assert len(got) == 1, got
    if origin is None:
        assert "origin" not in got[0][2], got
    else:
        assert got[0][2].get("origin") == origin, got


def assert_refused_before_backend(res, backend, token):
    assert res.status == 403, res
    assert backend.seen(token) == [], "the backend was contacted"
    assert "https://backend.example" not in res.header_all(ACAO), res


@pytest.mark.parametrize("prefix", ["/ws/", "/ws2/"], ids=["wstunnel", "proxy_http"])
def test_websocket_disallowed_origin_403_before_backend(ws_srv, ws_backend, prefix):
    token = "t" + uniq()
    res = ws_handshake(ws_srv, prefix + token, EVIL)
    assert_refused_before_backend(res, ws_backend, token)


@pytest.mark.parametrize("prefix", ["/ws/", "/ws2/"], ids=["wstunnel", "proxy_http"])
def test_websocket_malformed_origin_403_before_backend(ws_srv, ws_backend, prefix):
    token = "t" + uniq()
    res = ws_handshake(ws_srv, prefix + token, "null")
    assert_refused_before_backend(res, ws_backend, token)


@pytest.mark.parametrize("prefix", ["/ws/", "/ws2/"], ids=["wstunnel", "proxy_http"])
def test_websocket_allowed_origin_passes(ws_srv, ws_backend, prefix):
    token = "t" + uniq()
    assert_tunnel(ws_handshake(ws_srv, prefix + token, APP), ws_backend, token, APP)


@pytest.mark.parametrize("prefix", ["/ws/", "/ws2/"], ids=["wstunnel", "proxy_http"])
def test_websocket_without_origin_passes(ws_srv, ws_backend, prefix):
    token = "t" + uniq()
    assert_tunnel(ws_handshake(ws_srv, prefix + token), ws_backend, token, None)


def test_websocket_origin_inherited_and_switched_off_below(ws_srv, ws_backend):
    token = "t" + uniq()
    assert_refused_before_backend(
        ws_handshake(ws_srv, "/wsm/in/" + token, EVIL), ws_backend, token)
    token = "t" + uniq()
    assert_tunnel(ws_handshake(ws_srv, "/wsm/off/" + token, EVIL), ws_backend,
                  token, EVIL)


def test_websocket_origin_in_htaccess(ws_srv):
    """Allowed where the other CORS directives are: in .htaccess too."""
    assert ws_handshake(ws_srv, "/wsht/f.txt", EVIL).status == 403
    assert ws_handshake(ws_srv, "/wsht/f.txt", APP).status == 200
    assert ws_handshake(ws_srv, "/wsht/f.txt").status == 200
    assert ws_handshake(ws_srv, "/wshtdef/f.txt", EVIL).status == 200


def test_websocket_plain_request_not_affected(ws_srv):
    """Without Upgrade, the directive changes nothing: an actual request
    from a disallowed origin is answered, without a grant."""
    r = ws_srv.get("/wsht/f.txt", EVIL)
    assert r.status == 200, r
    not_granted(r)


@pytest.mark.parametrize("prefix", ["/wsdef/", "/wsdef2/"],
                         ids=["wstunnel", "proxy_http"])
def test_websocket_origin_default_off(ws_default_srv, ws_backend, prefix):
    """The default is Off: a policy alone does not refuse a handshake from
    an origin it does not allow (browsers do not apply CORS to
    WebSockets)."""
    token = "t" + uniq()
    assert_tunnel(ws_handshake(ws_default_srv, prefix + token, EVIL),
                  ws_backend, token, EVIL)


def test_websocket_origin_bad_value_is_config_error():
    rc, out = configtest("<Location /x>\n    CORSAllowOrigin https://app.example\n"
                         "    CORSWebSocketOrigin Maybe\n</Location>\n")
    assert rc != 0, out
    assert "Invalid command" not in out, out
    assert "CORSWebSocketOrigin" in out and "Maybe" in out, out


@pytest.mark.parametrize("conf", [
    "CORSWebSocketOrigin On\n",
    "CORSWebSocketOrigin off\n",
    "<Location /x>\n    CORSWebSocketOrigin On\n</Location>\n",
    '<Directory "{docroot}/x">\n    CORSWebSocketOrigin Off\n</Directory>\n',
], ids=["server-on", "server-off", "location", "directory"])
def test_websocket_origin_accepted_where_cors_directives_are(conf):
    rc, out = configtest(conf)
    assert rc == 0, out
