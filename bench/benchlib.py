# SPDX-License-Identifier: Apache-2.0
"""Shared code of bench/run, of test/soak (conf_head, free_port, children,
rss_kib, stop_workers) and of the integration harness (stop_workers): httpd
configurations generated in a work directory, Debian's apache2 on 127.0.0.1
(free ports) driven over one keep-alive connection, callgrind runs and their
files.  Python standard library only.
"""

import concurrent.futures
import http.client
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
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APACHE = os.environ.get("APACHE2", "/usr/sbin/apache2")
MODDIR = os.environ.get("APACHE_MODDIR") or os.environ.get(
    "APACHE_MODULES_DIR", "/usr/lib/apache2/modules")
VALGRIND = os.environ.get("VALGRIND", "valgrind")
APXS = os.environ.get("APXS", "apxs")
FLOOR_SRC = os.environ.get("FLOOR_SRC", os.path.join(
    os.path.dirname(REPO), "shared", "floor", "mod_corsfloor.c"))
# module .so per configuration kind; the floor's is set by build_floor()
SO = {"cors": os.environ.get("MOD_CORS_SO", os.path.join(REPO, ".libs", "mod_cors.so")),
      "rules": os.environ.get("MOD_CORS_SO", os.path.join(REPO, ".libs", "mod_cors.so")),
      "floor": None}
# mod_cors with the origins in a map (CORSAllowOriginMap txt: or dbm:)
SO["maptxt"] = SO["mapdbm"] = SO["cors"]
# The kinds that run mod_cors's policy in /c/.
CORS_KINDS = ("cors", "rules", "maptxt", "mapdbm")
MODULE_NAME = {"cors": "cors_module", "rules": "cors_module", "floor": "corsfloor_module",
               "maptxt": "cors_module", "mapdbm": "cors_module"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


def fmt_int(v):
    return "n/a" if v is None else "{:,}".format(int(round(v)))


def fmt_delta(v):
    return "n/a" if v is None else ("+" if v >= 0 else "\u2212") + fmt_int(abs(v))


# Configurations

def origin(i):
    # fixed width: every configuration's allowed Origin has the same length
    return "https://o%06d.example.com" % i


WILDCARD_RULE, WILDCARD_ORIGIN = "https://*.wild.example.org", "https://a.b.wild.example.org"
REGEX_RULE = r"^https://app-[0-9]+\.regex\.example\.net$"
REGEX_ORIGIN = "https://app-4242.regex.example.net"
EVIL_ORIGIN = "https://evil000.example.net"  # same length as origin(i)
EXPOSE = "X-Total-Count"  # the floor's Access-Control-Expose-Headers
ALLOWED_HEADERS = ["Content-Type", "X-Requested-With", "Authorization"] + [
    "X-Custom-%d" % i for i in range(10)]
ACRH_NAMES = ",".join([h.lower() for h in ALLOWED_HEADERS if h != "Authorization"] * 400)
HOST, STATIC_FILE = "bench.test", "f.txt"
TITLES = {"nocors": "no CORS", "floor": "floor", "cors": "mod_cors", "recipe": "recipe",
          "rules": "mod_cors rules", "maptxt": "mod_cors txt: map",
          "mapdbm": "mod_cors dbm: map"}



MAP_LOCK = threading.Lock()  # callgrind runs write their configurations in threads


def map_file(root, kind, n):
    """The origins of a maptxt-N or mapdbm-N configuration, made once per
    work directory (ServerRoot-relative path).  A DBM is built with
    httxt2dbm (its default type) from the same lines."""
    with MAP_LOCK:
        return _map_file(root, kind, n)


def _map_file(root, kind, n):
    rel = "maps/origins-%d.%s" % (n, "txt" if kind == "maptxt" else "db")
    path = os.path.join(root, rel)
    if os.path.exists(path):
        return rel
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.chmod(os.path.dirname(path), 0o755)
    txt = os.path.join(root, "maps/origins-%d.txt" % n)
    if not os.path.exists(txt):
        with open(txt + ".tmp", "w") as f:
            f.writelines("%s\n" % origin(i) for i in range(n))
        os.chmod(txt + ".tmp", 0o644)
        os.rename(txt + ".tmp", txt)
    if kind == "mapdbm":
        src = txt + ".kv"
        with open(txt) as f, open(src, "w") as out:
            out.writelines(line.rstrip("\n") + " 1\n" for line in f)
        subprocess.run([shutil.which("httxt2dbm") or "/usr/sbin/httxt2dbm",
                        "-i", src, "-o", path + ".tmp"], check=True,
                       stdout=subprocess.DEVNULL)
        os.remove(src)
        os.chmod(path + ".tmp", 0o644)
        os.rename(path + ".tmp", path)
    return rel


class Config:
    """'nocors', or 'floor-N', 'cors-N', 'recipe-N' with N origins (1, 1k,
    100k, ...).  The CORS scope is <Location "/c/">, with CORSAllowHeaders *
    in /c/star/; /n/ has no CORS (the
    floor is server-wide: it answers everywhere).  A '-status' suffix
    (nocors-status, cors-1k-status) also loads mod_status, ExtendedStatus
    Off: mod_cors's counters are active."""

    def __init__(self, name):
        base, self.status = re.subn(r"-status$", "", name)
        m = re.fullmatch(r"(nocors)|(floor|cors|recipe|rules|maptxt|mapdbm)-([1-9]\d*)([km]?)",
                         base)
        if not m:
            raise ValueError("unknown configuration %r (nocors, floor-N, cors-N, recipe-N, "
                             "rules-R, maptxt-N, mapdbm-N, a -status suffix; N: 1, 1k, "
                             "100k, 1m, ...)" % name)
        self.base = base
        self.name, self.kind = name, m.group(1) or m.group(2)
        self.n = int(m.group(3) or 0) * {"k": 1000, "m": 1000000}.get(m.group(4), 1)
        self.root = None  # set by write_config: where a map's file is
        # rules-R: R <CORSRule> sections, the one that matches last, holding
        # cors-1k's policy; the others 100 origins each that never match.
        self.rules = 0
        if self.kind == "rules":
            self.rules, self.n = self.n, 1000
        # in the middle of the list: the recipe's regex tries alternatives in order
        self.allowed_origin = origin(self.n // 2 if self.n else 500)
        self.title = TITLES[self.kind] + (", " + name.split("-")[1] if self.n else "") + (
            " + mod_status" if self.status else "")

    @property
    def so(self):
        return SO.get(self.kind)

    @property
    def built(self):
        return self.kind not in SO or bool(self.so and os.path.exists(self.so))

    def origin_lines(self, directive):
        return ["%s %s" % (directive, " ".join(origin(i) for i in range(s, min(self.n, s + 1000))))
                for s in range(0, self.n, 1000)]

    def text(self):
        """(LoadModule lines, server directives, directives of <Location "/c/">)"""
        mods, server, scope = self._text()
        return mods, server + ["ExtendedStatus Off"] * self.status, scope

    def _text(self):
        mods = ["authz_core", "mime", "dir"] + ["setenvif", "headers"] * (self.kind == "recipe")
        mods += ["status"] * self.status
        mods = ["LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m) for m in mods]
        if self.kind in SO:
            mods.append("LoadModule %s %s" % (MODULE_NAME[self.kind], self.so))
        if self.kind == "floor":
            return mods, self.origin_lines("FloorOrigin"), ["# no CORS"]
        if self.kind == "rules":
            scope = []
            for r in range(self.rules - 1):
                scope += ["<CORSRule miss%d>" % r, "    CORSAllowOrigin " + " ".join(
                    "https://r%d-%d.example.com" % (r, i) for i in range(100)),
                    "    CORSAllowMethods GET HEAD POST PUT DELETE PATCH", "</CORSRule>"]
            last = Config("cors-1k")._text()[2]
            return mods, [], scope + ["<CORSRule match>"] + [
                "    " + line for line in last] + ["</CORSRule>"]
        if self.kind in ("cors", "maptxt", "mapdbm"):
            origins = self.origin_lines("CORSAllowOrigin") if self.kind == "cors" else [
                "CORSAllowOriginMap %s:%s" % ("txt" if self.kind == "maptxt" else "dbm",
                                              map_file(self.root, self.kind, self.n))]
            return mods, [], origins + [
                "CORSAllowOrigin " + WILDCARD_RULE,
                'CORSAllowOriginMatch "%s"' % REGEX_RULE,
                "CORSAllowMethods GET HEAD POST PUT DELETE PATCH",
                "CORSAllowHeaders " + " ".join(ALLOWED_HEADERS),
                "CORSExposeHeaders " + EXPOSE,
                "CORSMaxAge 600"]
        if self.kind == "recipe":
            return mods, [], [
                'SetEnvIf Origin "^(%s)$" ORIGIN=$0'
                % "|".join(re.escape(origin(i)) for i in range(self.n)),
                "Header always set Access-Control-Allow-Origin %{ORIGIN}e env=ORIGIN",
                "Header always set Access-Control-Expose-Headers %s env=ORIGIN" % EXPOSE,
                "Header merge Vary Origin"]
        return mods, [], ["# no CORS"]


def build_floor(root):
    """Compiles FLOOR_SRC with apxs in root/floor; sets SO["floor"].  The
    source calls apr_pstrdup without apr_strings.h: declared implicitly, its
    pointer is cut to an int and httpd crashes reading FloorOrigin (not under
    valgrind, by luck of its address layout), hence -include apr_strings.h."""
    if not os.path.isfile(FLOOR_SRC):
        return log("floor: %s not found (set FLOOR_SRC); floor skipped" % FLOOR_SRC)
    d = os.path.join(root, "floor")
    os.makedirs(d, exist_ok=True)
    shutil.copy(FLOOR_SRC, os.path.join(d, "mod_corsfloor.c"))
    p = subprocess.run([APXS, "-c", "-Wc,-includeapr_strings.h", "mod_corsfloor.c"], cwd=d,
                       capture_output=True, text=True, timeout=300)
    so = os.path.join(d, ".libs", "mod_corsfloor.so")
    if p.returncode != 0 or not os.path.exists(so):
        return log("floor: apxs -c failed; floor skipped:\n" + p.stdout + p.stderr)
    SO["floor"] = so


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def conf_head(root, port, modules, pid="httpd.pid", errorlog="error.log"):
    """The start of every generated httpd.conf (bench and test/soak):
    127.0.0.1:port, files under root (pid file and error log in root/logs),
    `User nobody` when run as root, everything denied (grant root/htdocs)."""
    user = "User nobody\nGroup nogroup\n" if os.geteuid() == 0 else ""
    return """ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/logs/{pid}"
DefaultRuntimeDir "{root}/logs"
ErrorLog "{root}/logs/{errorlog}"
LogLevel warn
{user}{modules}
TypesConfig /etc/mime.types
KeepAlive On
DocumentRoot "{root}/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
""".format(root=root, port=port, pid=pid, errorlog=errorlog, user=user,
           modules="\n".join(modules))


def write_config(cfg, root, port, mpm="prefork", tag=None, layout=0):
    """root/<tag>.conf; prefork: for apache2 -X under callgrind (one
    connection, then httpd exits by itself); event: a normal server.
    layout > 0 shifts what httpd allocates from its configuration pool by
    40 bytes per step (a Define of that length), see callgrind_run()."""
    tag = tag or cfg.name
    cfg.root = root
    mods, server, scope = cfg.text()
    mods.insert(0, "LoadModule mpm_%s_module %s/mod_mpm_%s.so" % (mpm, MODDIR, mpm))
    mpmconf = "MaxConnectionsPerChild 1" if mpm == "prefork" else (
        "StartServers 2\nServerLimit 2\nThreadsPerChild 16\nMaxRequestWorkers 32\n"
        "MinSpareThreads 1\nMaxSpareThreads 64\nMaxConnectionsPerChild 0")
    pad = "Define bench_layout %s\n" % ("x" * 40 * layout) if layout else ""
    text = conf_head(root, port, mods, tag + ".pid", tag + ".error.log") + pad + """{mpm}
Timeout 600
MaxKeepAliveRequests 0
KeepAliveTimeout 600
<Directory "{root}/htdocs">
    Options None
    Require all granted
</Directory>
{server}
<Location "/c/">
    {scope}
</Location>
<Location "/c/star/">
    {star}
</Location>
""".format(root=root, mpm=mpmconf, server="\n".join(server), scope="\n    ".join(scope),
           star="CORSAllowHeaders *" if any(l.startswith(("CORS", "<CORS")) for l in scope)
           else "# no CORS")
    path = os.path.join(root, tag + ".conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def make_root(keep_dir=None):
    """The work directory: htdocs/{c,n}/f.txt (512 bytes), logs/, callgrind/."""
    root = os.path.abspath(keep_dir) if keep_dir else tempfile.mkdtemp(prefix="mod_cors-bench.")
    for d in ("", "htdocs", "htdocs/c", "htdocs/c/star", "htdocs/n", "logs", "callgrind"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        os.chmod(os.path.join(root, d), 0o755)
    os.chmod(os.path.join(root, "callgrind"), 0o1777)  # written by httpd -X as nobody
    for p in (os.path.join(root, "htdocs", d, STATIC_FILE) for d in ("c", "c/star", "n")):
        with open(p, "wb") as f:
            f.write(b"mod_cors benchmark static file.\n" * 16)
        os.chmod(p, 0o644)
        os.utime(p, (1700000000, 1700000000))  # same ETag/Last-Modified bytes every run
    return root


# Requests

class Kind:
    def __init__(self, name, title, origin_sel, path="/c/", acrm=None, acrh=None, refused=False):
        self.name, self.title, self.origin_sel = name, title, origin_sel
        self.path, self.acrm, self.acrh, self.refused = path + STATIC_FILE, acrm, acrh, refused
        self.method = "OPTIONS" if acrm else "GET"

    def origin(self, cfg):
        return {"allowed": cfg.allowed_origin, "evil": EVIL_ORIGIN, "wildcard": WILDCARD_ORIGIN,
                "regex": REGEX_ORIGIN, None: None}[self.origin_sel]

    def send(self, conn, cfg):
        """One request over the keep-alive conn: (status, -Allow-Origin)."""
        conn.putrequest(self.method, self.path, skip_host=True, skip_accept_encoding=True)
        for name, v in (("Host", HOST), ("User-Agent", "mod_cors-bench"), ("Accept", "*/*"),
                        ("Origin", self.origin(cfg)), ("Access-Control-Request-Method", self.acrm),
                        ("Access-Control-Request-Headers", self.acrh)):
            if v is not None:
                conn.putheader(name, v)
        conn.endheaders()
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("Access-Control-Allow-Origin")

    def check(self, cfg, answer):
        """'' or how the answer differs from the expected (status, -Allow-Origin)."""
        o, scoped = self.origin(cfg), self.path.startswith("/c/")
        if cfg.kind == "floor" or (cfg.kind == "recipe" and scoped):
            want = 200, o if self.origin_sel == "allowed" else None
        elif cfg.kind not in CORS_KINDS or not scoped:
            want = 200, None
        elif self.method == "OPTIONS":
            ok = self.origin_sel != "evil" and not self.refused
            want = (204, o) if ok else (403, None)
        else:
            want = 200, o if self.origin_sel in ("allowed", "wildcard", "regex") else None
        return "" if answer == want else "(status, -Allow-Origin) %r, expected %r" % (answer, want)


KINDS = [
    Kind("get-allowed", "actual GET, allowed Origin", "allowed"),
    Kind("get-disallowed", "actual GET, disallowed Origin", "evil"),
    Kind("get-no-origin", "GET without Origin, CORS scope", None),
    Kind("get-other-scope", "GET with Origin, scope without CORS", "allowed", path="/n/"),
    Kind("get-wildcard", "actual GET, Origin matched by *.domain", "wildcard"),
    Kind("get-regex", "actual GET, Origin matched by the regex", "regex"),
    Kind("preflight-allowed", "preflight allowed (method only)", "allowed", acrm="PUT"),
    Kind("preflight-refused", "preflight refused (disallowed Origin)", "evil", acrm="PUT"),
    Kind("preflight-normal", "preflight, method + 2 headers", "allowed", acrm="PUT",
         acrh="content-type,x-requested-with"),
    # CORSAllowHeaders *: the answer lists the requested names, never "*"
    Kind("preflight-star", "preflight, method + 2 headers, CORSAllowHeaders *", "allowed",
         path="/c/star/", acrm="PUT", acrh="content-type,x-requested-with"),
    # 8000 bytes: under LimitRequestFieldSize, longer than any list the policy allows
    Kind("preflight-acrh-names", "preflight, ACRH 8000 B of allowed names (refused)", "allowed",
         acrm="PUT", acrh=ACRH_NAMES[:8001].rsplit(",", 1)[0], refused=True),
    Kind("preflight-acrh-commas", "preflight, ACRH 8000 B of \", \" (refused)", "allowed",
         acrm="PUT", acrh=", " * 3994 + "content-type", refused=True),
]
KIND_BY_NAME = {k.name: k for k in KINDS}


def connect(port, timeout, io_timeout=600):
    """A keep-alive connection, retried until httpd listens."""
    deadline = time.monotonic() + timeout
    while True:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=io_timeout)
        try:
            c.connect()
            return c
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# Callgrind: (Ir of N2 requests - Ir of N1) / (N2 - N1) per request, over
# one connection (start-up, the connection and shutdown cancel out)

def callgrind_run(cfg, kind, n, root, tag, layout=0, timeout=600):
    """apache2 -X under callgrind, n requests of kind: (total Ir, file, problem).
    Each repetition runs under another memory layout (layout: its number).
    Callgrind is exact, but what a request costs depends on where httpd's
    strings happen to lie: glibc's strcmp takes a slower path for a string
    near the end of a page, and one string httpd compares on every request
    moved that way costs ~60 Ir per request, 0.02 of the floor ratio.  One
    layout per repetition keeps such luck out of the median, for every
    configuration alike."""
    port = free_port()
    conf = write_config(cfg, root, port, tag="%s.%s" % (cfg.name, tag), layout=layout)
    out = os.path.join(root, "callgrind", "callgrind.%s.%s.out" % (cfg.name, tag))
    open(out, "wb").close()  # callgrind opens it at exit, when httpd runs as nobody
    if os.geteuid() == 0:
        import pwd
        os.chown(out, pwd.getpwnam("nobody").pw_uid, -1)
    with open(out[:-4] + ".log", "wb") as err:
        proc = subprocess.Popen([VALGRIND, "--tool=callgrind", "--vgdb=no", "--compress-strings=no",
                                 "--callgrind-out-file=" + out,
                                 APACHE, "-X", "-d", root, "-f", conf],
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        c = connect(port, timeout)
        problem = kind.check(cfg, kind.send(c, cfg))
        for _ in range(n - 1):
            kind.send(c, cfg)
        c.close()
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError("apache2 -X under callgrind exited %s (see %s.log)"
                           % (proc.returncode, out[:-4]))
    with open(out, "rb") as f:
        total = [int(ln.split()[1]) for ln in f if ln.startswith((b"totals:", b"summary:"))]
    return total[-1], out, problem


def measure_ir(cfgs, kinds, root, n1, n2, repeat, jobs):
    """{(config name, kind name): result}, result.value the median Ir per
    request of .per_request (one per repetition; the recipe runs once: its
    requests cost 10x more), .files [(N1 file, N2 file)], .problem, .error."""
    items = [(c, k, r, n) for c in cfgs for k in kinds
             for r in range(1 if c.kind == "recipe" else repeat) for n in (n1, n2)]
    log("callgrind: %d runs of apache2 -X, %d at a time" % (len(items), jobs))
    t0, done, lock = time.monotonic(), [0], threading.Lock()

    def one(item):
        c, k, r, n = item
        try:
            return callgrind_run(c, k, n, root, "%s.r%d.n%d" % (k.name, r, n), layout=r)
        finally:
            with lock:
                done[0] += 1
                if done[0] % 20 == 0 or done[0] == len(items):
                    log("  %d/%d (%.0f s)" % (done[0], len(items), time.monotonic() - t0))

    res = {(c.name, k.name): types.SimpleNamespace(per_request=[], files=[], problem="", error=None)
           for c in cfgs for k in kinds}
    runs = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as ex:
        for (c, k, r, n), fut in [(it, ex.submit(one, it)) for it in items]:
            one_res = res[(c.name, k.name)]
            try:
                runs[(c.name, k.name, r, n)] = fut.result()
                one_res.problem = one_res.problem or fut.result()[2]
            except Exception as e:  # noqa: BLE001 -- shown in the table
                one_res.error = str(e)
    for (c, k, r, n), (total, out, _) in sorted(runs.items()):
        if n == n1 and (c, k, r, n2) in runs:
            total2, out2, _ = runs[(c, k, r, n2)]
            res[(c, k)].per_request.append((total2 - total) / (n2 - n1))
            res[(c, k)].files.append((out, out2))
    for r in res.values():
        r.value = median(r.per_request)
        # The files of the repetition that gave the median (the nearest,
        # for an even count): hot spots read those, not one layout's luck.
        r.median_files = min(zip(r.per_request, r.files),
                             key=lambda x: abs(x[0] - r.value))[1] if r.files else None
    return res


# Reading callgrind files directly: callgrind_annotate splits a function
# over several labels when code is inlined from other files, and an output
# filter's inclusive cost is the whole rest of the response.

DOWNSTREAM = {"ap_pass_brigade", "ap_pass_brigade_fchk"}


class Profile:
    """Self Ir per function and inclusive Ir per call edge of a callgrind
    file written with --compress-strings=no; a function is (object, name)."""

    def __init__(self, path):
        self.self_ir, self.calls, ob, fn, cob, cfn, call = {}, {}, None, None, None, None, False
        with open(path, errors="replace") as f:
            for line in f:
                if line[:1].isdigit() or line[:1] in "+-*":
                    parts = line.split()
                    ir = int(parts[1]) if len(parts) > 1 else 0
                    if call:
                        edge = (fn, (cob or ob, cfn))
                        self.calls[edge] = self.calls.get(edge, 0) + ir
                        call, cob = False, None
                    else:
                        self.self_ir[fn] = self.self_ir.get(fn, 0) + ir
                    continue
                key, _, val = line.strip().partition("=")
                val = re.sub(r"'\d+$", "", val)  # recursion depth
                if key == "ob":
                    ob = os.path.basename(val)
                elif key == "fn":
                    fn, cob = (ob, val), None
                elif key == "cob":
                    cob = os.path.basename(val)
                elif key == "cfn":
                    cfn = val
                elif key == "calls":
                    call = True
        self.incl = dict(self.self_ir)
        for (caller, callee), ir in self.calls.items():
            if caller != callee:
                self.incl[caller] = self.incl.get(caller, 0) + ir

    def module(self, obj):
        """({function of obj: [inclusive, inclusive without the downstream
        filters, self, own]}, module total).  own = self + calls out of obj,
        downstream filters excepted.  A function only APR & co. call (name*:
        a hash function, a table callback) runs within another's call out,
        which counts it already; the others add up to the total: what httpd's
        calls into obj cost, less what obj passes on to the next filters."""
        res = {fk[1]: [self.incl.get(fk, 0)] * 2 + [self.self_ir.get(fk, 0)] * 2
               for fk in set(self.self_ir) | set(self.incl) if fk[0] == obj}
        httpd, total, callers = os.path.basename(os.path.realpath(APACHE)), 0, {}
        for (caller, callee), ir in self.calls.items():
            if callee[0] == obj and caller[0] != obj:
                callers.setdefault(callee[1], set()).add(caller[0])
                total += ir if caller[0] == httpd else 0
            if caller[0] == obj and callee[1] in DOWNSTREAM:
                res[caller[1]][1] -= ir
                total -= ir
            elif caller[0] == obj and callee[0] != obj:
                res[caller[1]][3] += ir
        return {k + "*" * (httpd not in callers.get(k, {httpd})): v for k, v in res.items()}, total


def module_per_request(files, n, obj):
    """[(function, inclusive, w/o downstream, self, own)] per request
    between two files, by own cost, and the module's total per request."""
    (a, ta), (b, tb) = (Profile(f).module(obj) for f in files)
    rows = [(k,) + tuple((y - x) / n for x, y in zip(a.get(k, (0, 0, 0, 0)), v))
            for k, v in b.items()]
    return sorted([r for r in rows if abs(r[4]) >= 0.5 or abs(r[1]) >= 0.5],
                  key=lambda r: -r[4]), (tb - ta) / n


# Normal httpd (event MPM) for wrk and memory; /proc

class Server:
    def __init__(self, cfg, root):
        self.cfg, self.root, self.port = cfg, root, free_port()
        self.conf, self.proc = write_config(cfg, root, self.port, mpm="event"), None

    def start(self, timeout=120):
        """Starts httpd; returns the check of its first answer."""
        with open(os.path.join(self.root, "logs", self.cfg.name + ".stderr"), "wb") as err:
            self.proc = subprocess.Popen(
                [APACHE, "-d", self.root, "-f", self.conf, "-D", "FOREGROUND"],
                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        deadline, kind = time.monotonic() + timeout, KIND_BY_NAME["get-allowed"]
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                c = connect(self.port, 0, io_timeout=10)
                answer = kind.send(c, self.cfg)
                c.close()
                return kind.check(self.cfg, answer)
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("%s: apache2 did not start (see %s/logs)" % (self.cfg.name, self.root))

    def stop(self):
        """SIGTERM, then SIGKILL, to its own process group (never reaped yet)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def children(ppid, threads=1):
    """Live child processes of ppid, those with at least `threads` threads."""
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % d) as f:
                rest = f.read().rsplit(")", 1)[1].split()  # state ppid ...
            if int(rest[1]) == ppid and rest[0] != "Z" and int(rest[17]) >= threads:
                out.append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    return out


def stop_workers(parent, timeout=10):
    """Stops httpd's children gracefully (SIGWINCH, apache2 -k graceful-stop)
    and waits up to timeout seconds until none runs threads any more; the
    caller then stops the parent.  Returns whether they all stopped.

    Why not SIGTERM alone: it makes each event MPM child close its workers'
    sockets while a worker that is finishing a connection may be freeing its
    own (close_worker_sockets() in server/mpm/event/event.c, 2.4.62 to trunk).
    The child then dies of SIGSEGV: 14 of 200 stops right after concurrent
    requests, with no mod_cors loaded (Debian's 2.4.71).  A graceful stop
    never takes that path; httpd's own 1 s wait for its children is skipped
    by the caller's SIGTERM once they are gone.  Prefork's children run one
    thread and are not waited for: they have no such race."""
    try:
        os.kill(parent, signal.SIGWINCH)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while children(parent, threads=2):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return int(next(ln for ln in f if ln.startswith("VmRSS:")).split()[1])
    except (OSError, StopIteration):
        return 0
