# SPDX-License-Identifier: Apache-2.0
"""Checks of the harness itself (fast): a server starts, answers, logs."""


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
