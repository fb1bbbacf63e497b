# SPDX-License-Identifier: Apache-2.0
"""CORSAllowOriginMap: origins from a txt: file, a dbm: file or Redis,
changed while httpd runs (docs/mod_cors.md, "Origin maps").

Files are republished by atomic rename, as the manual recommends; the
check interval is 1 s and the Redis cache time 1 s to keep waits short.
Redis tests start Debian's redis-server on a free loopback port with a
data directory of their own (skipped where it is not installed)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import conftest
from conftest import configtest, free_port

MPMS = ["event", "prefork"]


def grant(srv, origin, path="/index.html", method="GET"):
    r = srv.request(method, path, {"Origin": origin})
    assert r.status == 200, r
    got = r.header("Access-Control-Allow-Origin")
    assert got in (None, origin), r
    return got == origin


def publish(path, text):
    """Writes text beside path and renames it over path (atomic)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def until(pred, timeout=6.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


def settled(srv, origin, want, n=12):
    """n requests in a row (every process of the server) agree."""
    return all(grant(srv, origin) == want for _ in range(n))


def txt_conf(spec="txt:htdocs/maps/origins.txt", extra=""):
    return """
CORSMapCheckInterval 1
%s
<Directory "{docroot}">
    CORSAllowOrigin https://static.example
    CORSAllowOriginMap %s
    CORSAllowOriginMatch ^https://re-[a-z]+\\.example$
</Directory>
""" % (extra, spec)


FILES = {"index.html": "hello\n"}


def map_files(text):
    f = dict(FILES)
    f["maps/origins.txt"] = text
    return f


@pytest.mark.parametrize("mpm", MPMS)
def test_txt_replaced_while_requests_run(httpd, mpm):
    srv = httpd(txt_conf(), files=map_files(
        "# tenants\nhttps://a.example\n\nhttps://*.wild.example\n"
        "http://any.example:*\n"), mpm=mpm)
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    assert grant(srv, "https://a.example")
    assert grant(srv, "https://x.wild.example")
    assert grant(srv, "http://any.example:8080")
    assert grant(srv, "https://static.example")
    assert grant(srv, "https://re-abc.example")
    assert not grant(srv, "https://b.example")

    # Requests run while the file changes: none fails, and each one's
    # verdict is that of the version before or the version after.
    failures = []
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            for origin, ok in (("https://a.example", True),
                               ("https://b.example", True),
                               ("https://c.example", False)):
                try:
                    r = srv.request("GET", "/index.html", {"Origin": origin})
                    g = r.header("Access-Control-Allow-Origin")
                    # a and b: either version's verdict; c: never granted
                    if r.status != 200 or g not in (None, origin) or \
                            (g is not None and not ok):
                        failures.append((origin, r.status, g))
                except Exception as e:  # noqa: BLE001 - recorded, asserted below
                    failures.append((origin, repr(e)))

    t = threading.Thread(target=traffic)
    t.start()
    try:
        start = time.monotonic()
        publish(path, "https://b.example\n")
        assert until(lambda: settled(srv, "https://b.example", True)), \
            "new origin not allowed"
        assert settled(srv, "https://a.example", False), "removed origin kept"
        assert time.monotonic() - start < 4.0
    finally:
        stop.set()
        t.join()
    assert not failures, failures[:5]
    # The other rules of the scope are unaffected.
    assert grant(srv, "https://static.example")
    assert grant(srv, "https://re-abc.example")
    assert "new version in force (1 values)" in srv.error_log()


@pytest.mark.parametrize("mpm", MPMS)
def test_txt_invalid_version_keeps_the_old(httpd, mpm):
    srv = httpd(txt_conf(), files=map_files("https://a.example\n"), mpm=mpm)
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    publish(path, "https://b.example\n# two\nhttps://bad.example/\n")
    assert until(lambda: "AH99402" in srv.error_log())
    time.sleep(2.5)  # more intervals: logged once per version and process
    log = srv.error_log()
    lines = [l for l in log.splitlines() if "AH99402" in l]
    assert 1 <= len(lines) <= 4, lines
    assert "origins.txt:3: 'https://bad.example/': an origin has no path" in lines[0]
    assert settled(srv, "https://a.example", True)
    assert settled(srv, "https://b.example", False)
    # A good version after it is taken.
    publish(path, "https://b.example\n")
    assert until(lambda: settled(srv, "https://b.example", True))


def test_txt_star_and_public_suffix_refused(httpd):
    srv = httpd(txt_conf(), files=map_files("https://a.example\n"))
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    publish(path, "*\n")
    assert until(lambda: "'*' cannot be in a map" in srv.error_log())
    publish(path, "https://*.github.io\n")
    assert until(lambda: "public suffix" in srv.error_log())
    assert settled(srv, "https://a.example", True)


def test_txt_missing_file_keeps_the_last_version(httpd):
    srv = httpd(txt_conf(), files=map_files("https://a.example\n"))
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    os.unlink(path)
    assert until(lambda: "AH99403" in srv.error_log())
    time.sleep(2.2)
    lines = [l for l in srv.error_log().splitlines() if "AH99403" in l]
    assert 1 <= len(lines) <= 2, lines  # once per process
    assert "missing or unreadable" in lines[0]
    assert settled(srv, "https://a.example", True)
    publish(path, "https://b.example\n")
    assert until(lambda: settled(srv, "https://b.example", True))
    assert settled(srv, "https://a.example", False)


def test_decision_log_and_note_name_the_map(httpd):
    srv = httpd(txt_conf(extra='LogFormat "%{cors}n" mapnote\n'
                         'CustomLog "{root}/logs/map.log" mapnote') + """
<Directory "{docroot}/r">
    <CORSRule app>
        CORSAllowOriginMap txt:htdocs/maps/origins.txt
    </CORSRule>
</Directory>
""", files=dict(map_files("https://a.example\n"), **{"r/index.html": "r\n"}))
    assert grant(srv, "https://a.example")
    assert grant(srv, "https://static.example")
    assert grant(srv, "https://a.example", path="/r/index.html")
    r = srv.request("OPTIONS", "/index.html", {
        "Origin": "https://a.example", "Access-Control-Request-Method": "GET"})
    assert r.status == 204
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    assert until(lambda: "allowed: origin 'https://a.example': map txt:%s" % path
                 in srv.error_log())
    srv.stop()
    with open(os.path.join(srv.root, "logs", "map.log")) as f:
        lines = [l.strip() for l in f if l.strip() != "-"]
    assert lines == ["allowed map=txt:%s" % path, "allowed",
                     "allowed rule=app map=txt:%s" % path,
                     "preflight-allowed map=txt:%s" % path], lines


def test_no_start_up_warning(httpd):
    # A section whose origins are a map alone has origins; the CORSMap*
    # settings are no policy of a section.
    srv = httpd("""
CORSMapCheckInterval 1
CORSMapCacheTime 1
<Directory "{docroot}">
    CORSAllowOriginMap txt:htdocs/maps/origins.txt
    CORSAllowMethods GET PUT
</Directory>
""", files=map_files("https://a.example\n"))
    assert grant(srv, "https://a.example")
    assert "AH99302" not in srv.error_log()


def test_info_lists_the_map(httpd):
    srv = httpd(txt_conf() + """
<Location "/cors-info">
    SetHandler cors-info
</Location>
""", files=map_files("https://a.example\n"))
    r = srv.request("GET", "/cors-info?uri=/index.html&origin=https://a.example")
    assert b"map txt:htdocs/maps/origins.txt" in r.body, r.body[:2000]


STARTUP_BAD = [
    # (file content or None: missing, spec, what the message says)
    (None, "txt:htdocs/maps/origins.txt",
     [r"CORSAllowOriginMap", r"txt:htdocs/maps/origins.txt", r"cannot open",
      r"create an empty one"]),
    ("https://a.example\nhttps://a.example/x\n", "txt:htdocs/maps/origins.txt",
     [r"origins.txt:2: 'https://a.example/x': an origin has no path"]),
    ("null\n", "txt:htdocs/maps/origins.txt", [r":1: 'null': the 'null' origin"]),
    ("*\n", "txt:htdocs/maps/origins.txt", [r"'\*' cannot be in a map"]),
    ("x\n", "csv:htdocs/maps/origins.txt", [r"unknown map type"]),
    ("x\n", "dbm=nosuch:htdocs/maps/origins.txt", [r"unknown DBM type 'nosuch'"]),
    ("x\n", "dbm:htdocs/maps/none", [r"no such DBM file"]),
    ("x\n", "redis://", [r"expected redis://host"]),
]


@pytest.mark.parametrize("content,spec,says", STARTUP_BAD)
def test_startup_errors(content, spec, says):
    files = dict(FILES)
    if content is not None:
        files["maps/origins.txt"] = content
    rc, out = configtest(txt_conf(spec), files=files)
    assert rc != 0, out
    assert "CORSAllowOriginMap" in out, out
    for s in says:
        assert re.search(s, out), (s, out)


@pytest.mark.parametrize("conf,says", [
    ("CORSMapCheckInterval 0", "CORSMapCheckInterval: '0': seconds from 1"),
    ("CORSMapCacheTime -1", "CORSMapCacheTime: '-1': seconds from 0"),
    ("CORSMapTimeout 1s", "CORSMapTimeout: '1s': milliseconds from 1"),
    ('<Directory "{docroot}">\nCORSMapTimeout 10\n</Directory>', "not allowed in <Directory> context"),
])
def test_setting_errors(conf, says):
    rc, out = configtest(conf, files=FILES)
    assert rc != 0 and says in out, out


def test_not_in_htaccess(httpd):
    srv = httpd("", files=map_files("https://a.example\n"),
                htaccess={"": "CORSAllowOriginMap txt:htdocs/maps/origins.txt\n"})
    r = srv.request("GET", "/index.html", {"Origin": "https://a.example"})
    assert r.status == 500
    assert "CORSAllowOriginMap not allowed here" in srv.error_log()


# ---- dbm: ---------------------------------------------------------------

HTTXT2DBM = shutil.which("httxt2dbm") or "/usr/sbin/httxt2dbm"


def build_dbm(out, origins, fmt=None):
    """httxt2dbm into a new name, then renamed over out (for sdbm, the two
    files one after the other)."""
    d = tempfile.mkdtemp(dir=os.path.dirname(out))
    src = os.path.join(d, "src.txt")
    with open(src, "w") as f:
        for o in origins:
            f.write("%s 1\n" % o)
    cmd = [HTTXT2DBM, "-i", src, "-o", os.path.join(d, "new")]
    if fmt:
        cmd[1:1] = ["-f", fmt]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    for name in sorted(os.listdir(d)):
        if name.startswith("new"):
            os.chmod(os.path.join(d, name), 0o644)
            os.rename(os.path.join(d, name), out + name[3:])
    shutil.rmtree(d)


@pytest.mark.skipif(not os.path.exists(HTTXT2DBM), reason="no httxt2dbm")
@pytest.mark.parametrize("mpm,fmt,spec", [
    ("event", None, "dbm"), ("prefork", None, "dbm"),
    ("event", "SDBM", "dbm=sdbm")])
def test_dbm_built_with_httxt2dbm_and_replaced(httpd, mpm, fmt, spec):
    conf = txt_conf("%s:htdocs/maps/origins" % spec)
    files = dict(FILES)
    files["maps/.keep"] = ""
    # The DBM must exist before httpd starts: built aside, then copied in.
    tmp = tempfile.mkdtemp(prefix="cors-dbm-")
    try:
        build_dbm(os.path.join(tmp, "origins"),
                  ["https://a.example", "https://a.example:8443"], fmt)
        for name in os.listdir(tmp):
            with open(os.path.join(tmp, name), "rb") as f:
                files["maps/" + name] = f.read()
    finally:
        shutil.rmtree(tmp)
    srv = httpd(conf, files=files, mpm=mpm)
    out = os.path.join(srv.docroot, "maps", "origins")
    assert grant(srv, "https://a.example")
    assert grant(srv, "https://a.example:8443")
    assert not grant(srv, "https://b.example")
    assert grant(srv, "https://static.example")
    assert grant(srv, "https://re-x.example")
    build_dbm(out, ["https://b.example"], fmt)
    assert until(lambda: settled(srv, "https://b.example", True))
    assert settled(srv, "https://a.example", False)
    assert "map dbm" in srv.error_log()


# ---- redis: -------------------------------------------------------------

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(not REDIS, reason="redis-server not installed")


class Redis:
    """A redis-server of the test's own on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cors-redis-")
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert until(self._up, timeout=10), "redis-server did not start"

    def _up(self):
        try:
            return self.cmd("PING") == "+PONG"
        except OSError:
            return False

    def cmd(self, *args):
        """One command in RESP; the first line of the reply."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        try:
            req = "*%d\r\n" % len(args) + "".join(
                "$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)
            s.sendall(req.encode())
            data = b""
            while b"\r\n" not in data:
                c = s.recv(4096)
                if not c:
                    break
                data += c
            return data.split(b"\r\n")[0].decode()
        finally:
            s.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.resume()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def redis():
    r = Redis()
    yield r
    r.close()


def redis_conf(port, prefix=""):
    return """
CORSMapCacheTime 1
CORSMapTimeout 100
<Directory "{docroot}">
    CORSAllowOrigin https://static.example
    CORSAllowOriginMap redis://127.0.0.1:%d%s
</Directory>
""" % (port, prefix)


@needs_redis
@pytest.mark.parametrize("mpm", MPMS)
def test_redis_keys_added_and_removed(httpd, redis, mpm):
    redis.cmd("SET", "cors:origin:https://a.example", "1")
    srv = httpd(redis_conf(redis.port), files=FILES, mpm=mpm)
    assert grant(srv, "https://a.example")
    assert not grant(srv, "https://b.example")
    redis.cmd("SET", "cors:origin:https://b.example", "1")
    redis.cmd("DEL", "cors:origin:https://a.example")
    # Cached answers (1 s) expire, then Redis decides.
    assert until(lambda: settled(srv, "https://b.example", True), timeout=4)
    assert until(lambda: settled(srv, "https://a.example", False), timeout=4)
    assert grant(srv, "https://static.example")
    assert "map redis://127.0.0.1:%d/cors:origin:" % redis.port in srv.error_log()


@needs_redis
def test_redis_prefix(httpd, redis):
    redis.cmd("SET", "tenants/https://a.example", "x")
    redis.cmd("SET", "cors:origin:https://b.example", "x")
    srv = httpd(redis_conf(redis.port, "/tenants/"), files=FILES)
    assert grant(srv, "https://a.example")
    assert not grant(srv, "https://b.example")


@needs_redis
def test_redis_down_fails_closed_and_recovers(httpd, redis):
    redis.cmd("SET", "cors:origin:https://a.example", "1")
    redis.cmd("SET", "cors:origin:https://b.example", "1")
    srv = httpd(redis_conf(redis.port), files=FILES)
    assert settled(srv, "https://a.example", True)
    redis.stop()
    # Cached positives serve until they expire (1 s); then fail closed,
    # fast; other rules unaffected.
    time.sleep(1.2)
    for _ in range(10):
        t = time.monotonic()
        assert not grant(srv, "https://b.example")
        assert not grant(srv, "https://a.example")
        assert time.monotonic() - t < 1.0
    assert grant(srv, "https://static.example")
    assert until(lambda: "AH99405" in srv.error_log(), timeout=6)
    # At most once per CORSMapCheckInterval (5 s) and process.
    assert len(re.findall("AH99405", srv.error_log())) <= 4
    redis.start()
    redis.cmd("SET", "cors:origin:https://a.example", "1")
    assert until(lambda: settled(srv, "https://a.example", True), timeout=6)


@needs_redis
def test_redis_answers_cached(httpd, redis):
    # Answers, positive and negative, serve for CORSMapCacheTime: through
    # an outage for the positive ones.
    redis.cmd("SET", "cors:origin:https://a.example", "1")
    srv = httpd(redis_conf(redis.port).replace("CORSMapCacheTime 1",
                                               "CORSMapCacheTime 60"),
                files=FILES)
    assert settled(srv, "https://a.example", True)
    assert settled(srv, "https://c.example", False)
    redis.cmd("SET", "cors:origin:https://c.example", "1")
    assert settled(srv, "https://c.example", False)  # cached "no"
    redis.stop()
    assert settled(srv, "https://a.example", True)  # cached "yes"
    assert not grant(srv, "https://d.example")


@needs_redis
def test_redis_slow_bounded_wait(httpd, redis):
    redis.cmd("SET", "cors:origin:https://a.example", "1")
    srv = httpd(redis_conf(redis.port), files=FILES)
    assert grant(srv, "https://a.example")
    redis.pause()
    try:
        time.sleep(1.2)  # the cached answer expires
        worst = 0.0
        for i in range(8):
            t = time.monotonic()
            assert not grant(srv, "https://n%d.example" % i)
            worst = max(worst, time.monotonic() - t)
        # CORSMapTimeout 100 ms, and a second try on a new connection
        assert worst < 0.6, worst
    finally:
        redis.resume()
    assert until(lambda: settled(srv, "https://a.example", True), timeout=6)


# ---- processes that come and go -----------------------------------------

multi = pytest.mark.skipif(conftest.ONE_PROCESS,
                           reason="needs several processes (not under -X)")


@multi
def test_recycled_prefork_children(httpd):
    # Each child serves 3 connections, then exits: its reload thread is
    # stopped and joined with it; new children start with the map in force.
    srv = httpd(txt_conf(extra="MaxConnectionsPerChild 3"),
                files=map_files("https://a.example\n"), mpm="prefork")
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    for _ in range(15):
        assert grant(srv, "https://a.example")
    publish(path, "https://b.example\n")
    assert until(lambda: settled(srv, "https://b.example", True))
    for _ in range(15):
        assert grant(srv, "https://b.example")
        assert not grant(srv, "https://a.example")


@multi
@pytest.mark.parametrize("mpm", MPMS)
def test_graceful_restart(httpd, mpm):
    srv = httpd(txt_conf(), files=map_files("https://a.example\n"), mpm=mpm)
    path = os.path.join(srv.docroot, "maps", "origins.txt")
    assert grant(srv, "https://a.example")
    publish(path, "https://b.example\n")
    os.kill(srv.proc.pid, signal.SIGUSR1)
    assert until(lambda: settled(srv, "https://b.example", True), timeout=10)
    assert settled(srv, "https://a.example", False)


def test_outside_rules_refused():
    rc, out = configtest("""
<Directory "{docroot}">
    <CORSRule app>
        CORSAllowOrigin https://app.example
    </CORSRule>
    CORSAllowOriginMap txt:htdocs/maps/origins.txt
</Directory>
""", files=map_files("https://a.example\n"))
    assert rc != 0 and "CORSAllowOriginMap" in out and "inside a <CORSRule>" in out, out
