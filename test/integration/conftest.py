# SPDX-License-Identifier: Apache-2.0
"""pytest harness for mod_cors integration tests: a real httpd per config.

Run with Debian's pytest (``pytest-3``) and ``/usr/bin/python3``; nothing
beyond the standard library is used.  ``test/integration/run`` is the entry
point ``make check`` uses.

Environment
-----------
MOD_CORS_SO
    The module to test (default: ``.libs/mod_cors.so`` of this checkout).
APACHE2 / HTTPD
    The httpd binary (default ``/usr/sbin/apache2``).
APACHE_MODULES_DIR
    Where the stock modules are (default ``/usr/lib/apache2/modules``).
CORS_TEST_HTTPD_PREFIX
    A command prefix to run httpd under a tool, split like a shell word list,
    e.g.::

        CORS_TEST_HTTPD_PREFIX='valgrind --error-exitcode=99 --leak-check=no -q'

    httpd then runs single-process in the foreground (``-X``) so that the tool
    sees every request; start-up and request time-outs become generous
    (CORS_TEST_START_TIMEOUT, default 180 s; CORS_TEST_REQUEST_TIMEOUT,
    default 60 s).  The whole environment of pytest (LD_PRELOAD,
    ASAN_OPTIONS, UBSAN_OPTIONS, ...) passes through to httpd.  When httpd
    exits with a non-zero status at teardown (e.g. valgrind's
    --error-exitcode, ASan's exitcode), or the error log records a child that
    died of a signal, the test fails at teardown with the log's tail.
CORS_TEST_ONE_PROCESS
    ``1``: always run ``-X``; ``0``: never (default: ``1`` only with a prefix).
CORS_TEST_KEEP
    ``1``: keep the temporary server directories (paths are printed).

API (keep stable: other test files depend on it)
------------------------------------------------
Fixtures ``httpd`` (function scope), ``httpd_module`` (module scope) and
``httpd_class`` (class scope) are factories::

    srv = httpd(conf, files=None, htaccess=None, cgi=None,
                loglevel="cors:debug", extra_modules=None, base=True,
                mpm="event")

``conf`` holds directives in server context, appended after the base
config.  The placeholders ``{docroot}``, ``{port}``, ``{cgibin}``, ``{root}``
(the server directory) are replaced literally; any other brace (regex
quantifiers, ``%{cors}n``) is left alone.  ``files`` maps paths relative to
the docroot to str/bytes; ``htaccess`` maps directory paths (relative to the
docroot, ``""`` for the docroot itself) to ``.htaccess`` content; ``cgi``
maps script names to script text (served as ``/cgi-bin/<name>``; a
``#!/bin/sh`` line is prepended when the text has no ``#!``).  The docroot
has ``AllowOverride FileInfo`` and ``Require all granted``.
``extra_modules`` lists more modules to load: ``"substitute"``,
``"mod_substitute"``, ``"substitute_module"`` or a whole ``LoadModule`` line.
``base=False`` leaves out the site part of the base config (DocumentRoot,
its <Directory>, ScriptAlias): only the process essentials remain
(ServerRoot, PidFile, Listen, logs, modules, User/Group, Protocols).
``mpm`` is ``"event"`` (2 processes of 10 threads at most) or ``"prefork"``
(2 to 4 single-threaded processes).

The server object (``Server``) has ``.port``, ``.docroot``, ``.root``,
``.cgibin``, ``.conf_path``, and:

* ``request(method, path, headers=None, body=None, timeout=None) -> Resp``;
  ``headers`` is a dict or a list of (name, value) pairs (for repeated
  lines); a ``Host`` header is added unless given; ``Connection: close``
  is always sent.  Values may be bytes.
* ``raw(data: bytes, timeout=None) -> bytes``: the exact bytes, answer read
  until the server closes (send ``Connection: close``).
* ``raw_request(data) -> Resp``: ``raw`` parsed.
* ``error_log()``, ``access_log()`` (``"%r %>s cors=%{cors}n"`` per line;
  the harness's readiness probe lines are left out), ``access_log_full()``
  (also the CORS_VERDICT environment variable, Origin and the response's
  Access-Control-Allow-Origin), ``stop()``.

``stop()`` (also at teardown) first stops the children gracefully
(``apache2 -k graceful-stop``, SIGWINCH) and waits until they are gone,
then sends SIGTERM: SIGTERM alone crashes an event MPM child now and then
(httpd's own shutdown race, with or without mod_cors; see ``stop_workers``
in bench/benchlib.py), which would fail a random test.

``Resp``: ``.status`` (int), ``.reason``, ``.headers`` (list of (name, value)
in wire order), ``.header(name)`` (the value or None; fails when the field is
repeated), ``.header_all(name)`` (list), ``.has(name)``, ``.vary()`` (set of
lower-cased Vary tokens from every Vary line), ``.vary_list()`` (the same
in order, repeats kept), ``.ac_headers()`` (every ``Access-Control-*``
pair), ``.ac_fields()`` (the same as {lower-case name: value}, failing on a
repeated field), ``.body`` (bytes, de-chunked).  The assertions and request
helpers the tests share are in ``cors_helpers.py``.

``configtest(conf, **same_kwargs_as_httpd) -> (returncode, output)`` runs
``apache2 -t`` on the same generated config (also a fixture of that name).

Fixture ``scratch_dir`` (module scope): a directory the server user can
write (``shared_dir()``), e.g. for a CGI script's record of its runs.

Fixture ``backend`` (session scope): an HTTP server on 127.0.0.1 for
mod_proxy tests (``.port``, ``.url``, ``.requests`` list of
(method, path, headers-dict) it received, ``.clear()``).  Every answer sets
``Access-Control-Allow-Origin: *``, ``Access-Control-Allow-Credentials:
true``, ``Vary: Accept-Encoding`` and ``X-Backend: yes``.  Paths:
``/status/NNN`` answers with that status; ``/echo`` answers with the request
headers as ``name: value`` lines; ``/multi`` adds a second
Access-Control-Allow-Origin line and two more Vary lines (Accept-Language,
Cookie); anything else 200 ``backend body``.
"""

import http.server
import os
import re
import shlex
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bench"))
from benchlib import stop_workers  # noqa: E402

APACHE2 = os.environ.get("APACHE2") or os.environ.get("HTTPD") or "/usr/sbin/apache2"
MODDIR = os.environ.get("APACHE_MODULES_DIR", "/usr/lib/apache2/modules")
PREFIX = shlex.split(os.environ.get("CORS_TEST_HTTPD_PREFIX", ""))
ONE_PROCESS = os.environ.get("CORS_TEST_ONE_PROCESS", "1" if PREFIX else "0") == "1"
START_TIMEOUT = float(os.environ.get("CORS_TEST_START_TIMEOUT", "180" if PREFIX else "20"))
REQUEST_TIMEOUT = float(os.environ.get("CORS_TEST_REQUEST_TIMEOUT", "60" if PREFIX else "10"))
KEEP = os.environ.get("CORS_TEST_KEEP") == "1"
PROBE_PATH = "/__cors_harness_probe__"

ACCESS_FORMAT = '"%r %>s cors=%{cors}n"'
ACCESS_FULL_FORMAT = ('"%r %>s cors=%{cors}n env=%{CORS_VERDICT}e '
                      'origin=\\"%{Origin}i\\" acao=\\"%{Access-Control-Allow-Origin}o\\""')

# Stock modules every generated config loads (mod_log_config and mod_unixd
# are compiled into Debian's apache2).  mod_cors goes where a2enmod puts it
# (alphabetical order of mods-enabled).
BASE_MODULES = [
    "alias", "auth_basic", "authn_core", "authn_file", "authz_core",
    "authz_host", "authz_user", "cgid", "CORS", "deflate", "dir", "env",
    "filter", "headers", "http2", "mime", "mpm_event", "proxy", "proxy_http",
    "rewrite", "setenvif",
]


def mod_cors_so():
    return os.environ.get(
        "MOD_CORS_SO",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     ".libs", "mod_cors.so"))


def _module_line(name):
    name = name.strip()
    if name.startswith("LoadModule"):
        return name
    if name.endswith("_module"):
        name = name[: -len("_module")]
    if name.startswith("mod_"):
        name = name[4:]
    if name.endswith(".so"):
        name = name[:-3]
    return "LoadModule %s_module %s/mod_%s.so" % (name, MODDIR, name)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _subst(text, mapping):
    """str.format-safe placeholder replacement: only the known names."""
    for k, v in mapping.items():
        text = text.replace("{" + k + "}", str(v))
    return text


# --------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------

class Resp:
    def __init__(self, status, reason, headers, body, raw=b""):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw = raw

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def header(self, name):
        vals = self.header_all(name)
        assert len(vals) <= 1, "header %s repeated: %r" % (name, vals)
        return vals[0] if vals else None

    def has(self, name):
        return bool(self.header_all(name))

    def vary(self):
        toks = set()
        for v in self.header_all("Vary"):
            for t in v.split(","):
                t = t.strip().lower()
                if t:
                    toks.add(t)
        return toks

    def vary_list(self):
        """Every Vary token in order, lower-cased, duplicates kept."""
        out = []
        for v in self.header_all("Vary"):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def ac_headers(self):
        """Every Access-Control-* (name, value) pair, in wire order."""
        return [(k, v) for k, v in self.headers
                if k.lower().startswith("access-control-")]

    def ac_fields(self):
        """The Access-Control-* fields as {lower-case name: value}; fails
        when one is sent twice (browsers reject two values)."""
        out = {}
        for k, v in self.ac_headers():
            n = k.lower()
            assert n not in out, "%s sent twice: %r, %r" % (k, out[n], v)
            out[n] = v
        return out

    def __repr__(self):
        return "<Resp %s %r body=%r>" % (self.status, self.headers, self.body[:200])


def parse_response(data, head=False):
    """Parses one HTTP/1.x response (the first one in data)."""
    sep = data.find(b"\r\n\r\n")
    if sep < 0:
        raise AssertionError("incomplete HTTP response: %r" % data[:500])
    head_bytes, rest = data[:sep], data[sep + 4:]
    lines = head_bytes.split(b"\r\n")
    m = re.match(rb"HTTP/(\d\.\d) (\d{3}) ?(.*)", lines[0])
    if not m:
        raise AssertionError("bad status line: %r" % lines[0])
    status = int(m.group(2))
    reason = m.group(3).decode("latin-1")
    headers = []
    for ln in lines[1:]:
        if ln[:1] in (b" ", b"\t") and headers:  # obs-fold
            k, v = headers[-1]
            headers[-1] = (k, v + " " + ln.strip().decode("latin-1"))
            continue
        k, _, v = ln.partition(b":")
        headers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
    body = rest
    te = [v.lower() for k, v in headers if k.lower() == "transfer-encoding"]
    if head or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif te and "chunked" in te[-1]:
        body = dechunk(rest)[0]
    else:
        cl = [v for k, v in headers if k.lower() == "content-length"]
        if cl:
            body = rest[: int(cl[-1])]
    return Resp(status, reason, headers, body, data)


def dechunk(data):
    """(body, bytes consumed) of a chunked body; a truncated or malformed
    one gives what came."""
    out = b""
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return out, len(data)
        try:
            size = int(data[pos:eol].split(b";")[0].strip() or b"0", 16)
        except ValueError:
            return out, len(data)
        if size == 0:
            end = data.find(b"\r\n\r\n", eol)
            return out, (len(data) if end < 0 else end + 4)
        out += data[eol + 2: eol + 2 + size]
        pos = eol + 2 + size + 2


def _b(x):
    return x if isinstance(x, bytes) else str(x).encode("latin-1")


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

class Server:
    def __init__(self, conf, files=None, htaccess=None, cgi=None,
                 loglevel="cors:debug", extra_modules=None, base=True,
                 port=None, mpm="event"):
        self.root = tempfile.mkdtemp(prefix="cors-it-")
        os.chmod(self.root, 0o755)
        self.port = port or free_port()
        self.docroot = os.path.join(self.root, "htdocs")
        self.cgibin = os.path.join(self.root, "cgi-bin")
        self.logdir = os.path.join(self.root, "logs")
        self.conf_path = os.path.join(self.root, "httpd.conf")
        self.proc = None
        self.returncode = None
        self._stopped = False
        for d in (self.docroot, self.cgibin, self.logdir):
            os.makedirs(d)
            os.chmod(d, 0o755)
        self._write_tree(files or {}, htaccess or {}, cgi or {})
        self.conf_text = build_conf(self, conf, loglevel, extra_modules, base, mpm)
        with open(self.conf_path, "w") as f:
            f.write(self.conf_text)

    # -- files ----------------------------------------------------------
    def _write_file(self, path, content, mode=0o644):
        d = os.path.dirname(path)
        if not os.path.isdir(d):
            os.makedirs(d)
        # every directory up to the root must be readable by nobody
        p = d
        while p.startswith(self.root) and p != self.root:
            os.chmod(p, 0o755)
            p = os.path.dirname(p)
        with open(path, "wb") as f:
            f.write(_b(content) if not isinstance(content, bytes) else content)
        os.chmod(path, mode)

    def _write_tree(self, files, htaccess, cgi):
        for rel, content in files.items():
            self._write_file(os.path.join(self.docroot, rel.lstrip("/")), content)
        for rel, content in htaccess.items():
            self._write_file(os.path.join(self.docroot, rel.strip("/"), ".htaccess"),
                             content)
        for name, text in cgi.items():
            if isinstance(text, str) and not text.startswith("#!"):
                text = "#!/bin/sh\n" + text
            self._write_file(os.path.join(self.cgibin, name), text, 0o755)

    # -- process --------------------------------------------------------
    def _cmd(self, test_only=False):
        cmd = [APACHE2, "-f", self.conf_path]
        if test_only:
            return cmd + ["-t"]
        cmd += ["-DFOREGROUND"]
        if ONE_PROCESS:
            cmd += ["-X"]
        return PREFIX + cmd

    def start(self):
        last = None
        for attempt in range(3):
            try:
                self._start_once()
                return self
            except _PortInUse as e:
                last = e
                self.port = free_port()
                self.conf_text = re.sub(r"(?m)^Listen 127\.0\.0\.1:\d+$",
                                        "Listen 127.0.0.1:%d" % self.port,
                                        self.conf_text)
                with open(self.conf_path, "w") as f:
                    f.write(self.conf_text)
        raise AssertionError("httpd: no free port after 3 attempts: %s" % last)

    def _start_once(self):
        self._out = open(os.path.join(self.logdir, "stdout.txt"), "wb")
        self.proc = subprocess.Popen(self._cmd(), stdout=self._out,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                self._stopped = True
                self._out.close()
                text = self._startup_output()
                if "Address already in use" in text:
                    raise _PortInUse(text)
                raise AssertionError(
                    "httpd failed to start (exit %s):\n%s\n--- config ---\n%s"
                    % (rc, text, self.conf_text))
            if self._probe():
                return
            if time.monotonic() > deadline:
                self.stop(check=False)
                raise AssertionError("httpd did not answer within %ss:\n%s"
                                     % (START_TIMEOUT, self._startup_output()))
            time.sleep(0.05)

    def _startup_output(self):
        out = ""
        for name in ("stdout.txt", "error.log"):
            p = os.path.join(self.logdir, name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    out += "--- %s ---\n%s\n" % (name, f.read().decode("latin-1")[-8000:])
        return out

    def _probe(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            return False
        try:
            s.settimeout(min(REQUEST_TIMEOUT, 30))
            s.sendall(b"GET " + PROBE_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
            data = s.recv(64)
            return data.startswith(b"HTTP/")
        except OSError:
            return False
        finally:
            s.close()

    def stop(self, check=True):
        """Stops httpd (its children gracefully, then SIGTERM, then SIGKILL).
        With check, fails when httpd exited with a non-zero status or a child
        died of a signal."""
        if self._stopped:
            return self.returncode
        self._stopped = True
        p = self.proc
        if p is not None and p.poll() is None:
            if not ONE_PROCESS:
                # SIGTERM alone can crash an event MPM child (see benchlib)
                stop_workers(p.pid)
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=START_TIMEOUT)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=30)
        if p is not None:
            self.returncode = p.returncode
            self._out.close()
        # the children (and cgid's daemon) are in httpd's own session
        if p is not None:
            try:
                os.killpg(p.pid, 0)
                time.sleep(0.2)
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if check:
            problems = []
            if self.returncode not in (0, None, -signal.SIGTERM):
                problems.append("httpd exited with status %s" % self.returncode)
            crashes = re.findall(r".*AH00052: child pid \d+ exit signal.*",
                                 self.error_log())
            if crashes:
                problems.append("child crashed: " + "\n".join(crashes))
            if problems:
                raise AssertionError("; ".join(problems) + "\n" + self._startup_output())
        return self.returncode

    def cleanup(self):
        if KEEP:
            print("kept httpd dir:", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- requests -------------------------------------------------------
    def raw(self, data, timeout=None):
        s = socket.create_connection(("127.0.0.1", self.port),
                                     timeout=timeout or REQUEST_TIMEOUT)
        try:
            s.sendall(data)
            chunks = []
            deadline = time.monotonic() + (timeout or REQUEST_TIMEOUT)
            while True:
                try:
                    c = s.recv(65536)
                except ConnectionResetError:
                    break
                if not c:
                    break
                chunks.append(c)
                if time.monotonic() > deadline:
                    raise AssertionError("response not finished in time")
            return b"".join(chunks)
        finally:
            s.close()

    def raw_request(self, data, timeout=None, head=None):
        out = self.raw(data, timeout)
        if head is None:
            head = data.startswith(b"HEAD ")
        return parse_response(out, head=head)

    def build_request(self, method, path, headers=None, body=None):
        if headers is None:
            headers = []
        elif isinstance(headers, dict):
            headers = list(headers.items())
        else:
            headers = list(headers)
        names = {(k.decode("latin-1") if isinstance(k, bytes) else k).lower()
                 for k, _ in headers}
        lines = [_b(method) + b" " + _b(path) + b" HTTP/1.1"]
        if "host" not in names:
            lines.append(b"Host: 127.0.0.1:%d" % self.port)
        for k, v in headers:
            lines.append(_b(k) + b": " + _b(v))
        if body is not None:
            body = _b(body)
            if "content-length" not in names and "transfer-encoding" not in names:
                lines.append(b"Content-Length: %d" % len(body))
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")

    def request(self, method, path, headers=None, body=None, timeout=None):
        data = self.build_request(method, path, headers, body)
        return parse_response(self.raw(data, timeout), head=(method == "HEAD"))

    def get(self, path, origin=None, headers=None):
        h = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if origin is not None:
            h.append(("Origin", origin))
        return self.request("GET", path, h)

    # -- logs -----------------------------------------------------------
    def _read(self, name):
        p = os.path.join(self.logdir, name)
        try:
            with open(p, "rb") as f:
                return f.read().decode("latin-1")
        except FileNotFoundError:
            return ""

    def error_log(self):
        return self._read("error.log")

    def _access(self, name):
        # mod_log_config writes after the response is sent: wait a moment
        # for the line of a request that just finished.
        text = self._read(name)
        return "".join(ln for ln in text.splitlines(True) if PROBE_PATH not in ln)

    def access_log(self):
        return self._access("access.log")

    def access_log_full(self):
        return self._access("access_full.log")

    def wait_log(self, pattern, which="error", timeout=None):
        """Waits until the error (or access) log matches a regex; returns
        the match object, or None after the timeout."""
        deadline = time.monotonic() + (timeout or (REQUEST_TIMEOUT / 2))
        while True:
            text = self.error_log() if which == "error" else self.access_log()
            m = re.search(pattern, text)
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)


class _PortInUse(Exception):
    pass


def build_conf(srv, conf, loglevel="cors:debug", extra_modules=None, base=True,
               mpm="event"):
    mods = []
    for m in BASE_MODULES:
        if m == "CORS":
            mods.append("LoadModule cors_module %s" % mod_cors_so())
        elif m == "mpm_event":
            mods.append(_module_line("mpm_" + mpm))
        else:
            mods.append(_module_line(m))
    for m in extra_modules or []:
        line = _module_line(m)
        if line not in mods:
            mods.append(line)
    user = ""
    if os.geteuid() == 0:
        user = "User nobody\nGroup nogroup\n"
    parts = [
        "# generated by test/integration/conftest.py",
        'ServerRoot "%s"' % srv.root,
        'PidFile "%s/httpd.pid"' % srv.logdir,
        'DefaultRuntimeDir "%s"' % srv.logdir,
        "Mutex file:%s default" % srv.logdir,
        "\n".join(mods),
        user.rstrip("\n"),
        "Listen 127.0.0.1:%d" % srv.port,
        "ServerName 127.0.0.1",
        'ErrorLog "%s/error.log"' % srv.logdir,
        "LogLevel %s" % (loglevel or "warn"),
        "LogFormat %s cors" % ACCESS_FORMAT,
        "LogFormat %s corsfull" % ACCESS_FULL_FORMAT,
        'CustomLog "%s/access.log" cors' % srv.logdir,
        'CustomLog "%s/access_full.log" corsfull' % srv.logdir,
        'ScriptSock "%s/cgid.sock"' % srv.logdir,
        "TypesConfig /etc/mime.types",
        "Protocols h2c http/1.1",
        "Timeout 30",
        "KeepAlive On",
    ] + ([
        "StartServers 1",
        "ServerLimit 2",
        "ThreadsPerChild 10",
        "MaxRequestWorkers 20",
    ] if mpm != "prefork" else [
        "StartServers 2",
        "MinSpareServers 2",
        "MaxSpareServers 4",
        "ServerLimit 4",
        "MaxRequestWorkers 4",
    ]) + [
        "ServerTokens Prod",
        "TraceEnable off",
        "HostnameLookups Off",
    ]
    if base:
        parts += [
            'DocumentRoot "%s"' % srv.docroot,
            "<Directory />\n    AllowOverride None\n    Require all denied\n</Directory>",
            '<Directory "%s">\n    Options FollowSymLinks\n    AllowOverride FileInfo\n'
            "    Require all granted\n</Directory>" % srv.docroot,
            'ScriptAlias /cgi-bin/ "%s/"' % srv.cgibin,
            '<Directory "%s">\n    Options +ExecCGI\n    AllowOverride None\n'
            "    Require all granted\n</Directory>" % srv.cgibin,
            "DirectoryIndex index.html",
        ]
    mapping = {"docroot": srv.docroot, "port": srv.port, "cgibin": srv.cgibin,
               "root": srv.root}
    parts += ["# ---- test config ----", _subst(conf or "", mapping), ""]
    return "\n".join(p for p in parts if p != "") + "\n"


# --------------------------------------------------------------------------
# configtest
# --------------------------------------------------------------------------

def configtest(conf, files=None, htaccess=None, cgi=None, loglevel="cors:debug",
               extra_modules=None, base=True):
    """Runs ``apache2 -t`` on the generated config; returns (rc, output).
    Not run under CORS_TEST_HTTPD_PREFIX (configtest only parses)."""
    srv = Server(conf, files, htaccess, cgi, loglevel, extra_modules, base)
    try:
        p = subprocess.run(srv._cmd(test_only=True), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=START_TIMEOUT)
        return p.returncode, p.stdout.decode("latin-1")
    finally:
        srv._stopped = True
        srv.cleanup()


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

def _check_module():
    so = mod_cors_so()
    if not os.path.exists(so):
        pytest.fail("mod_cors not found at %s (set MOD_CORS_SO)" % so, pytrace=False)


class _Factory:
    def __init__(self):
        self.servers = []

    def __call__(self, conf, files=None, htaccess=None, cgi=None,
                 loglevel="cors:debug", extra_modules=None, base=True, mpm="event"):
        _check_module()
        srv = Server(conf, files, htaccess, cgi, loglevel, extra_modules, base,
                     mpm=mpm)
        self.servers.append(srv)
        return srv.start()

    def finish(self):
        errors = []
        for srv in self.servers:
            try:
                srv.stop(check=True)
            except AssertionError as e:
                errors.append(str(e))
            finally:
                srv.cleanup()
        self.servers = []
        if errors:
            pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture
def httpd():
    f = _Factory()
    yield f
    f.finish()


@pytest.fixture(scope="module")
def httpd_module():
    f = _Factory()
    yield f
    f.finish()


@pytest.fixture(scope="class")
def httpd_class():
    f = _Factory()
    yield f
    f.finish()


@pytest.fixture(name="configtest")
def configtest_fixture():
    return configtest


def shared_dir(prefix="pf-"):
    """A directory the server user (nobody) can write: CGI scripts record
    their runs in it."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o1777)
    return d


@pytest.fixture(scope="module")
def scratch_dir():
    """A shared_dir() for the test module, removed after it."""
    d = shared_dir("cors-scratch-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# Backend for mod_proxy tests
# --------------------------------------------------------------------------

class _BackendHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cors-test-backend"

    def log_message(self, *a):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests.append((self.command, self.path,
                                     {k.lower(): v for k, v in self.headers.items()}))
        status = 200
        body = b"backend body\n"
        m = re.match(r"^/status/(\d{3})", self.path)
        if m:
            status = int(m.group(1))
        if self.path.startswith("/echo"):
            body = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items()).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        if self.path.startswith("/multi"):
            # repeated fields, as a sloppy backend sends them
            self.send_header("Access-Control-Allow-Origin", "https://backend.example")
            self.send_header("Vary", "Accept-Language")
            self.send_header("Vary", "Cookie")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("X-Backend", "yes")
        if status in (301, 302, 303, 307, 308):
            self.send_header("Location", "/elsewhere")
        if status in (204, 304) or self.command == "HEAD":
            self.send_header("Content-Length", "0" if status != 304 else str(len(body)))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer


class _Backend(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    @property
    def port(self):
        return self.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def clear(self):
        del self.requests[:]


@pytest.fixture(scope="session")
def backend():
    srv = _Backend(("127.0.0.1", 0), _BackendHandler)
    srv.requests = []
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()
