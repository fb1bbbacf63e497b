"""Shared code of the mod_cors benchmarks (bench/run, bench/profile).

Generates httpd configurations in a temporary directory, starts Debian's
/usr/sbin/apache2 on 127.0.0.1 with free ports, drives it over one
keep-alive connection, and runs it under valgrind's callgrind.

Only the Python standard library is used (Debian's /usr/bin/python3).
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

APACHE = os.environ.get("APACHE2", "/usr/sbin/apache2")
MODDIR = os.environ.get("APACHE_MODDIR", "/usr/lib/apache2/modules")
VALGRIND = os.environ.get("VALGRIND", "valgrind")
CALLGRIND_ANNOTATE = os.environ.get("CALLGRIND_ANNOTATE", "callgrind_annotate")


def mod_cors_so():
    return os.environ.get("MOD_CORS_SO", os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        ".libs", "mod_cors.so"))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------

HOST = "bench.test"  # constant Host header: same bytes in every run


def origin(i):
    # Fixed width, so that every configuration's allowed Origin has the same
    # length (request parsing costs the same everywhere).
    return "https://o%06d.example.com" % i


WILDCARD_RULE = "https://*.wild.example.org"
WILDCARD_ORIGIN = "https://a.b.wild.example.org"
REGEX_RULE = r"^https://app-[0-9]+\.regex\.example\.net$"
REGEX_ORIGIN = "https://app-4242.regex.example.net"
EVIL_ORIGIN = "https://evil000.example.net"  # same length as origin(i)
ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
ALLOWED_HEADERS = ["Content-Type", "X-Requested-With", "Authorization"] + [
    "X-Custom-%d" % i for i in range(10)
]
MAX_AGE = 600

STATIC_FILE = "f.txt"
STATIC_SIZE = 512


class Config:
    """One httpd configuration: 'nocors', 'recipe-<N>', 'cors-<N>'.

    N may be written 1k / 100k.  The CORS scope is <Location "/c/">; /n/
    (same file, same path length) is a scope without CORS."""

    def __init__(self, name):
        self.name = name
        m = re.fullmatch(r"(nocors|fixed|recipe|cors)(?:-(\d+)(k?))?", name)
        if not m:
            raise ValueError("unknown configuration %r (nocors, fixed, recipe-1k, cors-1, "
                             "cors-1k, cors-100k, ...)" % name)
        self.kind = m.group(1)
        n = int(m.group(2) or (0 if self.kind in ("nocors", "fixed") else 1000))
        if m.group(3):
            n *= 1000
        if self.kind in ("recipe", "cors") and n < 1:
            raise ValueError("%s: needs at least one origin" % name)
        self.n = n
        # The allowed origin is in the middle of the list (the recipe's
        # regular expression tries alternatives in order).
        self.allowed_index = n // 2 if n else 500

    @property
    def allowed_origin(self):
        return origin(self.allowed_index)

    @property
    def is_cors(self):
        return self.kind == "cors"

    def modules(self):
        mods = ["authz_core", "mime", "dir"]
        if self.kind == "recipe":
            mods += ["setenvif", "headers"]
        elif self.kind == "fixed":
            mods += ["headers"]
        return mods

    def scope_directives(self):
        """The directives of <Location "/c/">."""
        lines = []
        if self.kind == "recipe":
            alts = "|".join(re.escape(origin(i)) for i in range(self.n))
            lines.append('SetEnvIf Origin "^(%s)$" ORIGIN=$0' % alts)
            lines.append("Header always set Access-Control-Allow-Origin %{ORIGIN}e env=ORIGIN")
            lines.append("Header merge Vary Origin")
        elif self.kind == "fixed":
            # What httpd costs to send the two headers, without deciding
            # anything (a floor, not a CORS implementation).
            lines.append('Header always set Access-Control-Allow-Origin "%s"' % self.allowed_origin)
            lines.append("Header merge Vary Origin")
        elif self.kind == "cors":
            chunk = 1000
            for start in range(0, self.n, chunk):
                lines.append("CORSAllowOrigin " + " ".join(
                    origin(i) for i in range(start, min(self.n, start + chunk))))
            lines.append("CORSAllowOrigin " + WILDCARD_RULE)
            lines.append('CORSAllowOriginMatch "%s"' % REGEX_RULE)
            lines.append("CORSAllowMethods " + " ".join(ALLOWED_METHODS))
            lines.append("CORSAllowHeaders " + " ".join(ALLOWED_HEADERS))
            lines.append("CORSMaxAge %d" % MAX_AGE)
        else:
            # Same section structure as the others, nothing in it.
            lines.append("# no CORS")
        return lines


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_tree(root):
    """The document root: /c/f.txt and /n/f.txt, readable by nobody."""
    os.chmod(root, 0o755)
    for d in ("htdocs", "htdocs/c", "htdocs/n", "run", "logs"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, d), 0o755)
    body = (b"mod_cors benchmark static file.\n" * 64)[:STATIC_SIZE]
    for d in ("c", "n"):
        p = os.path.join(root, "htdocs", d, STATIC_FILE)
        with open(p, "wb") as f:
            f.write(body)
        os.chmod(p, 0o644)
        # A fixed mtime: same Last-Modified/ETag bytes in every run.
        os.utime(p, (1700000000, 1700000000))


def write_config(cfg, root, port, mpm="prefork", single=False, tag=None):
    """Writes root/<name>.conf and returns its path.

    single: for apache2 -X under callgrind (one process, exit after the one
    connection)."""
    modlines = ["LoadModule mpm_%s_module %s/mod_mpm_%s.so" % (mpm, MODDIR, mpm)]
    for m in cfg.modules():
        modlines.append("LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m))
    if cfg.is_cors:
        so = mod_cors_so()
        if not os.path.exists(so):
            raise FileNotFoundError("mod_cors not built: %s (set MOD_CORS_SO)" % so)
        modlines.append("LoadModule cors_module %s" % so)
    user = ""
    if os.geteuid() == 0:
        user = "User nobody\nGroup nogroup\n"
    if mpm == "prefork":
        mpmconf = ("StartServers 1\nMinSpareServers 1\nMaxSpareServers 4\n"
                   "ServerLimit 8\nMaxRequestWorkers 8\n")
        # One connection, then the (only) process exits by itself:
        # deterministic shutdown, no signal racing the end of the connection.
        mpmconf += "MaxConnectionsPerChild %d\n" % (1 if single else 0)
    else:
        mpmconf = ("StartServers 2\nServerLimit 2\nThreadsPerChild 16\n"
                   "MaxRequestWorkers 32\nMinSpareThreads 1\nMaxSpareThreads 64\n"
                   "MaxConnectionsPerChild 0\n")
    text = """# generated by mod_cors bench: {name}
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/run/{tag}.pid"
DefaultRuntimeDir "{root}/run"
ErrorLog "{root}/logs/{name}.error.log"
LogLevel warn
{user}{modules}
{mpmconf}TypesConfig /etc/mime.types
Timeout 600
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 600
DocumentRoot "{root}/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{root}/htdocs">
    Options None
    AllowOverride None
    Require all granted
</Directory>
<Location "/c/">
    {scope}
</Location>
""".format(name=cfg.name, tag=tag or cfg.name, root=root, port=port, user=user,
           modules="\n".join(modlines), mpmconf=mpmconf,
           scope="\n    ".join(cfg.scope_directives()))
    path = os.path.join(root, (tag or cfg.name) + "." + mpm + (".X" if single else "") + ".conf")
    pid = os.path.join(root, "run", (tag or cfg.name) + ".pid")
    if os.path.exists(pid):
        os.unlink(pid)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------

class Kind:
    def __init__(self, name, title, method, path, origin, acrm=None, acrh=None,
                 refused=False):
        self.name, self.title = name, title
        self.method, self.path = method, path
        self.origin_sel, self.acrm, self.acrh = origin, acrm, acrh
        # mod_cors refuses it although the origin is allowed (the adversarial
        # lists: longer than any list the policy could allow).
        self.refused = refused

    def request(self, cfg):
        o = {"allowed": cfg.allowed_origin, "evil": EVIL_ORIGIN,
             "wildcard": WILDCARD_ORIGIN, "regex": REGEX_ORIGIN,
             None: None}[self.origin_sel]
        lines = ["%s %s HTTP/1.1" % (self.method, self.path), "Host: " + HOST,
                 "User-Agent: mod_cors-bench", "Accept: */*"]
        if o:
            lines.append("Origin: " + o)
        if self.acrm:
            lines.append("Access-Control-Request-Method: " + self.acrm)
        if self.acrh is not None:
            lines.append("Access-Control-Request-Headers: " + self.acrh)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def expect(self, cfg):
        """(status, Access-Control-Allow-Origin value or None) expected."""
        pre = self.method == "OPTIONS"
        if not cfg.is_cors or self.path.startswith("/n/"):
            acao = None
            if cfg.kind == "recipe" and self.path.startswith("/c/") and self.origin_sel == "allowed":
                acao = cfg.allowed_origin
            if cfg.kind == "fixed" and self.path.startswith("/c/"):
                acao = cfg.allowed_origin
            return (200, acao)
        allowed = self.origin_sel in ("allowed", "wildcard", "regex")
        o = self.request(cfg).split(b"Origin: ")[1].split(b"\r\n")[0].decode() if self.origin_sel else None
        if pre:
            return (204, o) if allowed and not self.refused else (403, None)
        return (200, o if allowed else None)


# Access-Control-Request-Headers values of ~8000 bytes: the line stays under
# httpd's LimitRequestFieldSize (8190 with the field name).
def _acrh_names(limit=8000):
    names = [h.lower() for h in ALLOWED_HEADERS if h != "Authorization"]
    out, i = [], 0
    while len(",".join(out)) + len(names[i % len(names)]) + 1 <= limit:
        out.append(names[i % len(names)])
        i += 1
    return ",".join(out)


def _acrh_commas(limit=8000):
    tail = "content-type"
    return ", " * ((limit - len(tail)) // 2) + tail


ACRH_NORMAL = "content-type,x-requested-with"

KINDS = [
    Kind("get-allowed", "actual GET, allowed Origin", "GET", "/c/" + STATIC_FILE, "allowed"),
    Kind("get-disallowed", "actual GET, disallowed Origin", "GET", "/c/" + STATIC_FILE, "evil"),
    Kind("get-no-origin", "GET without Origin, CORS scope", "GET", "/c/" + STATIC_FILE, None),
    Kind("get-other-scope", "GET with Origin, scope without CORS", "GET", "/n/" + STATIC_FILE, "allowed"),
    Kind("get-wildcard", "actual GET, Origin matched by *.domain", "GET", "/c/" + STATIC_FILE, "wildcard"),
    Kind("get-regex", "actual GET, Origin matched by the regex", "GET", "/c/" + STATIC_FILE, "regex"),
    Kind("preflight-allowed", "preflight allowed (method only)", "OPTIONS", "/c/" + STATIC_FILE,
         "allowed", acrm="PUT"),
    Kind("preflight-refused", "preflight refused (disallowed Origin)", "OPTIONS", "/c/" + STATIC_FILE,
         "evil", acrm="PUT"),
    Kind("preflight-normal", "preflight, method + 2 headers", "OPTIONS", "/c/" + STATIC_FILE,
         "allowed", acrm="PUT", acrh=ACRH_NORMAL),
    Kind("preflight-acrh-names", "preflight, ACRH 8000 B of allowed names (refused)",
         "OPTIONS", "/c/" + STATIC_FILE, "allowed", acrm="PUT", acrh=_acrh_names(),
         refused=True),
    Kind("preflight-acrh-commas", "preflight, ACRH 8000 B of \", \" (refused)", "OPTIONS",
         "/c/" + STATIC_FILE, "allowed", acrm="PUT", acrh=_acrh_commas(), refused=True),
]
KIND_BY_NAME = {k.name: k for k in KINDS}


class Response:
    def __init__(self, status, headers, body_len):
        self.status, self.headers, self.body_len = status, headers, body_len

    def header(self, name):
        name = name.lower()
        vals = [v for (n, v) in self.headers if n.lower() == name]
        return ", ".join(vals) if vals else None


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, port, connect_timeout=180.0, io_timeout=600.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(io_timeout)
        self.buf = bytearray()

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def roundtrip(self, raw, head=False):
        self.sock.sendall(raw)
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        head_bytes = bytes(self.buf[:end])
        del self.buf[:end + 4]
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for ln in lines[1:]:
            n, _, v = ln.partition(":")
            headers.append((n.strip(), v.strip()))
        r = Response(status, headers, 0)
        if head or status in (204, 304) or 100 <= status < 200:
            return r
        te = r.header("transfer-encoding")
        if te and "chunked" in te.lower():
            total = 0
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                i = self.buf.find(b"\r\n")
                size = int(bytes(self.buf[:i]).split(b";")[0], 16)
                del self.buf[:i + 2]
                while len(self.buf) < size + 2:
                    self._fill()
                del self.buf[:size + 2]
                total += size
                if size == 0:
                    # (no trailers expected)
                    break
            r.body_len = total
            return r
        n = int(r.header("content-length") or 0)
        while len(self.buf) < n:
            self._fill()
        del self.buf[:n]
        r.body_len = n
        return r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def check_response(cfg, kind, r):
    """Returns '' or a description of what differs from the expectation."""
    st, acao = kind.expect(cfg)
    got = r.header("access-control-allow-origin")
    problems = []
    if r.status != st:
        problems.append("status %d, expected %d" % (r.status, st))
    if acao != got:
        problems.append("Access-Control-Allow-Origin %r, expected %r" % (got, acao))
    return "; ".join(problems)


def send_plan(port, cfg, plan, connect_timeout=180.0):
    """Sends plan = [(kind, count), ...] over one connection.  Returns
    {kind name: (first response, problem text)}."""
    conn = Connection(port, connect_timeout=connect_timeout)
    seen = {}
    try:
        for kind, count in plan:
            raw = kind.request(cfg)
            head = kind.method == "HEAD"
            for i in range(count):
                r = conn.roundtrip(raw, head=head)
                if i == 0 and kind.name not in seen:
                    seen[kind.name] = (r, check_response(cfg, kind, r))
    finally:
        conn.close()
    return seen


# ---------------------------------------------------------------------------
# Callgrind
# ---------------------------------------------------------------------------

def read_total_ir(path):
    """The total Ir of a callgrind output file (its totals:/summary: line)."""
    total = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"totals:") or line.startswith(b"summary:"):
                total = int(line.split()[1])
    if total is None:
        raise RuntimeError("no totals in %s" % path)
    return total


def callgrind_run(cfg, root, outdir, tag, plan, timeout=600, extra_valgrind=()):
    """Runs apache2 -X under callgrind, sends the plan over one connection,
    waits for httpd to exit after it.  Returns (total Ir, out file, checks)."""
    port = free_port()
    conf = write_config(cfg, root, port, mpm="prefork", single=True, tag=cfg.name + "." + tag)
    out = os.path.join(outdir, "callgrind.%s.%s.out" % (cfg.name, tag))
    for stale in [out] + [out + "-%02d" % i for i in range(1, 9)]:
        if os.path.exists(stale):
            os.unlink(stale)
    # callgrind creates the file at start-up (as root) and writes it at exit,
    # when httpd runs as nobody: hand the file to that user beforehand.
    open(out, "wb").close()
    if os.geteuid() == 0:
        import pwd
        os.chown(out, pwd.getpwnam("nobody").pw_uid, -1)
    cmd = [VALGRIND, "--tool=callgrind", "--collect-atstart=yes", "--vgdb=no",
           "--callgrind-out-file=" + out, "--trace-children=no"]
    cmd += list(extra_valgrind)
    cmd += [APACHE, "-X", "-d", root, "-f", conf]
    errpath = os.path.join(outdir, "valgrind.%s.%s.log" % (cfg.name, tag))
    with open(errpath, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
    try:
        checks = send_plan(port, cfg, plan, connect_timeout=timeout)
        proc.wait(timeout=timeout)
    except BaseException:
        kill_group(proc)
        raise
    if proc.returncode != 0:
        raise RuntimeError("apache2 -X under callgrind exited %s (see %s and %s/logs)"
                           % (proc.returncode, errpath, root))
    if not os.path.exists(out):
        raise RuntimeError("callgrind wrote no %s (see %s)" % (out, errpath))
    return read_total_ir(out), out, checks


def kill_group(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


_ANN_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?)\s*$")


def annotate_functions(path, inclusive=True):
    """{function label: Ir} from callgrind_annotate (all functions)."""
    cmd = [CALLGRIND_ANNOTATE, "--threshold=100",
           "--inclusive=" + ("yes" if inclusive else "no"), path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    res = {}
    started = False
    for line in out.splitlines():
        if not started:
            if "file:function" in line:
                started = True
            continue
        if line.startswith("-") or not line.strip():
            if res:
                # the function list ends at the next rule/blank after entries
                if line.startswith("-"):
                    break
            continue
        m = _ANN_LINE.match(line)
        if not m:
            continue
        label = m.group(2)
        if label.startswith("PROGRAM TOTALS"):
            continue
        res[label] = res.get(label, 0) + int(m.group(1).replace(",", ""))
    return res


def is_mod_cors(label):
    so = os.path.basename(mod_cors_so())
    return ("[" in label and so in label) or re.search(r"(^|[:/])(mod_)?cors_[^/]*\.c:", label) \
        or re.search(r":cors_\w+", label) is not None


def short_label(label):
    # "/path/file.c:func [/path/obj.so]" -> "func (file.c, obj.so)"
    m = re.match(r"^(.*?):(\S+)(?: \[(.*)\])?$", label)
    if not m:
        return label
    f, fn, obj = m.groups()
    where = [os.path.basename(f)] if f != "???" else []
    if obj:
        where.append(os.path.basename(obj))
    return "%s (%s)" % (fn, ", ".join(where)) if where else fn


def per_request_functions(file1, file2, n_diff, inclusive=True):
    """[(label, Ir per request)] of the difference between two runs."""
    a = annotate_functions(file1, inclusive)
    b = annotate_functions(file2, inclusive)
    res = []
    for label, v in b.items():
        d = (v - a.get(label, 0)) / n_diff
        if abs(d) >= 0.5:
            res.append((label, d))
    res.sort(key=lambda x: -x[1])
    return res


# ---------------------------------------------------------------------------
# Normal (non -X) httpd, for wrk and memory
# ---------------------------------------------------------------------------

class Server:
    """apache2 -D FOREGROUND with a generated configuration."""

    def __init__(self, cfg, root, mpm="event"):
        self.cfg, self.root = cfg, root
        self.port = free_port()
        self.conf = write_config(cfg, root, self.port, mpm=mpm)
        self.proc = None

    def start(self, timeout=60):
        cmd = [APACHE, "-d", self.root, "-f", self.conf, "-D", "FOREGROUND"]
        self.errlog = open(os.path.join(self.root, "logs", self.cfg.name + ".stderr"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errlog,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s: apache2 exited %s (see %s/logs)"
                                   % (self.cfg.name, self.proc.returncode, self.root))
            try:
                c = Connection(self.port, connect_timeout=0.2, io_timeout=10)
                r = c.roundtrip(KIND_BY_NAME["get-allowed"].request(self.cfg))
                c.close()
                if r.status == 200:
                    return r
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("%s: apache2 did not answer in %ds" % (self.cfg.name, timeout))
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                kill_group(self.proc)
        if self.proc:
            # children left behind (should not happen): only our own group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def make_root(keep_dir=None):
    if keep_dir:
        os.makedirs(keep_dir, exist_ok=True)
        root = os.path.abspath(keep_dir)
    else:
        root = tempfile.mkdtemp(prefix="mod_cors-bench.")
    make_tree(root)
    outdir = os.path.join(root, "callgrind")
    os.makedirs(outdir, exist_ok=True)
    # httpd -X drops to nobody before callgrind writes its file at exit.
    os.chmod(outdir, 0o1777)
    return root, outdir


def fmt_int(v):
    if v is None:
        return "n/a"
    return "{:,}".format(int(round(v)))


def fmt_delta(v):
    if v is None:
        return "n/a"
    v = int(round(v))
    return ("+" if v >= 0 else "\u2212") + "{:,}".format(abs(v))


def run_parallel(jobs, fn, items):
    """Runs fn(item) for items with at most `jobs` at a time; returns
    results in order.  Exceptions are returned as values."""
    results = [None] * len(items)
    lock = threading.Lock()
    nxt = [0]

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(items):
                return
            try:
                results[i] = fn(items[i])
            except Exception as e:  # reported by the caller
                results[i] = e

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def median(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------
# Instructions per request: N1 and N2 requests, the difference divided by
# N2 - N1 (start-up and shutdown cancel out)
# ---------------------------------------------------------------------------

class IrResult:
    def __init__(self, cfg, kind):
        self.cfg, self.kind = cfg, kind
        self.per_request = []   # one value per repetition
        self.files = []         # (file N1, file N2) per repetition
        self.totals = []        # (Ir N1, Ir N2)
        self.problem = ""
        self.error = None

    @property
    def value(self):
        return median(self.per_request)

    @property
    def spread(self):
        if len(self.per_request) < 2:
            return None
        return max(self.per_request) - min(self.per_request)


def measure_ir(cfgs, kinds, root, outdir, n1=200, n2=1200, repeat=1, jobs=2,
               timeout=600):
    """{(config name, kind name): IrResult}, running every callgrind run of
    the grid with at most `jobs` at a time."""
    items = []
    for cfg in cfgs:
        for kind in kinds:
            # The recipe's requests cost ten times more (its regex), and a few
            # Ir of noise do not matter there: one repetition.
            for rep in range(1 if cfg.kind == "recipe" else repeat):
                for n in (n1, n2):
                    items.append((cfg, kind, rep, n))

    done = [0]
    lock = threading.Lock()
    t0 = time.monotonic()

    def one(item):
        cfg, kind, rep, n = item
        tag = "%s.r%d.n%d" % (kind.name, rep, n)
        ir, out, checks = callgrind_run(cfg, root, outdir, tag, [(kind, n)], timeout=timeout)
        with lock:
            done[0] += 1
            if done[0] % 10 == 0 or done[0] == len(items):
                log("  callgrind: %d/%d runs (%.0f s)" % (done[0], len(items),
                                                          time.monotonic() - t0))
        return ir, out, checks.get(kind.name, (None, ""))[1]

    log("callgrind: %d runs of apache2 -X (%d configurations x %d request kinds x "
        "%d repetitions (recipe: 1) x N=%d,%d), %d at a time"
        % (len(items), len(cfgs), len(kinds), repeat, n1, n2, jobs))
    results = run_parallel(jobs, one, items)
    res = {}
    for cfg in cfgs:
        for kind in kinds:
            res[(cfg.name, kind.name)] = IrResult(cfg, kind)
    byrep = {}
    for item, r in zip(items, results):
        cfg, kind, rep, n = item
        ir = res[(cfg.name, kind.name)]
        if isinstance(r, Exception):
            ir.error = str(r)
            continue
        byrep.setdefault((cfg.name, kind.name, rep), {})[n] = r
        if r[2] and not ir.problem:
            ir.problem = r[2]
    for (cname, kname, rep), d in sorted(byrep.items()):
        ir = res[(cname, kname)]
        if n1 in d and n2 in d:
            ir.per_request.append((d[n2][0] - d[n1][0]) / (n2 - n1))
            ir.files.append((d[n1][1], d[n2][1]))
            ir.totals.append((d[n1][0], d[n2][0]))
    return res


# ---------------------------------------------------------------------------
# Reading callgrind output files directly (callgrind_annotate 3.19 splits a
# function over several "file:function" labels when code is inlined from
# other files, and cannot leave out a filter's downstream chain)
# ---------------------------------------------------------------------------

_RECURSION = re.compile(r"'\d+$")
_NAME_LINE = re.compile(r"^(ob|fl|fi|fe|fn|cob|cfi|cfl|cfn)=(?:\((\d+)\))?\s*(.*)$")


class Profile:
    """Self costs per function and costs per call edge of one callgrind
    file.  A function is (object basename, name)."""

    def __init__(self, path):
        self.path = path
        self.self_ir = {}
        self.calls = {}        # (caller, callee) -> inclusive Ir of those calls
        self.total = 0
        names = {}             # (kind, id) -> string; fn/cfn share ids, ob/cob too

        def resolve(kind, num, text):
            space = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn",
                     "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl", "cfl": "fl"}[kind]
            if num is None:
                return text
            if text:
                names[(space, num)] = text
                return text
            return names.get((space, num), "?")

        ob = fn = None
        cob = cfn = None
        pending_call = False
        with open(path, "r", errors="replace") as f:
            for line in f:
                c = line[:1]
                if c.isdigit() or c in "+-*":
                    parts = line.split()
                    ir = int(parts[1]) if len(parts) > 1 else 0
                    if pending_call:
                        key = (fn, (cob or ob, cfn))
                        self.calls[key] = self.calls.get(key, 0) + ir
                        pending_call = False
                        cob = None
                    else:
                        self.self_ir[fn] = self.self_ir.get(fn, 0) + ir
                    continue
                m = _NAME_LINE.match(line)
                if m:
                    kind, num, text = m.group(1), m.group(2), m.group(3).strip()
                    val = resolve(kind, num, text)
                    if kind == "ob":
                        ob = os.path.basename(val)
                    elif kind == "fn":
                        # "name'2": callgrind's recursion depth suffix
                        fn = (ob, _RECURSION.sub("", val))
                        cob = None
                    elif kind == "cob":
                        cob = os.path.basename(val)
                    elif kind == "cfn":
                        cfn = _RECURSION.sub("", val)
                    continue
                if line.startswith("calls="):
                    pending_call = True
                elif line.startswith("summary:") or line.startswith("totals:"):
                    self.total = int(line.split()[1])
        self.incl = dict(self.self_ir)
        for (caller, callee), ir in self.calls.items():
            if caller != callee:
                self.incl[caller] = self.incl.get(caller, 0) + ir

    def functions(self):
        return set(self.self_ir) | set(self.incl)


DOWNSTREAM = {"ap_pass_brigade", "ap_pass_brigade_fchk"}


def module_costs(p, obj):
    """Per function of object obj: (inclusive, inclusive without the
    downstream filter chain, self, attributed), where attributed = self +
    calls out of the module (apr, libc, pcre2, httpd) but not downstream
    filters: the attributed costs of the module's functions add up to the
    module's total.  And that total: what calls into the module from outside
    cost, less what the module passes on to the next filters."""
    res = {}
    for fnkey in p.functions():
        if fnkey[0] != obj:
            continue
        incl = p.incl.get(fnkey, 0)
        down = out = 0
        for (caller, callee), ir in p.calls.items():
            if caller != fnkey:
                continue
            if callee[1] in DOWNSTREAM:
                down += ir
            elif callee[0] != obj:
                out += ir
        selfc = p.self_ir.get(fnkey, 0)
        res[fnkey[1]] = (incl, incl - down, selfc, selfc + out)
    entry = sum(ir for (caller, callee), ir in p.calls.items()
                if callee[0] == obj and caller[0] != obj)
    passed = sum(ir for (caller, callee), ir in p.calls.items()
                 if caller[0] == obj and callee[1] in DOWNSTREAM)
    return res, entry - passed


def module_per_request(file1, file2, n_diff, obj=None):
    """mod_cors's functions per request between two runs:
    ([(name, incl, incl without downstream, self, attributed)], sorted by
    inclusive without downstream; module's own total per request)."""
    obj = obj or os.path.basename(mod_cors_so())
    a, ta = module_costs(Profile(file1), obj)
    b, tb = module_costs(Profile(file2), obj)
    rows = []
    for name, v2 in b.items():
        v1 = a.get(name, (0, 0, 0, 0))
        row = (name,) + tuple((y - x) / n_diff for x, y in zip(v1, v2))
        if any(abs(x) >= 0.5 for x in row[1:]):
            rows.append(row)
    rows.sort(key=lambda r: -r[2])
    return rows, (tb - ta) / n_diff


def overall_per_request(file1, file2, n_diff, inclusive=False):
    """[(object, function, Ir per request)] of all functions, sorted."""
    a, b = Profile(file1), Profile(file2)
    da = a.incl if inclusive else a.self_ir
    db = b.incl if inclusive else b.self_ir
    rows = []
    for k in set(da) | set(db):
        d = (db.get(k, 0) - da.get(k, 0)) / n_diff
        if abs(d) >= 0.5:
            rows.append((k[0], k[1], d))
    rows.sort(key=lambda r: -r[2])
    return rows


def group_cpu_ns(pgid):
    """CPU time (ns) spent so far by every thread of every process in
    process group pgid (the server's session), from /proc/*/task/*/schedstat."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            # fields after "(comm)": state ppid pgrp ...
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[2]) != pgid:
                continue
            for t in os.listdir("/proc/%s/task" % d):
                with open("/proc/%s/task/%s/schedstat" % (d, t)) as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def group_user_system_ticks(pgid):
    """(utime, stime) clock ticks of the processes in process group pgid."""
    user = system = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[2]) != pgid:
                continue
            user += int(fields[11])
            system += int(fields[12])
        except (OSError, ValueError, IndexError):
            continue
    return user, system
