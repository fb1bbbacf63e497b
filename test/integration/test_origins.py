# SPDX-License-Identifier: Apache-2.0
"""Origin matching: exact origins, wildcard patterns, ports, regular
expressions (whole match), IP literals, non-http schemes, and a table of
hostile Origin values that must never be granted nor cause a 5xx.

Tables: HOSTILE and MULTI_LINE (the exact policy never grants them),
POLICIES (what each other policy grants and refuses)."""

import time

import pytest

from cors_helpers import granted, not_granted, table

CONF = r"""
AliasMatch "^/([a-z0-9]+)/x$" "{docroot}/data.txt"
<Location /exact>
    CORSAllowOrigin https://example.com
    CORSAllowCredentials On
</Location>
<Location /wild>
    CORSAllowOrigin https://*.example.com
    CORSAllowCredentials On
</Location>
<Location /wildport>
    CORSAllowOrigin https://*.example.net:8443
</Location>
<Location /anyport>
    CORSAllowOrigin http://localhost:*
</Location>
<Location /localhostwild>
    CORSAllowOrigin http://*.localhost
</Location>
<Location /regex>
    CORSAllowOriginMatch ^https://(foo|bar)\.example\.org
</Location>
<Location /regexnoanchor>
    CORSAllowOriginMatch "https://app[0-9]\.example\.io"
</Location>
<Location /regexloose>
    CORSAllowOriginMatch "^https://.+\.example\.org$"
</Location>
<Location /regexverb>
    CORSAllowOriginMatch "https://a\.example\.org(*ACCEPT)"
    CORSAllowOriginMatch "...(*ACCEPT)"
</Location>
<Location /ip>
    CORSAllowOrigin http://127.0.0.1:8080 http://[::1]:3000 https://[2001:db8::1]
    CORSAllowOrigin http://192.168.0.1
</Location>
<Location /scheme>
    CORSAllowOrigin capacitor://localhost ionic://localhost
</Location>
<Location /upper>
    CORSAllowOrigin https://Example.COM
</Location>
<Location /mixed>
    CORSAllowOrigin https://one.example
    CORSAllowOrigin https://two.example
    CORSAllowOriginMatch ^https://three\.example$
    CORSAllowOriginMatch ^https://five\.example$
</Location>
"""


@pytest.fixture(scope="module")
def srv(httpd_module):
    return httpd_module(CONF, files={"data.txt": "data\n"})


def _check_granted(srv, path, origin, credentials=False):
    r = srv.get(path, origin)
    assert r.status == 200, r
    granted(r, origin, credentials=credentials)


def _check_refused(srv, path, origin_headers):
    """origin_headers: a value (str/bytes) or a list of values (one header
    line each)."""
    if not isinstance(origin_headers, list):
        origin_headers = [origin_headers]
    r = srv.request("GET", path, [("Origin", v) for v in origin_headers])
    assert r.status < 500, r
    # httpd itself refuses some malformed requests (400) before any config
    not_granted(r, vary=r.status != 400)
    return r


# ---- exact origins + hostile values ------------------------------------------

def test_exact_origin_granted(srv):
    _check_granted(srv, "/exact/x", "https://example.com", credentials=True)


def test_exact_origin_header_name_case_insensitive(srv):
    r = srv.request("GET", "/exact/x", [("oRiGiN", "https://example.com")])
    granted(r, "https://example.com", credentials=True)


HOSTILE = [
    "https://example.com.evil.net",
    "https://evilexample.com",
    "https://example.com@evil.net",
    "https://evil.net@example.com",
    "https://user@example.com",
    "https://user:pass@example.com",
    "https://example.com:443@evil.net",
    "null",
    "NULL",
    "*",
    "HTTPS://EXAMPLE.COM",
    "https://EXAMPLE.COM",
    "https://Example.com",
    "HTTPS://example.com",
    "https://example.com/",
    "https://example.com.",
    "https://example.com/path",
    "https://example.com?q=1",
    "https://example.com#frag",
    "https://example.com:443",
    "https://example.com:",
    "https://example.com:0443",
    "http://example.com",
    "wss://example.com",
    "https://example.com:8443",
    "https://www.example.com",
    "https:/example.com",
    "https:example.com",
    "//example.com",
    "example.com",
    "https://example.com https://example.com",
    "https://example.com, https://example.com",
    "https://example.com,https://example.com",
    "https://example.com\\",
    "https://example.com%2f",
    "https://example%2ecom",
    "https://xn--example.com",
    "https://exa mple.com",
    "",
    " ",
    "https://example.com" + "a" * 7000,
    "https://" + "a" * 7000 + ".example.com",
    b"https://example.com\x80",
    b"https://exa\xffmple.com",
    "https://ex\u0430mple.com".encode("utf-8"),  # Cyrillic a
    b"https://example.com\x00",
    b"https://example.com\x01",
    b"https://exa\x07mple.com",
    b"https://example.com\x7f",
    b"https://example.com\x0bx",
]


@pytest.mark.parametrize("origin", HOSTILE, ids=lambda v: repr(v[:40]))
def test_hostile_origin_never_granted(srv, origin):
    _check_refused(srv, "/exact/x", origin)


# Origin sent on more than one line: never one origin, never granted
MULTI_LINE = [
    ("same-twice", ["https://example.com", "https://example.com"]),
    ("other-first", ["https://evil.net", "https://example.com"]),
    ("other-last", ["https://example.com", "https://evil.net"]),
    ("empty-first", ["", "https://example.com"]),
    ("fifty", ["https://example.com"] * 50),
]


@table("lines", MULTI_LINE)
def test_origin_on_several_lines_never_granted(srv, lines):
    _check_refused(srv, "/exact/x", lines)


def test_many_long_origin_lines_cheap_and_refused(srv):
    # 90 lines of ~8 KB: httpd joins them into one ~720 KB value
    lines = ["https://example.com" + "a" * 8000] * 90
    t0 = time.monotonic()
    _check_refused(srv, "/wild/x", lines)
    assert time.monotonic() - t0 < 5, "slow"


def test_obs_fold_origin_never_granted(srv):
    data = (b"GET /exact/x HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://exa\r\n"
            b" mple.com\r\nConnection: close\r\n\r\n")
    r = srv.raw_request(data)
    assert r.status < 500, r
    not_granted(r, vary=False)


def test_hostile_origins_on_wildcard_policy(srv):
    for o in ["https://" + "a" * 7000 + ".example.com",
              "https://" + "a." * 260 + "example.com",
              "https://example.com" + "a" * 7000]:
        _check_refused(srv, "/wild/x", o)


# ---- every other policy: the origins it grants, the ones it refuses ---------

# (policy, path, credentials, origins granted, origins refused)
POLICIES = [
    # wildcard patterns
    ("wildcard", "/wild/x", True,
     ["https://a.example.com", "https://a.b.example.com", "https://x-y.example.com",
      "https://123.example.com", "https://xn--bcher-kva.example.com"],
     ["https://example.com", "https://evilexample.com", "https://a.evilexample.com",
      "https://a.example.com.evil.net", "https://.example.com",
      "https://A.example.com", "http://a.example.com", "https://a.example.com:8443",
      "https://a.example.com.", "https://a.example.com/", "https://a.example.com:443",
      "https://*.example.com", "https://a.example.co", "https://example.com.a",
      "https://a.example.com@evil.net", "https://evil.net#.example.com",
      "https://evil.net/.example.com", "https://evil.net?.example.com"]),
    ("wildcard-port", "/wildport/x", False,
     ["https://a.example.net:8443", "https://a.b.example.net:8443"],
     ["https://a.example.net", "https://a.example.net:9443",
      "https://example.net:8443", "http://a.example.net:8443",
      "https://a.example.net:84430"]),
    ("any-port", "/anyport/x", False,
     ["http://localhost", "http://localhost:3000", "http://localhost:8080",
      "http://localhost:1", "http://localhost:65535"],
     ["http://localhost.evil.com", "http://localhost.evil.com:3000",
      "https://localhost:3000", "http://localhost:", "http://localhost:80",
      "http://localhost:03000", "http://localhost:65536", "http://localhost:3000/",
      "http://a.localhost:3000", "http://localhost:3000@evil.net",
      "http://evil-localhost:3000", "http://LOCALHOST:3000", "http://localhost:-1",
      "http://localhost:3000:3000", "http://localhost:abc"]),
    ("wildcard-localhost", "/localhostwild/x", False,
     ["http://app.localhost", "http://a.b.localhost"],
     ["http://localhost", "https://app.localhost"]),
    # regular expressions: whole match
    ("regex", "/regex/x", False,
     ["https://foo.example.org", "https://bar.example.org"],
     ["https://foo.example.org.evil.net", "https://foo.example.orgx",
      "https://baz.example.org", "https://foo.example.org:8443",
      "https://fooXexample.org", "https://FOO.example.org", "http://foo.example.org",
      "https://foo.example.org/", "https://foo.example.org.", "null"]),
    # the regex is written without anchors: it must still match it all
    ("regex-no-anchor", "/regexnoanchor/x", False,
     ["https://app1.example.io"],
     ["xhttps://app1.example.io", "https://app1.example.io.evil.net",
      "https://app12.example.io", "https://xapp1.example.io",
      "https://app1.example.io:8443"]),
    # the regex would match these strings, but they are not origins a
    # browser sends
    ("regex-loose", "/regexloose/x", False,
     ["https://a.example.org"],
     ["https://evil.net/.example.org", "https://evil.net?.example.org",
      "https://evil.net#.example.org", "https://user@a.example.org",
      "https://EVIL.example.org", "https://a.example.org:443",
      "https://evil.net/" + "a" * 600 + ".example.org"]),
    # (*ACCEPT) ends a match early; PCRE2 10.42's JIT then reports the last
    # bytes of a longer origin as a match of "...(*ACCEPT)" (found by
    # test/fuzz). Only a match of the whole origin counts.
    ("regex-verb", "/regexverb/x", False,
     ["https://a.example.org"],
     ["https://a.example.org.evil.net", "https://a.example.orgx",
      "https://a.example.org:8443", "https://abcd.example.com",
      "https://abc"]),
    # IP literals
    ("ip", "/ip/x", False,
     ["http://127.0.0.1:8080", "http://[::1]:3000", "https://[2001:db8::1]",
      "http://192.168.0.1"],
     ["http://127.0.0.1", "http://127.0.0.1:8081", "http://127.0.0.01:8080",
      "http://2130706433:8080", "http://0x7f.0.0.1:8080", "http://[::1]",
      "http://[0:0:0:0:0:0:0:1]:3000", "http://[::0001]:3000", "http://::1:3000",
      "https://[2001:DB8::1]", "https://[2001:db8:0::1]", "https://[2001:db8::1]:443",
      "http://192.168.0.1:80", "http://192.168.0.1.", "http://[::ffff:127.0.0.1]:8080",
      "http://[::1%25eth0]:3000"]),
    # non-http schemes
    ("scheme", "/scheme/x", False,
     ["capacitor://localhost", "ionic://localhost"],
     ["http://localhost", "https://localhost", "capacitor://localhost.evil",
      "capacitor://localhost:8080", "CAPACITOR://localhost", "capacitor://LOCALHOST",
      "capacitor:/localhost", "capacitor://localhost/", "file://localhost"]),
    # configuration spelled in upper case is stored lower-case
    ("upper-case-config", "/upper/x", False,
     ["https://example.com"], ["https://Example.COM"]),
    # values accumulate; both origin directives in one scope
    ("accumulate", "/mixed/x", False,
     ["https://one.example", "https://two.example", "https://three.example",
      "https://five.example"],
     ["https://four.example"]),
]

# one row an origin: (policy|origin, path, credentials, origin)
GRANTS = [("%s|%s" % (p[0], o), p[1], p[2], o) for p in POLICIES for o in p[3]]
REFUSALS = [("%s|%s" % (p[0], o[:60]), p[1], o) for p in POLICIES for o in p[4]]


@table("path,credentials,origin", GRANTS)
def test_policy_grants(srv, path, credentials, origin):
    _check_granted(srv, path, origin, credentials=credentials)


@table("path,origin", REFUSALS)
def test_policy_refuses(srv, path, origin):
    _check_refused(srv, path, origin)
