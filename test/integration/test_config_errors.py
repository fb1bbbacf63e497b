# SPDX-License-Identifier: Apache-2.0
"""Bad configuration stops `apache2 -t` with a message naming the directive
(and the value); good configuration passes."""

import concurrent.futures
import os
import re

import pytest

from conftest import configtest

# (config lines, directive the message must name, value it must name or None
#  [, what else the message must say])
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
    ("CORSEngine Report", "CORSEngine", "Report"),
    ("CORSDebug maybe", "CORSDebug", "maybe"),
    ("CORSDebug", "CORSDebug", None),
    # wildcards over public suffixes, with credentials in the same scope
    ("CORSAllowOrigin https://*.github.io\nCORSAllowCredentials On",
     "CORSAllowCredentials", "https://*.github.io", "public suffix"),
    ("CORSAllowCredentials On\nCORSAllowOrigin https://*.co.uk",
     "CORSAllowOrigin", "https://*.co.uk", "public suffix 'co.uk'"),
    ("<Location /x>\n CORSAllowCredentials On\n"
     " CORSAllowOrigin https://a.example https://*.herokuapp.com:*\n</Location>",
     "CORSAllowOrigin", "https://*.herokuapp.com:*", "herokuapp.com"),
    ("CORSAllowCredentials On\nCORSAllowOrigin http://*.GitHub.IO:8080",
     "CORSAllowOrigin", "http://*.GitHub.IO:8080", "github.io"),
    # comma-separated lists
    ("CORSAllowOrigin \"https://a.example, https://b.example\"", "CORSAllowOrigin",
     "https://a.example, https://b.example", "separated by spaces"),
    ("CORSAllowOrigin https://a.example, https://b.example", "CORSAllowOrigin",
     "https://a.example,", "separated by spaces"),
    ("CORSAllowOrigin https://a.example,https://b.example", "CORSAllowOrigin",
     "https://a.example,https://b.example", "separated by spaces"),
    ("CORSAllowMethods \"GET, PUT\"", "CORSAllowMethods", "GET, PUT", "separated by spaces"),
    ("CORSAllowHeaders X-A, X-B", "CORSAllowHeaders", "X-A,", "separated by spaces"),
    ("CORSExposeHeaders X-A,X-B", "CORSExposeHeaders", "X-A,X-B", "separated by spaces"),
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
    conf, directive, value = row[:3]
    rc, out = bad_results[conf]
    assert rc != 0, "accepted: %r\n%s" % (conf, out)
    assert "Syntax error" in out or "AH00526" in out, out
    assert directive in out, "%r not named in:\n%s" % (directive, out)
    if value is not None:
        assert value in out, "value %r not named in:\n%s" % (value, out)
    if len(row) > 3:
        assert row[3] in out, "%r not said in:\n%s" % (row[3], out)


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


GOOD += [
    "CORSEngine ReportOnly",
    "CORSEngine reportonly\nCORSEngine On\nCORSEngine Off",
    "CORSDebug On\nCORSDebug Off",
    # a wildcard over a public suffix without credentials: a warning only
    "CORSAllowOrigin https://*.github.io",
]


# Start-up warnings: (id, config lines, regular expressions the configtest
# output must match - the message ID, the directive, the value, file:line,
# the fix).  The line numbers are those of the generated httpd.conf, where
# the test config begins on line TEST_LINE.
def _at(n):
    """file:line of line n (1-based) of a row's config lines."""
    return r"httpd\.conf:%d\b" % (TEST_LINE + n - 1)


# (httpd.conf's "User"/"Group" lines are there when the tests run as root)
TEST_LINE = 67 if os.geteuid() == 0 else 65

WARN = [
    ("psl-github", "CORSAllowOrigin https://*.github.io",
     [r"\[cors:warn\].*AH99301: CORSAllowOrigin 'https://\*\.github\.io' \(.*" + _at(1),
      r"'github\.io' is a public suffix", r"wildcard a domain you own"]),
    ("psl-co-uk", "CORSAllowOrigin https://a.example https://*.co.uk",
     [r"AH99301: CORSAllowOrigin 'https://\*\.co\.uk'", r"'co\.uk' is a public suffix"]),
    ("psl-herokuapp", "<Location /x>\n CORSAllowOrigin https://*.herokuapp.com\n</Location>",
     [r"AH99301: CORSAllowOrigin 'https://\*\.herokuapp\.com' \(.*" + _at(2)]),
    ("psl-credentials-through-nesting",
     "CORSAllowCredentials On\n<Location /x>\n CORSAllowOrigin https://*.github.io\n</Location>",
     [r"AH99301: CORSAllowOrigin 'https://\*\.github\.io' \(.*" + _at(3)]),
    ("inert-location", "<Location /x>\n CORSAllowMethods PUT\n CORSMaxAge 60\n</Location>",
     [r"\[cors:warn\].*AH99302: CORSAllowMethods PUT \(.*" + _at(2),
      r"no origin", r"add CORSAllowOrigin here"]),
    ("inert-top", "CORSAllowCredentials On",
     [r"AH99302: CORSAllowCredentials On \(.*" + _at(1)]),
    ("inert-directory",
     "<Directory \"{docroot}/x\">\n CORSEngine On\n CORSExposeHeaders ETag\n</Directory>",
     [r"AH99302: CORSExposeHeaders ETag \(.*" + _at(3)]),
    ("header-set", "<Location /x>\n CORSAllowOrigin https://a.example\n"
     " Header set Access-Control-Allow-Origin \"*\"\n</Location>",
     [r"\[cors:warn\].*AH99303: Header set Access-Control-Allow-Origin \"\*\" \(.*" + _at(3),
      r"removes every Access-Control-\* field", r"CORSEngine ReportOnly"]),
    ("header-always-add-in-parent",
     "Header always add access-control-allow-credentials true\n"
     "<Location /x>\n CORSAllowOrigin https://a.example\n</Location>",
     [r"AH99303: Header always add access-control-allow-credentials true \(.*" + _at(1)]),
    ("header-merge", "CORSAllowOrigin *\nHeader merge Access-Control-Expose-Headers X-A",
     [r"AH99303: Header merge Access-Control-Expose-Headers X-A \(.*" + _at(2)]),
    ("method-path", "CORSAllowOrigin https://a.example\nCORSAllowMethods GET PATH",
     [r"\[cors:warn\].*AH99304: CORSAllowMethods 'PATH' \(.*" + _at(2), r"did you mean 'PATCH'"]),
    ("method-delet", "CORSAllowOrigin https://a.example\nCORSAllowMethods DELET",
     [r"AH99304: CORSAllowMethods 'DELET'.*did you mean 'DELETE'"]),
    ("method-option", "CORSAllowOrigin https://a.example\nCORSAllowMethods OPTION",
     [r"AH99304: CORSAllowMethods 'OPTION'.*did you mean 'OPTIONS'"]),
    ("method-ptach", "CORSAllowOrigin https://a.example\nCORSAllowMethods PTACH",
     [r"AH99304: CORSAllowMethods 'PTACH'.*did you mean 'PATCH'"]),
    ("method-options", "CORSAllowOrigin https://a.example\nCORSAllowMethods PUT OPTIONS",
     [r"\[cors:notice\].*AH99305: CORSAllowMethods 'OPTIONS' \(.*" + _at(2), r"never needed"]),
    ("star-credentials-vhost",
     "<VirtualHost 127.0.0.1:{port}>\n CORSAllowOrigin *\n <Location /x>\n"
     "  CORSAllowCredentials On\n </Location>\n</VirtualHost>",
     [r"\[cors:warn\].*AH99306: CORSAllowOrigin \* \(.*" + _at(2)
      + r"\) meets CORSAllowCredentials On \(.*" + _at(4), r"list the origins"]),
    ("star-credentials-outer-credentials",
     "CORSAllowCredentials On\n<Location /x>\n CORSAllowOrigin *\n</Location>",
     [r"AH99306: CORSAllowOrigin \* \(.*" + _at(3) + r"\) meets CORSAllowCredentials On \(.*"
      + _at(1)]),
]

# No warning at all: exact origins, wildcards over domains one owns, a
# section that inherits its origin (by nesting or by path), Header under
# ReportOnly or Off, Header fields that are not Access-Control-*.
QUIET = [
    ("exact", "CORSAllowOrigin https://a.github.io https://x.co.uk\nCORSAllowCredentials On"),
    ("own-domain", "CORSAllowOrigin https://*.example.com http://*.localhost "
     "https://*.foo.github.io\nCORSAllowCredentials On"),
    ("inherited-by-nesting", "CORSAllowOrigin https://a.example\n"
     "<Location /x>\n CORSAllowMethods PUT\n</Location>"),
    ("origin-in-nested", "CORSAllowCredentials On\n"
     "<Location /x>\n CORSAllowOrigin https://a.example\n</Location>"),
    ("inherited-by-path", "<Location /p>\n CORSAllowOrigin https://a.example\n</Location>\n"
     "<Location /p/c>\n CORSAllowMethods PUT\n</Location>"),
    ("engine-only", "<Location /x>\n CORSEngine Off\n</Location>"),
    ("header-reportonly", "<Location /x>\n CORSEngine ReportOnly\n"
     " CORSAllowOrigin https://a.example\n Header set Access-Control-Allow-Origin *\n</Location>"),
    ("header-off", "CORSAllowOrigin https://a.example\n<Location /x>\n CORSEngine Off\n"
     " Header set Access-Control-Allow-Origin *\n</Location>"),
    ("header-other", "CORSAllowOrigin https://a.example\nHeader set X-Access-Control-A 1\n"
     "Header unset Access-Control-Allow-Origin"),
    ("header-no-policy", "Header set Access-Control-Allow-Origin *"),
    ("methods", "CORSAllowOrigin https://a.example\nCORSAllowMethods GET PUT PATCH DELETE PROPFIND"),
]


@pytest.fixture(scope="module")
def warn_results():
    rows = [(r[1],) for r in WARN + QUIET]
    return dict(zip([r[0] for r in WARN + QUIET], _run_all(rows)))


@pytest.mark.parametrize("row", WARN, ids=[r[0] for r in WARN])
def test_startup_warning(warn_results, row):
    ident, conf, patterns = row
    rc, out = warn_results[ident]
    assert rc == 0, "refused: %r\n%s" % (conf, out)
    for pat in patterns:
        assert re.search(pat, out), "%r not in:\n%s" % (pat, out)


@pytest.mark.parametrize("row", QUIET, ids=[r[0] for r in QUIET])
def test_no_startup_warning(warn_results, row):
    ident, conf = row
    rc, out = warn_results[ident]
    assert rc == 0, "refused: %r\n%s" % (conf, out)
    assert not re.search(r"\[cors:(warn|notice)\]", out), out


def test_startup_warning_in_error_log(httpd):
    # At start-up (not only under configtest) the warnings reach the error
    # log, once: the first of httpd's two configuration passes says nothing.
    srv = httpd("<Location /x>\n CORSAllowOrigin https://*.github.io\n"
                " CORSAllowMethods PATH\n</Location>")
    log = srv.error_log()
    assert len(re.findall(r"AH99301: CORSAllowOrigin 'https://\*\.github\.io'", log)) == 1, log
    assert len(re.findall(r"AH99304: CORSAllowMethods 'PATH'", log)) == 1, log
