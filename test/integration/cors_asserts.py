"""Assertions shared by the core integration tests (not preflight)."""

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACEH = "Access-Control-Expose-Headers"


def granted(r, origin, credentials=False, vary=None):
    """The response grants origin: exactly one ACAO with that value,
    -Allow-Credentials only when credentials, Vary: Origin unless "*"."""
    vals = r.header_all(ACAO)
    assert vals == [origin], "expected one %s: %r, got %r\n%r" % (ACAO, origin, vals, r)
    if credentials:
        assert r.header_all(ACAC) == ["true"], r
    else:
        assert r.header_all(ACAC) == [], r
    if vary is None:
        vary = origin != "*"
    if vary:
        assert "origin" in r.vary(), "Vary lacks Origin: %r" % r
        assert r.vary_list().count("origin") == 1, "Origin twice in Vary: %r" % r


def not_granted(r, vary=True):
    """No Access-Control-* at all; Vary: Origin (the answer depends on it)."""
    assert r.ac_headers() == [], "unexpected %r\n%r" % (r.ac_headers(), r)
    if vary:
        assert "origin" in r.vary(), "Vary lacks Origin: %r" % r


def expose_set(r):
    vals = r.header_all(ACEH)
    assert len(vals) == 1, "expected one %s, got %r" % (ACEH, vals)
    return {t.strip().lower() for t in vals[0].split(",") if t.strip()}


def no_5xx(r):
    assert r.status < 500, r


def _cgi(headers, body="cgi body\n", status_from_query=False):
    # read the request body first: a script that exits without reading it
    # makes cgid fail with EPIPE and reset the connection
    lines = ['[ -n "$CONTENT_LENGTH" ] && head -c "$CONTENT_LENGTH" >/dev/null']
    if status_from_query:
        lines.append('case "$QUERY_STRING" in [0-9][0-9][0-9]) '
                     'printf "Status: %s\\r\\n" "$QUERY_STRING";; esac')
    for h in headers:
        lines.append("printf '%s\\r\\n'" % h.replace("'", "'\\''"))
    lines.append("printf '\\r\\n'")
    lines.append("printf '%s'" % body.replace("'", "'\\''").replace("\n", "\\n"))
    return "\n".join(lines) + "\n"


# CGI scripts the core tests share (name -> script text).
CGI = {
    # a plain answer with some headers a page might want to read
    "plain": _cgi(["Content-Type: text/plain", "X-One: 1", "X-Two: 2",
                   "Set-Cookie: sid=1; HttpOnly", "Cache-Control: no-cache"]),
    # a backend that does its own (wrong) CORS; ?NNN sets the status
    "acao": _cgi(["Content-Type: text/plain",
                  "Access-Control-Allow-Origin: *",
                  "Access-Control-Allow-Credentials: true",
                  "Access-Control-Expose-Headers: X-Secret",
                  "Access-Control-Allow-Methods: PUT, DELETE",
                  "Access-Control-Max-Age: 999",
                  "Vary: Accept-Encoding",
                  "X-Secret: s"], "backend body\n", status_from_query=True),
    # the same in other spellings of the field names
    "acaocase": _cgi(["Content-Type: text/plain",
                      "access-control-allow-origin: *",
                      "ACCESS-CONTROL-ALLOW-CREDENTIALS: true",
                      "Access-control-expose-headers: X-Secret",
                      "Access-Control-Foo: bar",
                      "vary: Accept-Encoding"], "backend body\n"),
    # CGI local redirect (internal) and client redirect
    "localredir": _cgi(["Location: /noc/s/data.txt"], ""),
    "extredir": _cgi(["Location: https://elsewhere.example/x",
                      "Access-Control-Allow-Origin: *"], ""),
    "vary": _cgi(["Content-Type: text/plain", "Vary: Accept-Encoding, User-Agent"]),
    "varyorigin": _cgi(["Content-Type: text/plain", "Vary: origin, Accept-Encoding"]),
    "varystar": _cgi(["Content-Type: text/plain", "Vary: *"]),
    # dies before sending headers: httpd answers 500
    "fail": "exit 1\n",
}
