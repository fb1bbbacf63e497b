"""Helpers shared by the preflight / auth / h2 / observability tests.

They work on any response object with ``.status``, ``.headers`` (a list of
(name, value)) and ``.body``, i.e. conftest's Resp and H2Resp below.
Nothing here starts a server: conftest's ``httpd`` fixture does that.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

# Under a tool (valgrind, ...: see conftest.py) everything is much slower:
# time limits are scaled by this factor.
SLOW = 20 if os.environ.get("CORS_TEST_HTTPD_PREFIX", "").strip() else 1

# The origin every test policy allows, and one it does not.
ORIGIN = "https://a.example"
OTHER = "https://b.example"

PREFLIGHT_VARY = ["origin", "access-control-request-method",
                  "access-control-request-headers"]


# ---------------------------------------------------------------- headers
def hget(resp, name):
    """All values of a header (case-insensitive name), in order."""
    n = name.lower()
    return [v for (k, v) in resp.headers if k.lower() == n]


def hone(resp, name):
    """The single value of a header, None when absent; fails when repeated."""
    vals = hget(resp, name)
    assert len(vals) <= 1, "header %s repeated: %r" % (name, vals)
    return vals[0] if vals else None


def ac_headers(resp):
    """Access-Control-* fields as {lower-case name: value}; a field sent
    twice is a failure (browsers reject two values)."""
    out = {}
    for k, v in resp.headers:
        lk = k.lower()
        if lk.startswith("access-control-"):
            assert lk not in out, "%s sent twice: %r, %r" % (k, out[lk], v)
            out[lk] = v
    return out


def vary_tokens(resp):
    toks = []
    for v in hget(resp, "vary"):
        toks += [t.strip().lower() for t in v.split(",") if t.strip()]
    return toks


def body_of(resp):
    b = resp.body
    if b is None:
        return b""
    return b if isinstance(b, bytes) else b.encode("latin-1")


def describe(resp):
    return "status=%s headers=%r body=%r" % (
        resp.status, resp.headers, body_of(resp)[:300])


def assert_preflight_allowed(resp, methods, origin=ORIGIN, headers=None,
                             credentials=False, max_age=None, pna=False):
    """An allowed preflight: 204, empty body, exactly these Access-Control-*
    fields, and the preflight Vary."""
    assert resp.status == 204, describe(resp)
    assert body_of(resp) == b"", describe(resp)
    cl = hone(resp, "content-length")
    assert cl in (None, "0"), describe(resp)
    want = {"access-control-allow-origin": origin,
            "access-control-allow-methods": methods}
    if credentials:
        want["access-control-allow-credentials"] = "true"
    if headers is not None:
        want["access-control-allow-headers"] = headers
    if max_age is not None:
        want["access-control-max-age"] = str(max_age)
    if pna:
        want["access-control-allow-private-network"] = "true"
    assert ac_headers(resp) == want, describe(resp)
    assert vary_tokens(resp) == PREFLIGHT_VARY, describe(resp)


def assert_no_ac(resp):
    assert ac_headers(resp) == {}, describe(resp)


def assert_preflight_refused(resp, status=403, vary=True):
    """A refused preflight: status (403, or 401 behind authentication),
    no Access-Control-* field at all."""
    assert resp.status == status, describe(resp)
    assert_no_ac(resp)
    if vary:
        assert vary_tokens(resp) == PREFLIGHT_VARY, describe(resp)


def preflight_headers(origin=ORIGIN, method="GET", req_headers=None,
                      extra=None):
    h = []
    if origin is not None:
        h.append(("Origin", origin))
    if method is not None:
        h.append(("Access-Control-Request-Method", method))
    if req_headers is not None:
        h.append(("Access-Control-Request-Headers", req_headers))
    if extra:
        h += list(extra)
    return h


def preflight(srv, path, origin=ORIGIN, method="GET", req_headers=None,
              extra=None):
    return srv.request("OPTIONS", path,
                       headers=preflight_headers(origin, method, req_headers,
                                                 extra))


# ---------------------------------------------------------------- HTTP/2
class H2Resp:
    """A response read by curl over HTTP/2 (same interface as conftest's
    Resp for what these tests use)."""

    def __init__(self, status, headers, body, http_version):
        self.status = status
        self.headers = headers
        self.body = body
        self.http_version = http_version

    def header(self, name):
        return hone(self, name)

    def header_all(self, name):
        return hget(self, name)

    def __repr__(self):
        return "H2Resp(%s)" % describe(self)


def h2_request(port, method, path, headers=(), timeout=10 * SLOW):
    """One request over cleartext HTTP/2 with prior knowledge (curl).
    Returns an H2Resp whose .http_version is what curl negotiated."""
    d = tempfile.mkdtemp(prefix="pf-h2-")
    try:
        hfile = os.path.join(d, "h")
        bfile = os.path.join(d, "b")
        cmd = ["curl", "-sS", "--http2-prior-knowledge", "-X", method,
               "-D", hfile, "-o", bfile, "-w", "%{http_version}",
               "--max-time", str(timeout)]
        for k, v in headers:
            cmd += ["-H", "%s: %s" % (k, v)]
        cmd.append("http://127.0.0.1:%d%s" % (port, path))
        p = subprocess.run(cmd, capture_output=True, timeout=timeout + 5)
        assert p.returncode == 0, "curl failed: %r" % p.stderr
        with open(hfile, "rb") as f:
            head = f.read().decode("latin-1")
        with open(bfile, "rb") as f:
            body = f.read()
        lines = [ln for ln in head.split("\r\n") if ln]
        m = re.match(r"HTTP/(\S+) (\d{3})", lines[0])
        assert m, head
        hdrs = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.append((k.strip(), v.strip()))
        return H2Resp(int(m.group(2)), hdrs, body, p.stdout.decode().strip())
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------ files, CGI
def make_htpasswd(path, user, password):
    """A bcrypt AuthUserFile, readable by the server user."""
    subprocess.run(["htpasswd", "-cbB", path, user, password], check=True,
                   capture_output=True)
    os.chmod(path, 0o644)


def shared_dir(prefix="pf-"):
    """A directory the server user (nobody) can write: CGI scripts record
    their runs in it."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o1777)
    return d


def recorder_cgi(record_file):
    """A CGI script that appends "METHOD URI" to record_file, then answers
    200 text/plain "cgi ran" and a header of its own."""
    return """#!/bin/sh
# consume the request body: mod_cgid resets the connection otherwise
if [ -n "$CONTENT_LENGTH" ]; then head -c "$CONTENT_LENGTH" >/dev/null; fi
echo "$REQUEST_METHOD $REQUEST_URI" >> %s
printf 'Content-Type: text/plain\\r\\n'
printf 'X-Cgi: yes\\r\\n'
printf '\\r\\n'
printf 'cgi ran\\n'
""" % record_file


PRINTENV_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
if [ -n "${CORS_VERDICT+x}" ]; then
  printf 'CORS_VERDICT=%s\\n' "$CORS_VERDICT"
else
  printf 'CORS_VERDICT unset\\n'
fi
"""


def read_lines(path):
    try:
        with open(path) as f:
            return [ln.rstrip("\n") for ln in f]
    except FileNotFoundError:
        return []


def wait_for(pred, timeout=3.0, step=0.05):
    """Polls pred() until true (logs are written asynchronously)."""
    end = time.monotonic() + timeout * SLOW
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


def split_responses(data):
    """Splits the bytes of pipelined HTTP/1.1 responses (each framed by
    Content-Length, or bodiless 204/304) into [(status, head, body)]."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        assert end >= 0, "incomplete response: %r" % data[:300]
        head, data = data[:end].decode("latin-1"), data[end + 4:]
        status = int(head.split(" ", 2)[1])
        n = 0
        for ln in head.split("\r\n")[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
            assert k.strip().lower() != "transfer-encoding", head
        if status in (204, 304):
            n = 0
        out.append((status, head, data[:n]))
        data = data[n:]
    return out
