#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Soak test of mod_cors: httpd (event MPM, several processes) under a mixed
CORS workload from wrk for SECONDS, with a graceful restart in the middle.

Run through test/soak/run [SECONDS] (default 60).  Passes when:
  - wrk saw no socket error (connect, read, write, timeout);
  - the access log holds no 5xx;
  - a separate client, sampling every kind of request during the whole run
    (through the graceful restart), got the expected status and CORS headers
    every time and never failed to get an answer;
  - the resident memory of httpd (parent and children, summed from /proc)
    grew by less than 1 MiB from the end of the warm-up to the end;
  - `apache2 -k graceful` succeeded and a new generation of children served.

Environment: MOD_CORS_SO (default: .libs/mod_cors.so of this tree), APACHE2
(/usr/sbin/apache2), APACHE_MODULES_DIR (/usr/lib/apache2/modules),
SOAK_CONNECTIONS (wrk connections, default 8), SOAK_THREADS (wrk threads, 2),
SOAK_KEEP=1 (keep the server directory).
"""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRCDIR, "bench"))
from benchlib import children, conf_head, free_port, rss_kib, stop_workers  # noqa: E402
APACHE2 = os.environ.get("APACHE2", "/usr/sbin/apache2")
MODDIR = os.environ.get("APACHE_MODULES_DIR", "/usr/lib/apache2/modules")
MOD_CORS_SO = os.environ.get("MOD_CORS_SO", os.path.join(SRCDIR, ".libs/mod_cors.so"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "8"))
THREADS = int(os.environ.get("SOAK_THREADS", "2"))
MIB = 1024 * 1024
RSS_LIMIT = 1 * MIB

APP = "https://app.example.com"
EVIL = "https://evil.example.com"
HT = "https://ht.example.com"


def say(msg):
    print("soak: " + msg, flush=True)


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
printf 'Access-Control-Allow-Origin: *\\r\\n'
printf 'Access-Control-Allow-Credentials: true\\r\\n'
printf 'X-Total: 3\\r\\n\\r\\n'
echo 'hello from cgi'
"""

FILES = {
    "htdocs/api/data.json": '{"data": [1, 2, 3]}\n',
    "htdocs/plain/index.html": "<p>plain</p>\n",
    "htdocs/pub/index.html": "<p>public</p>\n",
    "htdocs/ht/file.txt": "ht\n",
    "htdocs/ht/.htaccess": "CORSAllowOrigin https://ht.example.com\nCORSAllowHeaders *\n",
    "htdocs/ht/off/file.txt": "off\n",
    "htdocs/ht/off/.htaccess": "CORSEngine Off\n",
}


def write_tree(root, port):
    for rel, text in FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    os.makedirs(os.path.join(root, "cgi-bin"), exist_ok=True)
    os.makedirs(os.path.join(root, "logs"), exist_ok=True)
    cgi = os.path.join(root, "cgi-bin", "cors.cgi")
    with open(cgi, "w") as f:
        f.write(CGI)
    for d, dirs, files in os.walk(root):
        os.chmod(d, 0o755)
        for n in files:
            os.chmod(os.path.join(d, n), 0o644)
    os.chmod(cgi, 0o755)
    # mod_cgi, not mod_cgid: a graceful restart restarts cgid's daemon, and
    # the CGI requests in flight at that moment get a 503 ("failed reading
    # PID from cgi daemon"), an httpd limitation that is not mod_cors's.
    mods = ["mpm_event", "authz_core", "authz_host", "mime", "dir", "alias",
            "cgi"]
    lines = ["LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m) for m in mods]
    lines.append("LoadModule cors_module %s" % MOD_CORS_SO)
    conf = conf_head(root, port, lines) + """
Mutex file:{root}/logs default
LogFormat "%>s %m %U %{{cors}}n" soak
CustomLog "{root}/logs/access.log" soak
BufferedLogs On
Timeout 30
# Two worker processes, all threads busy early, nothing spawned or reaped
# during the run (so that the resident size compares like with like).
StartServers 2
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 8
MaxSpareThreads 32
MaxConnectionsPerChild 0
ListenBacklog 1024
ServerTokens Prod
<Directory "{root}/htdocs">
    AllowOverride FileInfo
    Require all granted
</Directory>
ScriptAlias /cgi-bin/ "{root}/cgi-bin/"
<Directory "{root}/cgi-bin">
    Options +ExecCGI
    Require all granted
</Directory>
DirectoryIndex index.html

<Location /api>
    CORSAllowOrigin https://app.example.com https://*.example.org
    CORSAllowOriginMatch "^https://(foo|bar)\\.example\\.net$"
    CORSAllowMethods GET HEAD POST PUT DELETE
    CORSAllowHeaders X-Requested-With Content-Type Authorization
    CORSExposeHeaders X-Total
    CORSAllowCredentials On
    CORSMaxAge 600
</Location>
<Location /pub>
    CORSAllowOrigin *
</Location>
<Location /cgi-bin>
    CORSAllowOrigin https://app.example.com
    CORSExposeHeaders X-Total
</Location>
""".format(root=root)
    path = os.path.join(root, "httpd.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def apachectl(conf, *args, timeout=60):
    return subprocess.run([APACHE2, "-f", conf] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def read_pid(root):
    try:
        with open(os.path.join(root, "logs", "httpd.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def httpd_rss(parent):
    """Resident bytes of httpd: the parent and its direct children (the
    worker processes; not the CGI scripts they run)."""
    pids = [parent] + children(parent)
    return sum(rss_kib(p) for p in pids) * 1024, len(pids)


# --------------------------------------------------------------------------
# The sampling client
# --------------------------------------------------------------------------

def H(**kw):
    return {k.replace("_", "-"): v for k, v in kw.items()}


ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"
PF_VARY = {"origin", "access-control-request-method", "access-control-request-headers"}

# name, method, path, request headers, expected status, expected CORS fields
# (exact values; a field not listed must be absent), Vary tokens required
CHECKS = [
    ("allowed exact", "GET", "/api/data.json", {"Origin": APP}, 200,
     {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
      "access-control-expose-headers": "X-Total"}, {"origin"}),
    ("allowed wildcard", "GET", "/api/data.json", {"Origin": "https://a.b.example.org"}, 200,
     {"access-control-allow-origin": "https://a.b.example.org",
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "X-Total"}, {"origin"}),
    ("allowed regex", "GET", "/api/data.json", {"Origin": "https://foo.example.net"}, 200,
     {"access-control-allow-origin": "https://foo.example.net",
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "X-Total"}, {"origin"}),
    ("apex of wildcard", "GET", "/api/data.json", {"Origin": "https://example.org"}, 200,
     {}, {"origin"}),
    ("disallowed", "GET", "/api/data.json", {"Origin": EVIL}, 200, {}, {"origin"}),
    ("malformed", "GET", "/api/data.json", {"Origin": "https://APP.example.com"}, 200,
     {}, {"origin"}),
    ("404 allowed", "GET", "/api/missing", {"Origin": APP}, 404,
     {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
      "access-control-expose-headers": "X-Total"}, {"origin"}),
    ("no origin", "GET", "/api/data.json", {}, 200, {}, {"origin"}),
    ("no policy", "GET", "/plain/index.html", {"Origin": APP}, 200, {}, set()),
    ("preflight allowed", "OPTIONS", "/api/data.json",
     {"Origin": APP, ACRM: "PUT", ACRH: "x-requested-with,content-type"}, 204,
     {"access-control-allow-origin": APP, "access-control-allow-credentials": "true",
      "access-control-allow-methods": "GET, HEAD, POST, PUT, DELETE",
      "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization",
      "access-control-max-age": "600"}, PF_VARY),
    ("preflight bad method", "OPTIONS", "/api/data.json",
     {"Origin": APP, ACRM: "PATCH"}, 403, {}, PF_VARY),
    ("preflight bad header", "OPTIONS", "/api/data.json",
     {"Origin": APP, ACRM: "PUT", ACRH: "x-not-allowed"}, 403, {}, PF_VARY),
    ("preflight bad origin", "OPTIONS", "/api/data.json",
     {"Origin": EVIL, ACRM: "GET"}, 403, {}, PF_VARY),
    ("preflight private network", "OPTIONS", "/api/data.json",
     {"Origin": APP, ACRM: "GET", "Access-Control-Request-Private-Network": "true"},
     403, {}, PF_VARY),
    ("star actual", "GET", "/pub/index.html", {"Origin": EVIL}, 200,
     {"access-control-allow-origin": "*"}, set()),
    ("star preflight", "OPTIONS", "/pub/index.html", {"Origin": EVIL, ACRM: "GET"}, 204,
     {"access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, HEAD, POST"}, set()),
    (".htaccess actual", "GET", "/ht/file.txt", {"Origin": HT}, 200,
     {"access-control-allow-origin": HT}, {"origin"}),
    (".htaccess preflight", "OPTIONS", "/ht/file.txt",
     {"Origin": HT, ACRM: "POST", ACRH: "x-anything"}, 204,
     {"access-control-allow-origin": HT, "access-control-allow-methods": "GET, HEAD, POST",
      "access-control-allow-headers": "x-anything"}, PF_VARY),
    (".htaccess engine off", "GET", "/ht/off/file.txt", {"Origin": HT}, 200, {}, set()),
    ("cgi allowed", "GET", "/cgi-bin/cors.cgi", {"Origin": APP}, 200,
     {"access-control-allow-origin": APP, "access-control-expose-headers": "X-Total"},
     {"origin"}),
    ("cgi disallowed", "GET", "/cgi-bin/cors.cgi", {"Origin": EVIL}, 200, {}, {"origin"}),
    ("cgi preflight", "OPTIONS", "/cgi-bin/cors.cgi", {"Origin": APP, ACRM: "GET"}, 204,
     {"access-control-allow-origin": APP, "access-control-allow-methods": "GET, HEAD, POST"},
     PF_VARY),
]


def check_once(port, check):
    """Returns None when the answer is as expected, else what is wrong.
    Raises OSError/HTTPException when no answer came."""
    name, method, path, headers, status, fields, vary = check
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        h = dict(headers)
        h["Connection"] = "close"
        c.request(method, path, headers=h)
        r = c.getresponse()
        body = r.read()
        got = r.getheaders()
    finally:
        c.close()
    problems = []
    if r.status != status:
        problems.append("status %d, expected %d" % (r.status, status))
    ac = {}
    for k, v in got:
        k = k.lower()
        if k.startswith("access-control-"):
            if k in ac:
                problems.append("%s repeated" % k)
            ac[k] = v
    for k, v in fields.items():
        if ac.get(k) != v:
            problems.append("%s: %r, expected %r" % (k, ac.get(k), v))
    for k in ac:
        if k not in fields:
            problems.append("unexpected %s: %r" % (k, ac[k]))
    tokens = set()
    for k, v in got:
        if k.lower() == "vary":
            tokens |= {t.strip().lower() for t in v.split(",") if t.strip()}
    if not vary <= tokens:
        problems.append("Vary %r lacks %r" % (sorted(tokens), sorted(vary - tokens)))
    if method == "OPTIONS" and status == 204 and body:
        problems.append("preflight body %r" % body[:60])
    return "; ".join(problems) or None


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

def main():
    secs = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    if secs < 10:
        say("SECONDS must be at least 10")
        return 2
    if not os.path.exists(MOD_CORS_SO):
        say("no module at %s (set MOD_CORS_SO)" % MOD_CORS_SO)
        return 2
    if not shutil.which("wrk"):
        say("wrk not installed")
        return 2
    root = tempfile.mkdtemp(prefix="mod_cors-soak.")
    os.chmod(root, 0o755)
    port = free_port()
    conf = write_tree(root, port)
    failures = []
    parent = None
    wrk = None
    try:
        r = apachectl(conf, "-k", "start")
        if r.returncode != 0:
            say("httpd did not start:\n" + r.stdout.decode("latin-1"))
            return 1
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            parent = read_pid(root)
            if parent:
                try:
                    if check_once(port, CHECKS[0]) is None:
                        break
                except (OSError, http.client.HTTPException):
                    pass
            time.sleep(0.1)
        else:
            say("httpd did not answer")
            return 1
        say("httpd %d on 127.0.0.1:%d, %s, %d s, wrk %d connections" %
            (parent, port, MOD_CORS_SO, secs, CONNECTIONS))

        # A first pass of every check before the load, to fail fast.
        for chk in CHECKS:
            why = check_once(port, chk)
            if why:
                failures.append("before the load: %s: %s" % (chk[0], why))
        if failures:
            for f in failures:
                say(f)
            return 1

        wrk_out = os.path.join(root, "wrk.out")
        wrk = start_wrk(port, "workload.lua", secs, wrk_out)
        t0 = time.monotonic()
        warm = max(5.0, 0.2 * secs)
        graceful_at = 0.4 * secs
        samples = []  # (t, rss bytes, processes)
        rss_before = None
        gen_before = set(children(parent))
        graceful_done = False
        graceful_ok = False
        checked = wrong = unanswered = 0
        wrong_examples = []
        next_mem = 0.0
        i = 0
        while wrk.poll() is None and i < 10 ** 6:
            t = time.monotonic() - t0
            if t > secs + 30:
                failures.append("wrk did not finish in time")
                break
            if t >= next_mem:
                rss, nproc = httpd_rss(parent)
                samples.append((t, rss, nproc))
                next_mem = t + 1.0
                if rss_before is None and t >= warm:
                    # the mean of the samples of the last 3 s of warm-up
                    recent = [s[1] for s in samples if s[0] >= t - 3]
                    rss_before = sum(recent) // len(recent)
                    say("warm-up done at %.0f s: httpd resident %.2f MiB in %d processes"
                        % (t, rss_before / MIB, nproc))
            if not graceful_done and t >= graceful_at:
                graceful_done = True
                r = apachectl(conf, "-k", "graceful")
                graceful_ok = r.returncode == 0
                say("graceful restart at %.0f s: %s" %
                    (t, "ok" if graceful_ok else "FAILED " + r.stdout.decode("latin-1")))
            chk = CHECKS[i % len(CHECKS)]
            i += 1
            try:
                why = check_once(port, chk)
                checked += 1
                if why:
                    wrong += 1
                    if len(wrong_examples) < 10:
                        wrong_examples.append("%.1f s: %s: %s" % (t, chk[0], why))
            except (OSError, http.client.HTTPException) as e:
                unanswered += 1
                if len(wrong_examples) < 10:
                    wrong_examples.append("%.1f s: %s: no answer: %r" % (t, chk[0], e))
            time.sleep(0.02)
        # the end: the mean of the last 3 samples taken under load
        tail = [s[1] for s in samples[-3:]]
        rss_after = sum(tail) // len(tail) if tail else 0
        wrk.wait(timeout=60)
        gen_after = set(children(parent))
        with open(wrk_out) as f:
            wrk_text = f.read()
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        stop_httpd(conf, root, parent)

    # ---- figures ------------------------------------------------------------
    m = re.search(r"WRK requests=(\d+) connect=(\d+) read=(\d+) write=(\d+) "
                  r"timeout=(\d+) status=(\d+)", wrk_text)
    if not m:
        failures.append("no wrk summary:\n" + wrk_text)
        wrk_requests = sock_errors = 0
    else:
        wrk_requests = int(m.group(1))
        sock_errors = sum(int(m.group(k)) for k in (2, 3, 4, 5))
        say("wrk: %d requests, socket errors: connect %s, read %s, write %s, timeout %s"
            % (wrk_requests, m.group(2), m.group(3), m.group(4), m.group(5)))
    rps = re.search(r"Requests/sec:\s*([\d.]+)", wrk_text)
    if rps:
        say("wrk: %s requests/s" % rps.group(1))
    statuses, verdicts, lines = {}, {}, 0
    with open(os.path.join(root, "logs", "access.log"), errors="replace") as f:
        for line in f:
            lines += 1
            parts = line.split()
            if not parts:
                continue
            statuses[parts[0]] = statuses.get(parts[0], 0) + 1
            v = parts[-1] if len(parts) >= 4 else "-"
            verdicts[v] = verdicts.get(v, 0) + 1
    fivexx = sum(n for s, n in statuses.items() if s.startswith("5"))
    say("access log: %d requests; status %s" %
        (lines, ", ".join("%s: %d" % kv for kv in sorted(statuses.items()))))
    say("verdicts: %s" % ", ".join("%s: %d" % kv for kv in sorted(verdicts.items())))
    say("sampler: %d checked, %d wrong, %d unanswered" % (checked, wrong, unanswered))
    for w in wrong_examples:
        say("  " + w)
    peak = max(s[1] for s in samples) if samples else 0
    growth = rss_after - (rss_before or 0)
    say("httpd resident: after warm-up %.2f MiB, at the end %.2f MiB, growth %+d KiB "
        "(limit %d KiB), peak %.2f MiB" %
        ((rss_before or 0) / MIB, rss_after / MIB, growth // 1024, RSS_LIMIT // 1024,
         peak / MIB))
    say("memory samples (s: MiB/processes): " + " ".join(
        "%d:%.1f/%d" % (t, r / MIB, n) for t, r, n in samples[::max(1, len(samples) // 20)]))
    crashes = []
    with open(os.path.join(root, "logs", "error.log"), errors="replace") as f:
        errlog = f.read()
    crashes = re.findall(r".*(?:exit signal|AH00052|Segmentation).*", errlog)

    if sock_errors:
        failures.append("%d socket errors" % sock_errors)
    if fivexx:
        failures.append("%d responses with 5xx" % fivexx)
    if wrong or unanswered:
        failures.append("sampler: %d wrong, %d unanswered" % (wrong, unanswered))
    if rss_before is None:
        failures.append("no memory sample after warm-up")
    elif growth >= RSS_LIMIT:
        failures.append("resident memory grew by %d KiB" % (growth // 1024))
    if not graceful_done or not graceful_ok:
        failures.append("graceful restart failed")
    elif not (gen_after - gen_before):
        failures.append("no new generation of children after the graceful restart")
    if crashes:
        failures.append("crashes in the error log: %s" % crashes[:3])
    if lines < wrk_requests:
        failures.append("access log has fewer lines (%d) than wrk requests (%d)"
                        % (lines, wrk_requests))
    if os.environ.get("SOAK_KEEP") == "1" or failures:
        say("server directory kept: %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    if failures:
        say("FAILED: " + "; ".join(failures))
        return 1
    say("passed")
    return 0


def start_wrk(port, script, secs, out, threads=THREADS,
              connections=CONNECTIONS):
    """wrk against 127.0.0.1:port for secs seconds with the Lua script of
    this directory; its output goes to the file out."""
    with open(out, "w") as f:
        return subprocess.Popen(
            ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % secs,
             "--timeout", "10s", "-s", os.path.join(HERE, script),
             "http://127.0.0.1:%d" % port],
            stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_httpd(conf, root, parent):
    if parent is None:
        parent = read_pid(root)
    if parent:
        stop_workers(parent)  # SIGTERM alone can crash a child: see benchlib
    try:
        apachectl(conf, "-k", "stop", timeout=30)
    except subprocess.TimeoutExpired:
        pass
    if parent:
        deadline = time.monotonic() + 20
        while alive(parent) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(parent):
            os.kill(parent, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
