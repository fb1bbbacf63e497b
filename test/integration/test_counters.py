# SPDX-License-Identifier: Apache-2.0
"""The counters mod_cors shows in server-status (mod_status): one count per
response with Origin in a scope with a policy, by verdict, summed over every
process and thread (shared memory, atomic increments), kept across graceful
restarts.  ``?auto`` has one ``CORSName: N`` line per counter; the HTML page
a mod_cors section.
"""
import concurrent.futures
import http.client
import os
import re
import signal
import time

import pytest

import conftest
from cors_helpers import ORIGIN, OTHER

CONF = """
<Location /api/>
CORSAllowOrigin %(o)s
CORSAllowMethods PUT
</Location>
<Location /server-status>
SetHandler server-status
Require ip 127.0.0.1
</Location>
LogFormat "%%P %%{cors}n" pids
CustomLog "{root}/logs/pids.log" pids
""" % {"o": ORIGIN}

FILES = {"api/f.txt": "api body\n", "free/f.txt": "free body\n",
         "ro/f.txt": "report-only body\n"}
NAMES = ["CORSAllowed", "CORSDisallowed", "CORSPreflightAllowed",
         "CORSPreflightRefused", "CORSReportOnlyDiffers"]

# (how many, method, path, headers, expected status, counter or None)
MIX = [
    (7, "GET", "/api/f.txt", {"Origin": ORIGIN}, 200, "CORSAllowed"),
    (5, "GET", "/api/f.txt", {"Origin": OTHER}, 200, "CORSDisallowed"),
    (4, "OPTIONS", "/api/f.txt", {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
     204, "CORSPreflightAllowed"),
    (3, "OPTIONS", "/api/f.txt", {"Origin": OTHER, "Access-Control-Request-Method": "PUT"},
     403, "CORSPreflightRefused"),
    (6, "GET", "/api/f.txt", {}, 200, None),  # no Origin
    (2, "GET", "/free/f.txt", {"Origin": ORIGIN}, 200, None),  # no policy
]
CONNECTIONS = 4  # parallel keep-alive connections

multi = pytest.mark.skipif(conftest.ONE_PROCESS,
                           reason="needs several processes (not -X)")


def expected(rounds=1):
    want = dict.fromkeys(NAMES, 0)
    for n, _, _, _, _, name in MIX:
        if name:
            want[name] += n * rounds
    return want


def auto(srv):
    """The ?auto report as {name: value}."""
    r = srv.request("GET", "/server-status?auto")
    assert r.status == 200, r
    return dict(re.findall(r"(?m)^([A-Za-z]+): (.*)$", r.body.decode("latin-1")))


def counts(srv):
    a = auto(srv)
    return {n: int(a[n]) for n in NAMES if n in a}


def send_mix(srv):
    """MIX over CONNECTIONS keep-alive connections at once, each request
    on the connection its number picks, so that every connection (and the
    process or thread serving it) answers some of every kind."""
    work = [(m, p, h, st) for n, m, p, h, st, _ in MIX for _ in range(n)]
    barrier = conftest.threading.Barrier(CONNECTIONS)

    def one(i):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=conftest.REQUEST_TIMEOUT)
        try:
            c.connect()
            barrier.wait(timeout=conftest.REQUEST_TIMEOUT)  # all open at once
            for m, p, h, st in work[i::CONNECTIONS]:
                c.request(m, p, headers=h)
                r = c.getresponse()
                r.read()
                assert r.status == st, (m, p, h, r.status)
                time.sleep(0.01)
        finally:
            c.close()

    with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as ex:
        for f in [ex.submit(one, i) for i in range(CONNECTIONS)]:
            f.result()


def pids_that_counted(srv):
    """The processes that logged a CORS verdict (pids.log: %P %{cors}n)."""
    with open(os.path.join(srv.logdir, "pids.log")) as f:
        return {ln.split()[0] for ln in f if ln.split()[1:] != ["-"]}


def start(httpd, mpm, conf=""):
    return httpd(CONF + conf, files=FILES, extra_modules=["status"], loglevel="warn", mpm=mpm)


def test_zero_at_start_and_auto_lines(httpd):
    srv = start(httpd, "event")
    assert counts(srv) == dict.fromkeys(NAMES, 0)
    body = srv.request("GET", "/server-status?auto").body.decode()
    for n in NAMES:
        assert re.search(r"(?m)^%s: 0$" % n, body), body


def test_html_has_a_mod_cors_section(httpd):
    srv = start(httpd, "event")
    srv.get("/api/f.txt", origin=ORIGIN)
    r = srv.request("GET", "/server-status")
    assert r.status == 200
    html = r.body.decode()
    assert "<h2>mod_cors</h2>" in html
    assert re.search(r"<td>allowed \(CORSAllowed\)</td><td>1</td>", html), html
    for n in NAMES:
        assert "(%s)" % n in html


@multi
@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_counts_summed_over_processes_and_threads(httpd, mpm):
    # event: two processes of 10 threads; prefork: 4 processes at most, one
    # per connection held open
    srv = start(httpd, mpm, "StartServers 2\n")
    send_mix(srv)
    assert counts(srv) == expected()
    if mpm == "prefork":
        assert len(pids_that_counted(srv)) > 1, "one process served every request"


@multi
@pytest.mark.parametrize("mpm,sig", [("event", "SIGUSR1"), ("prefork", "SIGUSR1"),
                                     ("prefork", "SIGHUP")])
def test_counts_survive_restart(httpd, mpm, sig):
    # SIGUSR1: graceful restart; SIGHUP: restart, the parent stays too.
    # SIGHUP under prefork: event children take a SIGHUP restart as they take
    # SIGTERM, and now and then crash in httpd's own close_worker_sockets()
    # race right after a request (see stop_workers in bench/benchlib.py);
    # the counters live in the parent's shared memory whatever the MPM.
    srv = start(httpd, mpm, "StartServers 2\n")
    send_mix(srv)
    assert counts(srv) == expected()
    gen = auto(srv).get("ParentServerConfigGeneration")
    os.kill(srv.proc.pid, getattr(signal, sig))
    deadline = time.monotonic() + conftest.START_TIMEOUT
    while True:
        try:
            a = auto(srv)
            if a.get("ParentServerConfigGeneration") != gen:
                break
        except (OSError, AssertionError):
            pass
        assert time.monotonic() < deadline, "no answer after the graceful restart"
        time.sleep(0.1)
    assert counts(srv) == expected(), "counts lost in the restart"
    send_mix(srv)
    assert counts(srv) == expected(2)


def test_without_mod_status_nothing_breaks(httpd):
    srv = httpd(CONF.split("<Location /server-status>")[0], files=FILES)
    r = srv.get("/api/f.txt", origin=ORIGIN)
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") == ORIGIN


def test_report_only_differences_counted(httpd):
    # ReportOnly changes nothing: a response whose fields differ from what
    # the policy would send is counted once - with or without Origin (the
    # policy would send no Access-Control-Allow-Origin without one).
    srv = start(httpd, "event", conf="""
<Location /ro/>
CORSEngine ReportOnly
CORSAllowOrigin %s
Header always set Access-Control-Allow-Origin "*"
</Location>
""" % ORIGIN)
    for _ in range(3):
        r = srv.request("GET", "/ro/f.txt", {"Origin": ORIGIN})
        assert r.status == 200 and r.header("Access-Control-Allow-Origin") == "*", r
    r = srv.request("GET", "/ro/f.txt")
    assert r.header("Access-Control-Allow-Origin") == "*", r
    r = srv.request("GET", "/api/f.txt", {"Origin": ORIGIN})  # enforced: same
    assert counts(srv)["CORSReportOnlyDiffers"] == 4
