# SPDX-License-Identifier: Apache-2.0
"""CORSRuleFile against a real httpd: S3/HCP CORSConfiguration documents as
the AWS documentation writes them, answered as S3 documents it (the
manual's "S3 and HCP CORS configurations"), mixed with <CORSRule> sections
in configuration order, and the documents refused at start-up."""
import concurrent.futures

import pytest

from conftest import configtest
from cors_helpers import (check_preflight, granted, not_granted, preflight,
                          send, table)

# The S3 user guide's examples ("CORS configuration"), as printed there.
AWS_EXAMPLE_1 = """<CORSConfiguration>
 <CORSRule>
   <AllowedOrigin>http://www.example1.com</AllowedOrigin>

   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>

   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>http://www.example2.com</AllowedOrigin>

   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>

   <AllowedHeader>*</AllowedHeader>
 </CORSRule>
 <CORSRule>
   <AllowedOrigin>*</AllowedOrigin>
   <AllowedMethod>GET</AllowedMethod>
 </CORSRule>
</CORSConfiguration>
"""

AWS_EXAMPLE_2 = """<CORSConfiguration>
 <CORSRule>
   <AllowedOrigin>http://www.example.com</AllowedOrigin>
   <AllowedMethod>PUT</AllowedMethod>
   <AllowedMethod>POST</AllowedMethod>
   <AllowedMethod>DELETE</AllowedMethod>
   <AllowedHeader>*</AllowedHeader>
  <MaxAgeSeconds>3000</MaxAgeSeconds>
  <ExposeHeader>x-amz-server-side-encryption</ExposeHeader>
  <ExposeHeader>x-amz-request-id</ExposeHeader>
  <ExposeHeader>x-amz-id-2</ExposeHeader>
 </CORSRule>
</CORSConfiguration>
"""

# IDs, the S3 namespace, wildcards, a MaxAgeSeconds above a day, a header
# pattern.
OWN = """<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <ID>tenants</ID>
    <AllowedOrigin>https://*.tenant.example</AllowedOrigin>
    <AllowedOrigin>https://app-*.example.org</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <MaxAgeSeconds>999999</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>
"""

E1, E2, E3 = ("http://www.example1.com", "http://www.example2.com",
              "http://www.example3.com")
EX = "http://www.example.com"
S3_METHODS = "PUT, POST, DELETE"

CONF = """
<Location /one>
    CORSRuleFile "{docroot}/example1.xml"
</Location>
<Location /two>
    CORSRuleFile "{docroot}/example2.xml"
</Location>
<Location /own>
    CORSRuleFile "{docroot}/own.xml"
</Location>
<Location /mixed>
    CORSMaxAge 60
    <CORSRule mine>
        CORSAllowOrigin http://www.example1.com
        CORSAllowMethods GET
    </CORSRule>
    CORSRuleFile "{docroot}/example1.xml"
</Location>
<Location /mixed/child>
    CORSMaxAge 5
</Location>
"""


@pytest.fixture(scope="module")
def srv(httpd_module):
    files = {"example1.xml": AWS_EXAMPLE_1, "example2.xml": AWS_EXAMPLE_2,
             "own.xml": OWN}
    for p in ("one", "two", "own", "mixed", "mixed/child"):
        files[p + "/f.txt"] = "body\n"
    return httpd_module(CONF, files=files)


# (id, path, origin, method, request headers, expected: keyword arguments of
#  assert_preflight_allowed, or None for refused)
PREFLIGHTS = [
    # S3: rule 1, the requested headers echoed, credentials for a listed
    # origin
    ("ex1-put", "/one/f.txt", E1, "PUT", "content-type,x-amz-date",
     dict(methods=S3_METHODS, headers="content-type, x-amz-date",
          credentials=True)),
    # AllowedHeader * covers Authorization, as on S3
    ("ex1-authorization", "/one/f.txt", E1, "DELETE", "authorization",
     dict(methods=S3_METHODS, headers="authorization", credentials=True)),
    ("ex2-origin-rule-2", "/one/f.txt", E2, "POST", None,
     dict(methods=S3_METHODS, credentials=True)),
    # another origin: only the "*" rule, GET only
    ("ex1-other-put", "/one/f.txt", E3, "PUT", None, None),
    ("ex1-other-get", "/one/f.txt", E3, "GET", None,
     dict(origin="*", methods="GET")),
    # the listed origin asking for GET: rule 1 does not list it; the "*"
    # rule answers, without credentials
    ("ex1-get", "/one/f.txt", E1, "GET", None, dict(origin="*", methods="GET")),
    # the "*" rule lists no header
    ("ex1-other-header", "/one/f.txt", E3, "GET", "x-foo", None),
    ("ex2-put", "/two/f.txt", EX, "PUT", "content-type",
     dict(methods=S3_METHODS, headers="content-type", credentials=True,
          max_age=3000)),
    ("ex2-get", "/two/f.txt", EX, "GET", None, None),
    ("ex2-other", "/two/f.txt", E1, "PUT", None, None),
    # S3's wildcard, MaxAgeSeconds capped at a day, a header pattern
    ("own-sub", "/own/f.txt", "https://eu.tenant.example", "PUT", "x-amz-acl",
     dict(methods="PUT", headers="x-amz-acl", credentials=True,
          max_age=86400)),
    ("own-crossing", "/own/f.txt", "https://app-a.b.example.org", "PUT", None,
     dict(methods="PUT", credentials=True, max_age=86400)),
    ("own-header-miss", "/own/f.txt", "https://eu.tenant.example", "PUT",
     "content-type", None),
    ("own-bare-domain", "/own/f.txt", "https://tenant.example", "PUT", None,
     None),
    # files and sections in order; scope settings are defaults
    ("mixed-section-first", "/mixed/f.txt", E1, "GET", None,
     dict(methods="GET", max_age=60)),
    ("mixed-file-next", "/mixed/f.txt", E1, "PUT", None,
     dict(methods=S3_METHODS, credentials=True, max_age=60)),
    ("mixed-child-overrides", "/mixed/child/f.txt", E1, "PUT", None,
     dict(methods=S3_METHODS, credentials=True, max_age=5)),
]


@table("path,origin,method,req_headers,want", PREFLIGHTS)
def test_preflight(srv, path, origin, method, req_headers, want):
    check_preflight(srv, path, origin, method, req_headers, want)


# (id, path, method, origin, Access-Control-Allow-Origin or None,
#  credentials, Access-Control-Expose-Headers)
ACTUAL = [
    ("ex1-put", "/one/f.txt", "PUT", E1, E1, True, None),
    ("ex1-get", "/one/f.txt", "GET", E1, "*", False, None),
    ("ex1-other-get", "/one/f.txt", "GET", E3, "*", False, None),
    ("ex1-other-post", "/one/f.txt", "POST", E3, None, False, None),
    ("ex2-put", "/two/f.txt", "PUT", EX, EX, True,
     "x-amz-server-side-encryption, x-amz-request-id, x-amz-id-2"),
    ("ex2-get", "/two/f.txt", "GET", EX, None, False, None),
]


@table("path,method,origin,acao,credentials,expose", ACTUAL)
def test_actual(srv, path, method, origin, acao, credentials, expose):
    r = send(srv, (method, path), origin)
    if acao is None:
        not_granted(r, vary=True)
    else:
        granted(r, acao, credentials=credentials, vary=True, expose=expose)


def test_rules_named_by_id_or_place(srv):
    preflight(srv, "/own/f.txt", "https://eu.tenant.example", "PUT")
    preflight(srv, "/one/f.txt", E1, "PUT")
    log = srv.access_log().splitlines()
    assert log[-2].endswith("cors=preflight-allowed rule=tenants"), log
    # no ID: the file and the line of its <CORSRule>
    assert log[-1].endswith("example1.xml:2"), log


# (id, document or None for a missing file, what the message must say)
BAD = [
    ("missing", None, "No such file"),
    ("malformed", "<CORSConfiguration>\n<CORSRule>\n<AllowedOrigin>x"
     "</AllowedMethod>\n</CORSRule>\n</CORSConfiguration>\n", "line 3"),
    ("unknown-element", "<CORSConfiguration>\n<CORSRule>\n"
     "<AllowedOrigin>*</AllowedOrigin>\n<AllowedMethod>GET</AllowedMethod>\n"
     "<AllowedThing>x</AllowedThing>\n</CORSRule>\n</CORSConfiguration>\n",
     "line 5"),
    ("no-method", "<CORSConfiguration>\n<CORSRule>\n"
     "<AllowedOrigin>*</AllowedOrigin>\n</CORSRule>\n</CORSConfiguration>\n",
     "line 2"),
    ("no-origin", "<CORSConfiguration>\n<CORSRule>\n"
     "<AllowedMethod>GET</AllowedMethod>\n</CORSRule>\n"
     "</CORSConfiguration>\n", "line 2"),
    ("patch", "<CORSConfiguration>\n<CORSRule>\n"
     "<AllowedOrigin>*</AllowedOrigin>\n<AllowedMethod>PATCH</AllowedMethod>"
     "\n</CORSRule>\n</CORSConfiguration>\n", "PATCH"),
    ("101-rules", "<CORSConfiguration>\n" + "<CORSRule>"
     "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
     "</CORSRule>\n" * 101 + "</CORSConfiguration>\n", "line 102"),
    ("origin-outside-rules", "CORSAllowOrigin", "inside a <CORSRule>"),
]


def _bad_conf(row):
    name, doc, _ = row
    if doc == "CORSAllowOrigin":
        return ('CORSAllowOrigin https://a.example\n'
                'CORSRuleFile "{docroot}/example1.xml"\n',
                {"example1.xml": AWS_EXAMPLE_1})
    if doc is None:
        return 'CORSRuleFile "{docroot}/nothing.xml"\n', {}
    return 'CORSRuleFile "{docroot}/%s.xml"\n' % name, {name + ".xml": doc}


@pytest.fixture(scope="module")
def bad_results():
    def one(row):
        conf, files = _bad_conf(row)
        return configtest(conf, files=files)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        return dict(zip([r[0] for r in BAD], ex.map(one, BAD)))


@pytest.mark.parametrize("row", BAD, ids=[r[0] for r in BAD])
def test_bad_file_refused(bad_results, row):
    rc, out = bad_results[row[0]]
    assert rc != 0, out
    assert "CORSRuleFile" in out or "CORSAllowOrigin" in out, out
    assert row[2] in out, "%r not said in:\n%s" % (row[2], out)


def test_crossing_wildcard_warns():
    doc = OWN.replace("https://*.tenant.example", "https://*tenant.example")
    rc, out = configtest('CORSRuleFile "{docroot}/w.xml"\n',
                         files={"w.xml": doc})
    assert rc == 0, out
    # the value, what it also matches, and the label-aware form
    assert "AH99006" in out and "https://*tenant.example" in out, out
    assert "https://*.tenant.example" in out, out
    # https://*.tenant.example raises none: one warning per crossing value
    assert out.count("AH99006") == 2, out
