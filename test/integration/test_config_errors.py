# SPDX-License-Identifier: Apache-2.0
"""Bad configuration stops `apache2 -t` with a message naming the directive
(and the value); good configuration passes."""

import concurrent.futures

import pytest

from conftest import configtest

# (config lines, directive the message must name, value it must name or None)
BAD = [
    # origin syntax
    ("CORSAllowOrigin", "CORSAllowOrigin", None),
    ("CORSAllowOrigin example.com", "CORSAllowOrigin", "example.com"),
    ("CORSAllowOrigin https://", "CORSAllowOrigin", "https://"),
    ("CORSAllowOrigin https:example.com", "CORSAllowOrigin", "https:example.com"),
    ("CORSAllowOrigin //example.com", "CORSAllowOrigin", "//example.com"),
    ("CORSAllowOrigin null", "CORSAllowOrigin", "null"),
    ("CORSAllowOrigin NULL", "CORSAllowOrigin", "NULL"),
    ("CORSAllowOrigin file://", "CORSAllowOrigin", "file://"),
    ("CORSAllowOrigin file:///", "CORSAllowOrigin", "file:///"),
    ("CORSAllowOrigin file://localhost", "CORSAllowOrigin", "file://localhost"),
    ("CORSAllowOrigin https://x.example:443", "CORSAllowOrigin", "https://x.example:443"),
    ("CORSAllowOrigin http://x.example:80", "CORSAllowOrigin", "http://x.example:80"),
    ("CORSAllowOrigin https://x.example/", "CORSAllowOrigin", "https://x.example/"),
    ("CORSAllowOrigin https://x.example/path", "CORSAllowOrigin", "https://x.example/path"),
    ("CORSAllowOrigin https://x.example?q=1", "CORSAllowOrigin", "https://x.example?q=1"),
    ("CORSAllowOrigin https://x.example#f", "CORSAllowOrigin", "https://x.example#f"),
    ("CORSAllowOrigin https://user@x.example", "CORSAllowOrigin", "https://user@x.example"),
    ("CORSAllowOrigin https://u:p@x.example", "CORSAllowOrigin", "https://u:p@x.example"),
    ("CORSAllowOrigin https://x.example:0", "CORSAllowOrigin", "https://x.example:0"),
    ("CORSAllowOrigin https://x.example:65536", "CORSAllowOrigin", "https://x.example:65536"),
    ("CORSAllowOrigin https://x.example:08080", "CORSAllowOrigin", "https://x.example:08080"),
    ("CORSAllowOrigin https://x.example:", "CORSAllowOrigin", "https://x.example:"),
    ("CORSAllowOrigin https://x.example:abc", "CORSAllowOrigin", "https://x.example:abc"),
    ("CORSAllowOrigin https://x.example:-1", "CORSAllowOrigin", "https://x.example:-1"),
    ("CORSAllowOrigin https://b\u00fccher.example", "CORSAllowOrigin", None),
    ("CORSAllowOrigin https://x_y.example!", "CORSAllowOrigin", None),
    ("CORSAllowOrigin https://a*.b.com", "CORSAllowOrigin", "https://a*.b.com"),
    ("CORSAllowOrigin https://*", "CORSAllowOrigin", "https://*"),
    ("CORSAllowOrigin https://*.com", "CORSAllowOrigin", "https://*.com"),
    ("CORSAllowOrigin https://*.*.example.com", "CORSAllowOrigin", "https://*.*.example.com"),
    ("CORSAllowOrigin https://a.*.example.com", "CORSAllowOrigin", "https://a.*.example.com"),
    ("CORSAllowOrigin *.example.com", "CORSAllowOrigin", "*.example.com"),
    ("CORSAllowOrigin https://example.*", "CORSAllowOrigin", "https://example.*"),
    ("CORSAllowOrigin **", "CORSAllowOrigin", "**"),
    ("CORSAllowOrigin http://[::0001]", "CORSAllowOrigin", "http://[::0001]"),
    ("CORSAllowOrigin http://[0:0:0:0:0:0:0:1]", "CORSAllowOrigin", "http://[0:0:0:0:0:0:0:1]"),
    ("CORSAllowOrigin http://[1:0:0:0:0:0:0:8]", "CORSAllowOrigin", "http://[1:0:0:0:0:0:0:8]"),
    ("CORSAllowOrigin http://[::1", "CORSAllowOrigin", "http://[::1"),
    ("CORSAllowOrigin http://::1", "CORSAllowOrigin", "http://::1"),
    ("CORSAllowOrigin http://[zz::1]", "CORSAllowOrigin", "http://[zz::1]"),
    ("CORSAllowOrigin https://x.example.", "CORSAllowOrigin", "https://x.example."),
    ("CORSAllowOrigin https://good.example https://bad.example/", "CORSAllowOrigin",
     "https://bad.example/"),
    # "*" and credentials in one scope, in either order
    ("CORSAllowOrigin *\nCORSAllowCredentials On", "CORSAllow", None),
    ("CORSAllowCredentials On\nCORSAllowOrigin *", "CORSAllow", None),
    ("<Location /x>\n CORSAllowOrigin *\n CORSAllowCredentials On\n</Location>",
     "CORSAllow", None),
    # regular expressions
    ("CORSAllowOriginMatch \"^(https://a\"", "CORSAllowOriginMatch", None),
    ("CORSAllowOriginMatch \"[\"", "CORSAllowOriginMatch", None),
    ("CORSAllowOriginMatch .*", "CORSAllowOriginMatch", ".*"),
    ("CORSAllowOriginMatch \"^(https://a\\.example|null)$\"", "CORSAllowOriginMatch", None),
    ("CORSAllowOriginMatch n.ll", "CORSAllowOriginMatch", "n.ll"),
    ("CORSAllowOriginMatch", "CORSAllowOriginMatch", None),
    # methods
    ("CORSAllowMethods CONNECT", "CORSAllowMethods", "CONNECT"),
    ("CORSAllowMethods TRACE", "CORSAllowMethods", "TRACE"),
    ("CORSAllowMethods TRACK", "CORSAllowMethods", "TRACK"),
    ("CORSAllowMethods connect", "CORSAllowMethods", "connect"),
    ("CORSAllowMethods Trace", "CORSAllowMethods", "Trace"),
    ("CORSAllowMethods track", "CORSAllowMethods", "track"),
    ("CORSAllowMethods GET PUT TRACE", "CORSAllowMethods", "TRACE"),
    ("CORSAllowMethods get", "CORSAllowMethods", "get"),
    ("CORSAllowMethods Post", "CORSAllowMethods", "Post"),
    ("CORSAllowMethods delete", "CORSAllowMethods", "delete"),
    ("CORSAllowMethods * GET", "CORSAllowMethods", None),
    ("CORSAllowMethods GET *", "CORSAllowMethods", None),
    ("CORSAllowMethods GET,POST", "CORSAllowMethods", "GET,POST"),
    ("CORSAllowMethods \"GE T\"", "CORSAllowMethods", "GE T"),
    ("CORSAllowMethods GE(T", "CORSAllowMethods", "GE(T"),
    ("CORSAllowMethods", "CORSAllowMethods", None),
    # request headers
    ("CORSAllowHeaders Cookie", "CORSAllowHeaders", "Cookie"),
    ("CORSAllowHeaders cookie", "CORSAllowHeaders", "cookie"),
    ("CORSAllowHeaders Host", "CORSAllowHeaders", "Host"),
    ("CORSAllowHeaders Origin", "CORSAllowHeaders", "Origin"),
    ("CORSAllowHeaders Sec-Fetch-Mode", "CORSAllowHeaders", "Sec-Fetch-Mode"),
    ("CORSAllowHeaders sec-ch-ua", "CORSAllowHeaders", "sec-ch-ua"),
    ("CORSAllowHeaders Proxy-Authorization", "CORSAllowHeaders", "Proxy-Authorization"),
    ("CORSAllowHeaders Proxy-Foo", "CORSAllowHeaders", "Proxy-Foo"),
    ("CORSAllowHeaders Access-Control-Request-Method", "CORSAllowHeaders",
     "Access-Control-Request-Method"),
    ("CORSAllowHeaders Connection", "CORSAllowHeaders", "Connection"),
    ("CORSAllowHeaders Content-Length", "CORSAllowHeaders", "Content-Length"),
    ("CORSAllowHeaders Transfer-Encoding", "CORSAllowHeaders", "Transfer-Encoding"),
    ("CORSAllowHeaders Referer", "CORSAllowHeaders", "Referer"),
    ("CORSAllowHeaders X-Ok Cookie", "CORSAllowHeaders", "Cookie"),
    ("CORSAllowHeaders X-Foo,X-Bar", "CORSAllowHeaders", "X-Foo,X-Bar"),
    ("CORSAllowHeaders \"X Foo\"", "CORSAllowHeaders", "X Foo"),
    ("CORSAllowHeaders X-Foo:", "CORSAllowHeaders", "X-Foo:"),
    ("CORSAllowHeaders", "CORSAllowHeaders", None),
    # response headers
    ("CORSExposeHeaders Set-Cookie", "CORSExposeHeaders", "Set-Cookie"),
    ("CORSExposeHeaders set-cookie", "CORSExposeHeaders", "set-cookie"),
    ("CORSExposeHeaders X-A Set-Cookie", "CORSExposeHeaders", "Set-Cookie"),
    ("CORSExposeHeaders * X-Foo", "CORSExposeHeaders", None),
    ("CORSExposeHeaders X-Foo *", "CORSExposeHeaders", None),
    ("CORSExposeHeaders X-Foo,X-Bar", "CORSExposeHeaders", "X-Foo,X-Bar"),
    ("CORSExposeHeaders \"X Foo\"", "CORSExposeHeaders", "X Foo"),
    ("CORSExposeHeaders", "CORSExposeHeaders", None),
    # max age
    ("CORSMaxAge -1", "CORSMaxAge", "-1"),
    ("CORSMaxAge 86401", "CORSMaxAge", "86401"),
    ("CORSMaxAge 99999999999999999999", "CORSMaxAge", "99999999999999999999"),
    ("CORSMaxAge abc", "CORSMaxAge", "abc"),
    ("CORSMaxAge 10s", "CORSMaxAge", "10s"),
    ("CORSMaxAge 1e3", "CORSMaxAge", "1e3"),
    ("CORSMaxAge \"\"", "CORSMaxAge", None),
    ("CORSMaxAge 0x10", "CORSMaxAge", "0x10"),
    ("CORSMaxAge", "CORSMaxAge", None),
    ("CORSMaxAge 1 2", "CORSMaxAge", None),
    # flags
    ("CORSAllowCredentials yes", "CORSAllowCredentials", None),
    ("CORSAllowCredentials true", "CORSAllowCredentials", None),
    ("CORSAllowCredentials 1", "CORSAllowCredentials", None),
    ("CORSAllowCredentials", "CORSAllowCredentials", None),
    ("CORSEngine maybe", "CORSEngine", None),
    ("CORSEngine", "CORSEngine", None),
    ("CORSAllowPrivateNetwork enabled", "CORSAllowPrivateNetwork", None),
    ("CORSAllowPrivateNetwork On Off", "CORSAllowPrivateNetwork", None),
    ("CORSAllowCredentials Off junk", "CORSAllowCredentials", None),
    ("CORSEngine On Off", "CORSEngine", None),
]


def _id(row):
    return row[0].replace("\n", " | ")[:60]


def _run_all(rows):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        return list(ex.map(lambda row: configtest(row[0]), rows))


@pytest.fixture(scope="module")
def bad_results():
    return dict(zip([r[0] for r in BAD], _run_all(BAD)))


@pytest.mark.parametrize("row", BAD, ids=_id)
def test_bad_config_refused(bad_results, row):
    conf, directive, value = row
    rc, out = bad_results[conf]
    assert rc != 0, "accepted: %r\n%s" % (conf, out)
    assert "Syntax error" in out or "AH00526" in out, out
    assert directive in out, "%r not named in:\n%s" % (directive, out)
    if value is not None:
        assert value in out, "value %r not named in:\n%s" % (value, out)


GOOD = [
    "CORSAllowOrigin https://example.com",
    "CORSAllowOrigin https://Example.COM",
    "CORSAllowOrigin https://a.example https://b.example\nCORSAllowOrigin https://c.example",
    "CORSAllowOrigin *",
    "CORSAllowOrigin *\nCORSAllowCredentials Off",
    "CORSAllowOrigin https://*.example.com",
    "CORSAllowOrigin https://*.example.com:8443",
    "CORSAllowOrigin http://*.localhost",
    "CORSAllowOrigin http://localhost:*",
    "CORSAllowOrigin http://localhost:3000 http://localhost:65535 http://localhost:1",
    "CORSAllowOrigin https://x.example:80 http://x.example:443",
    "CORSAllowOrigin capacitor://localhost ionic://localhost",
    "CORSAllowOrigin chrome-extension://abcdefghijklmnopabcdefghijklmnop",
    "CORSAllowOrigin http://127.0.0.1:8080 http://[::1]:3000 https://[2001:db8::1]",
    "CORSAllowOrigin https://xn--bcher-kva.example",
    "CORSAllowOriginMatch ^https://(foo|bar)\\.example\\.org$",
    "CORSAllowOriginMatch \"^https://[a-z0-9-]+\\.example\\.org$\"",
    "CORSAllowOrigin https://a.example\nCORSAllowOriginMatch ^https://b\\.example$",
    "CORSAllowMethods GET PUT DELETE PATCH",
    "CORSAllowMethods *",
    "CORSAllowMethods PROPFIND MKCOL PURGE",
    "CORSAllowHeaders X-Requested-With Content-Type Authorization",
    "CORSAllowHeaders *",
    "CORSAllowHeaders * Authorization",
    "CORSExposeHeaders X-Total-Count ETag",
    "CORSExposeHeaders *",
    "CORSAllowOrigin https://a.example\nCORSExposeHeaders *\nCORSAllowCredentials On",
    "CORSMaxAge 0",
    "CORSMaxAge 86400",
    "CORSMaxAge 600",
    "CORSAllowCredentials On\nCORSAllowCredentials Off\nCORSAllowCredentials on",
    "CORSEngine Off\nCORSEngine On",
    "CORSAllowPrivateNetwork On",
    "<Location /a>\n CORSAllowOrigin *\n</Location>\n<Location /a/b>\n"
    " CORSAllowCredentials On\n</Location>",
    "<Directory \"{docroot}/x\">\n CORSAllowOrigin https://a.example\n</Directory>\n"
    "<Files \"*.json\">\n CORSAllowOrigin https://a.example\n</Files>\n"
    "<If \"%{QUERY_STRING} == 'x'\">\n CORSAllowOrigin https://a.example\n</If>\n"
    "<VirtualHost 127.0.0.1:{port}>\n CORSAllowOrigin https://a.example\n</VirtualHost>",
]


@pytest.fixture(scope="module")
def good_results():
    return dict(zip(GOOD, _run_all([(g,) for g in GOOD])))


@pytest.mark.parametrize("conf", GOOD, ids=lambda c: c.replace("\n", " | ")[:60])
def test_good_config_accepted(good_results, conf):
    rc, out = good_results[conf]
    assert rc == 0, "refused: %r\n%s" % (conf, out)
