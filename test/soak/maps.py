#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Soak test of origin maps (CORSAllowOriginMap txt:): wrk traffic for
SECONDS (default 60) at 127.0.0.1 while a 100,000-line txt: map is
republished every second by atomic rename (CORSMapCheckInterval 1).

Version k of the map holds the same 100,000 tenant origins and
https://even.example (k even) or https://odd.example (k odd), and
https://rare.example when k is a multiple of 10.  wrk (maps.lua) checks
every response on its own: the tenant origin is always granted,
https://never.example never, even/odd either (a process takes a new
version within the interval, so around a change both the version before
and the version after are in force somewhere).  A sampling client asks
for https://rare.example every 20 ms and checks each answer against the
versions that can be in force at that moment (version k from its
publication until LAG after version k+1's): a grant long after the last
version that held it, or a refusal while only such versions can be in
force, is wrong.  Passes when:
  - wrk saw no socket error and every response was a 200 (0 errors);
  - no response granted wrongly or refused a tenant (0 wrong grants), and
    every sampled answer fits the versions in force;
  - every process took new versions (the error log's AH99401 lines) and
    refused none;
  - the resident memory of the httpd children, summed from /proc, grew by
    less than RSS_LIMIT (4 MiB) a process from the end of the warm-up to the end (flat);
  - no child crashed.

Environment: MOD_CORS_SO (default .libs/mod_cors.so of this tree),
APACHE2, APACHE_MODULES_DIR, SOAK_MPM (event; or prefork),
SOAK_CONNECTIONS (16), SOAK_THREADS (2), SOAK_KEEP=1 (keep the directory).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRCDIR, "bench"))
from benchlib import children, conf_head, free_port, rss_kib  # noqa: E402
# The other soak's httpd control and wrk launch (this directory).
from soak import apachectl, start_wrk, stop_httpd  # noqa: E402

APACHE2 = os.environ.get("APACHE2", "/usr/sbin/apache2")
MODDIR = os.environ.get("APACHE_MODULES_DIR", "/usr/lib/apache2/modules")
MOD_CORS_SO = os.environ.get("MOD_CORS_SO", os.path.join(SRCDIR, ".libs/mod_cors.so"))
MPM = os.environ.get("SOAK_MPM", "event")
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "16"))
THREADS = int(os.environ.get("SOAK_THREADS", "2"))
LINES = 100000
MIB = 1024 * 1024
# Two versions of 100,000 origins are some 20 MiB per process; what the
# allocators keep between reloads varies by a few MiB, never grows.  Per
# process.
RSS_LIMIT = 4 * MIB


def say(msg):
    print("soak-maps: " + msg, flush=True)


def tenants():
    return "".join("https://t%d.tenants.example\n" % i for i in range(LINES))


RARE = "https://rare.example"
# A process takes a new version within the check interval (1 s) plus its
# load (0.1-0.3 s for 100,000 lines), later under load on two cores.
LAG = 3.0


def rare_in(k):
    return k % 10 == 0


def publish(path, base, k):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("# version %d\n" % k)
        f.write(base)
        f.write("https://even.example\n" if k % 2 == 0 else "https://odd.example\n")
        if rare_in(k):
            f.write(RARE + "\n")
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def write_tree(root, port):
    os.makedirs(os.path.join(root, "htdocs", "m"))
    os.makedirs(os.path.join(root, "logs"))
    for name in ("always", "never", "even", "odd"):
        with open(os.path.join(root, "htdocs", "m", name + ".txt"), "w") as f:
            f.write(name + "\n")
    mods = ["mpm_" + MPM, "authz_core", "authz_host", "mime"]
    lines = ["LoadModule %s_module %s/mod_%s.so" % (m, MODDIR, m) for m in mods]
    lines.append("LoadModule cors_module %s" % MOD_CORS_SO)
    # Each event process has a worker for every connection wrk keeps open
    # and the sampler's: a process whose workers are all busy closes its
    # idle keep-alive connections (the event MPM sheds load so), and wrk
    # counts the one it had just sent a request on as a read error.
    workers = CONNECTIONS + 8
    procs = """StartServers 2
ServerLimit 2
ThreadsPerChild %d
MaxRequestWorkers %d
MinSpareThreads 1
MaxSpareThreads %d
""" % (workers, 2 * workers, 2 * workers) if MPM == "event" else """StartServers 8
MinSpareServers 8
MaxSpareServers 8
ServerLimit 8
MaxRequestWorkers 8
"""
    conf = conf_head(root, port, lines) + procs + """
Mutex file:{root}/logs default
LogLevel warn cors:info
LogFormat "%>s %U %{{cors}}n" soak
CustomLog "{root}/logs/access.log" soak
BufferedLogs On
MaxConnectionsPerChild 0
MaxKeepAliveRequests 0
KeepAliveTimeout 30
ListenBacklog 1024
CORSMapCheckInterval 1
<Directory "{root}/htdocs">
    Require all granted
    CORSAllowOriginMap txt:maps/origins.txt
</Directory>
""".format(root=root)
    with open(os.path.join(root, "httpd.conf"), "w") as f:
        f.write(conf)
    for d, _, files in os.walk(root):
        os.chmod(d, 0o755)
        for n in files:
            os.chmod(os.path.join(d, n), 0o644)
    return os.path.join(root, "httpd.conf")


def children_rss(parent):
    pids = children(parent)
    return sum(rss_kib(p) for p in pids) * 1024, len(pids)


def main():
    secs = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    root = tempfile.mkdtemp(prefix="cors-soak-maps-")
    os.chmod(root, 0o755)
    port = free_port()
    conf = write_tree(root, port)
    maps = os.path.join(root, "maps")
    os.makedirs(maps)
    os.chmod(maps, 0o755)
    path = os.path.join(maps, "origins.txt")
    base = tenants()
    publish(path, base, 0)
    failures = []
    parent = None
    wrk = None
    stop = threading.Event()
    published = [0]

    times = [time.monotonic()]  # when version k was published

    def publisher():
        k = 0
        while not stop.wait(1.0):
            k += 1
            publish(path, base, k)
            times.append(time.monotonic())
            published[0] = k

    samples_rare = []  # (sent, answered, granted) of RARE

    def sampler():
        while not stop.wait(0.02):
            t0 = time.monotonic()
            try:
                req = urllib.request.Request(
                    "http://127.0.0.1:%d/m/always.txt" % port, headers={"Origin": RARE})
                with urllib.request.urlopen(req, timeout=10) as resp:
                    g = resp.headers.get("Access-Control-Allow-Origin") == RARE
                samples_rare.append((t0, time.monotonic(), g))
            except OSError as e:
                samples_rare.append((t0, time.monotonic(), repr(e)))

    r = apachectl(conf, "-k", "start")
    if r.returncode != 0:
        say("httpd did not start: " + r.stdout.decode("latin-1"))
        return 1
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with open(os.path.join(root, "logs", "httpd.pid")) as f:
                    parent = int(f.read())
                req = urllib.request.Request(
                    "http://127.0.0.1:%d/m/always.txt" % port,
                    headers={"Origin": "https://t42.tenants.example"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.headers.get("Access-Control-Allow-Origin"):
                        break
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        else:
            say("httpd did not answer")
            return 1
        pub = threading.Thread(target=publisher)
        pub.start()
        smp = threading.Thread(target=sampler)
        smp.start()
        wrk_out = os.path.join(root, "wrk.out")
        wrk = start_wrk(port, "maps.lua", secs, wrk_out, THREADS, CONNECTIONS)
        t0 = time.monotonic()
        warm = max(10.0, 0.25 * secs)
        samples = []
        rss_before = None
        while wrk.poll() is None:
            t = time.monotonic() - t0
            if t > secs + 30:
                failures.append("wrk did not finish in time")
                break
            rss, n = children_rss(parent)
            samples.append((t, rss, n))
            if rss_before is None and t >= warm:
                recent = [s[1] for s in samples if s[0] >= t - 3]
                rss_before = sum(recent) // len(recent)
                say("warm-up done at %.0f s: children resident %.1f MiB in %d processes"
                    % (t, rss_before / MIB, n))
            time.sleep(1.0)
        tail = [s[1] for s in samples[-3:]]
        rss_after = sum(tail) // len(tail) if tail else 0
        stop.set()
        pub.join()
        smp.join()
        wrk.wait(timeout=60)
        with open(wrk_out) as f:
            wrk_text = f.read()
    finally:
        stop.set()
        if wrk is not None and wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        stop_httpd(conf, root, parent)

    m = re.search(r"MAPS checked=(\d+) wrong=(\d+) bad_status=(\d+) unknown=(\d+) "
                  r"requests=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) "
                  r"timeout=(\d+) p99_ms=([\d.]+) max_ms=([\d.]+)", wrk_text)
    if not m:
        failures.append("no wrk summary:\n" + wrk_text)
    else:
        v = [int(m.group(k)) for k in range(1, 11)]
        say("wrk: %d requests, %d checked, %d wrong, %d not 200, %d unknown; "
            "socket errors: connect %d, read %d, write %d, timeout %d; "
            "latency p99 %s ms, max %s ms" %
            (v[4], v[0], v[1], v[2], v[3], v[5], v[6], v[7], v[9],
             m.group(11), m.group(12)))
        if v[1]:
            failures.append("%d wrong grants" % v[1])
        errors = v[2] + v[3] + v[5] + v[6] + v[7] + v[8] + v[9]
        if errors:
            failures.append("%d errors" % errors)
        if v[0] < v[4]:
            failures.append("%d responses unchecked" % (v[4] - v[0]))
    # Every answer about RARE against the versions in force when it was
    # asked: version k is in force somewhere from its publication until
    # LAG after the next one's.
    def in_force(t0, t1, want):
        for k, pk in enumerate(times):
            end = (times[k + 1] if k + 1 < len(times) else float("inf")) + LAG
            if rare_in(k) == want and pk <= t1 and t0 <= end:
                return True
        return False

    stale = [x for x in samples_rare if not isinstance(x[2], bool) or
             not in_force(x[0], x[1], x[2])]
    grants = sum(1 for x in samples_rare if x[2] is True)
    say("sampler: %d answers about %s checked against the version in force "
        "(%d granted), %d wrong or failed" % (len(samples_rare), RARE, grants, len(stale)))
    for x in stale[:5]:
        say("  at %.2f-%.2f s: %s" % (x[0] - times[0], x[1] - times[0], x[2]))
    if stale:
        failures.append("%d sampled answers wrong for the version in force" % len(stale))
    if not grants or grants == len(samples_rare):
        failures.append("the sampler never saw %s both granted and refused" % RARE)
    rps = re.search(r"Requests/sec:\s*([\d.]+)", wrk_text)
    if rps:
        say("wrk: %s requests/s" % rps.group(1))
    with open(os.path.join(root, "logs", "error.log"), errors="replace") as f:
        errlog = f.read()
    reloads = len(re.findall(r"AH99401", errlog))
    refused = len(re.findall(r"AH99402|AH99403", errlog))
    crashes = re.findall(r".*(?:exit signal|AH00052|Segmentation).*", errlog)
    nproc = samples[-1][2] if samples else 0
    say("map versions published: %d; taken: %d in %d processes; refused or missing: %d"
        % (published[0], reloads, nproc, refused))
    # Each process checks every second and takes the newest version: under
    # load on few CPUs it may skip some, never most.
    if reloads < max(1, (published[0] - 2)) * max(1, nproc) // 4:
        failures.append("too few reloads (%d for %d versions)" % (reloads, published[0]))
    if refused:
        failures.append("%d versions refused or missing" % refused)
    if crashes:
        failures.append("crashes: %s" % crashes[:3])
    growth = rss_after - (rss_before or 0)
    peak = max(s[1] for s in samples) if samples else 0
    say("children resident: after warm-up %.1f MiB, at the end %.1f MiB, growth %+d KiB "
        "(limit %d KiB), peak %.1f MiB" % ((rss_before or 0) / MIB, rss_after / MIB,
                                            growth // 1024,
                                            RSS_LIMIT * max(1, nproc) // 1024,
                                            peak / MIB))
    say("memory samples (s: MiB/processes): " + " ".join(
        "%d:%.1f/%d" % (t, r / MIB, n) for t, r, n in samples[::max(1, len(samples) // 15)]))
    if rss_before is None:
        failures.append("no memory sample after warm-up")
    elif growth >= RSS_LIMIT * max(1, nproc):
        failures.append("resident memory grew by %d KiB" % (growth // 1024))
    if os.environ.get("SOAK_KEEP") == "1" or failures:
        say("server directory kept: %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    if failures:
        say("FAILED: " + "; ".join(failures))
        return 1
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
