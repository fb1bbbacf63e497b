# SPDX-License-Identifier: Apache-2.0
"""Checks of the harness itself (fast): a server starts, answers, logs,
and its stop reports a child that died of a signal."""

import os
import signal

import pytest

import conftest
from benchlib import children  # bench/, on the path conftest set


def test_server_starts_and_serves(httpd):
    srv = httpd("", files={"a.txt": "hello\n"}, cgi={"t": 'printf "Content-Type: text/plain\\n\\ncgi ok\\n"\n'})
    r = srv.request("GET", "/a.txt")
    assert r.status == 200 and r.body == b"hello\n"
    r = srv.request("GET", "/cgi-bin/t")
    assert r.status == 200 and r.body == b"cgi ok\n", r
    assert "GET /a.txt HTTP/1.1 200 cors=-" in srv.access_log()
    assert "__cors_harness_probe__" not in srv.access_log()


def test_backend(httpd, backend):
    srv = httpd("ProxyPass /p/ %s/\n" % backend.url)
    r = srv.request("GET", "/p/echo", {"X-A": "1"})
    assert r.status == 200 and b"X-A: 1" in r.body
    assert r.header("X-Backend") == "yes"


def test_configtest(configtest):
    rc, out = configtest("NoSuchDirective 1\n")
    assert rc != 0 and "NoSuchDirective" in out
    rc, out = configtest("")
    assert rc == 0, out


@pytest.mark.skipif(conftest.ONE_PROCESS, reason="-X: no child process")
def test_stop_reports_a_child_killed_by_a_signal(httpd):
    # The stop first stops the children gracefully: a child that died just
    # before must still be reported (the parent logs it when it reaps it).
    # An event MPM child: the only child with threads (cgid's daemon has
    # one).
    srv = httpd("")
    kids = children(srv.proc.pid, threads=2)
    assert kids
    os.kill(kids[-1], signal.SIGABRT)
    with pytest.raises(AssertionError, match="child crashed"):
        srv.stop()
