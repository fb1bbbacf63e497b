#!/usr/bin/env node
/* SPDX-License-Identifier: Apache-2.0 */
// mod_cors against a real browser.
//
// Starts Debian's httpd with mod_cors and a generated configuration on
// 127.0.0.1 (API, a page on the allowed origin, a page on a foreign origin,
// a backend that emits its own Access-Control-Allow-Origin: *), drives
// Debian's Chromium headless through playwright-core, and has the pages
// fetch() / XMLHttpRequest the API.  For every case it compares what the
// browser let the page read with what was expected, and what the module
// decided (request note "cors" in the access log, reasons from the
// cors:debug error log) with what was expected, and prints one table.
//
// Run it with test/browser/run (which installs what is missing).
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');
const net = require('net');
const cp = require('child_process');
const crypto = require('crypto');

// Default: the module built in this checkout (/work/main/.libs/mod_cors.so there).
const MOD = process.env.MOD_CORS_SO || path.resolve(__dirname, '../../.libs/mod_cors.so');
const HTTPD = process.env.APACHE2 || '/usr/sbin/apache2';
const MODDIR = process.env.APACHE_MODDIR || '/usr/lib/apache2/modules';
const KEEP = process.env.CORS_BROWSER_KEEP === '1';
const ONLY = process.env.CORS_BROWSER_ONLY ? new RegExp(process.env.CORS_BROWSER_ONLY) : null;
const SKIP = process.env.CORS_BROWSER_SKIP ? new RegExp(process.env.CORS_BROWSER_SKIP) : null;
const SUITE_LIMIT_MS = 170 * 1000; // the whole suite must stay under 3 minutes
const CASE_TIMEOUT_MS = 10 * 1000;
const { CASES } = require('./cases.js');
const drivers = require('./engines.js');
// CORS_BROWSER_ENGINES: a space-separated subset of "chromium firefox webkit".
const ENGINES = (process.env.CORS_BROWSER_ENGINES || drivers.ENGINES.join(' ')).split(/[\s,]+/).filter(Boolean);
const J = JSON.stringify;

const t0 = Date.now();
let httpd = null;       // child process
const browsers = [];    // open engines (each with close())
let tmp = null;         // temp dir
let finished = false;

function log(...a) { console.log(...a); }

// ------------------------------------------------------------------------
// Fixtures: CGI scripts, pages, htpasswd
// ------------------------------------------------------------------------

const CGI = {
  // Echoes what reached the backend, and sets one header to expose and one
  // to keep hidden.
  'echo.cgi': `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
printf 'X-Exposed: exposed-value\\r\\n'
printf 'X-Hidden: hidden-value\\r\\n'
printf 'Cache-Control: no-store\\r\\n'
printf '\\r\\n'
printf 'method=%s\\n' "$REQUEST_METHOD"
printf 'uri=%s\\n' "$REQUEST_URI"
printf 'cookie=%s\\n' "\${HTTP_COOKIE:-}"
printf 'authorization=%s\\n' "\${HTTP_AUTHORIZATION:-}"
printf 'remote-user=%s\\n' "\${REMOTE_USER:-}"
printf 'x-custom=%s\\n' "\${HTTP_X_CUSTOM:-}"
printf 'content-type=%s\\n' "\${CONTENT_TYPE:-}"
printf 'origin=%s\\n' "\${HTTP_ORIGIN:-}"
if [ -n "\${CONTENT_LENGTH:-}" ] && [ "$CONTENT_LENGTH" -gt 0 ] 2>/dev/null; then
  printf 'body='
  head -c "$CONTENT_LENGTH"
  printf '\\n'
fi
`,
  // A backend that answers CORS by itself, wrongly: "*" plus credentials.
  'acao.cgi': `#!/bin/sh
[ "\${CONTENT_LENGTH:-0}" -gt 0 ] 2>/dev/null && head -c "$CONTENT_LENGTH" >/dev/null
printf 'Content-Type: text/plain\\r\\n'
printf 'Access-Control-Allow-Origin: *\\r\\n'
printf 'Access-Control-Allow-Credentials: true\\r\\n'
printf 'Access-Control-Expose-Headers: X-Hidden\\r\\n'
printf 'X-Exposed: exposed-value\\r\\n'
printf 'X-Hidden: hidden-value\\r\\n'
printf 'Cache-Control: no-store\\r\\n'
printf '\\r\\n'
printf 'backend-says-anyone-may-read-this\\n'
`,
  // Answers with the status given as ?code=NNN.
  'status.cgi': `#!/bin/sh
[ "\${CONTENT_LENGTH:-0}" -gt 0 ] 2>/dev/null && head -c "$CONTENT_LENGTH" >/dev/null
code=$(printf '%s' "$QUERY_STRING" | sed -n 's/.*code=\\([0-9][0-9][0-9]\\).*/\\1/p')
[ -n "$code" ] || code=500
printf 'Status: %s Generated\\r\\n' "$code"
printf 'Content-Type: text/plain\\r\\n'
printf 'X-Exposed: exposed-value\\r\\n'
printf 'X-Hidden: hidden-value\\r\\n'
printf 'Cache-Control: no-store\\r\\n'
printf '\\r\\n'
printf 'status-from-cgi=%s\\n' "$code"
`,
  // Not a CGI response at all: httpd answers 500 itself.
  'broken.cgi': `#!/bin/sh
[ "\${CONTENT_LENGTH:-0}" -gt 0 ] 2>/dev/null && head -c "$CONTENT_LENGTH" >/dev/null
echo "this line is not a header"
`,
  // 307 to echo.cgi in the same directory (method and body are kept).
  'redirect.cgi': `#!/bin/sh
dir=$(dirname "$SCRIPT_NAME")
[ "\${CONTENT_LENGTH:-0}" -gt 0 ] 2>/dev/null && head -c "$CONTENT_LENGTH" >/dev/null
printf 'Status: 307 Temporary Redirect\\r\\n'
printf 'Location: http://%s%s/echo.cgi?%s&hop=2\\r\\n' "$HTTP_HOST" "$dir" "$QUERY_STRING"
printf 'Cache-Control: no-store\\r\\n'
printf '\\r\\n'
`,
  // Cacheable for ten minutes, no validators: the browser may reuse it.
  'cached.cgi': `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
printf 'Cache-Control: public, max-age=600\\r\\n'
printf 'X-Exposed: exposed-value\\r\\n'
printf '\\r\\n'
printf 'cached-body\\n'
`,
  // Sets a SameSite=None; Secure cookie over http://127.0.0.1 (loopback is
  // potentially trustworthy).
  'setcookie-none.cgi': `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n'
printf 'Set-Cookie: snone=1; Path=/; SameSite=None; Secure\\r\\n'
printf 'Cache-Control: no-store\\r\\n'
printf '\\r\\n'
printf 'cookie-set\\n'
`,
  // Sets a cookie from the API's side.
  'setcookie.cgi': `#!/bin/sh
[ "\${CONTENT_LENGTH:-0}" -gt 0 ] 2>/dev/null && head -c "$CONTENT_LENGTH" >/dev/null
printf 'Content-Type: text/plain\\r\\n'
printf 'Set-Cookie: apisid=api-cookie; Path=/\\r\\n'
printf 'X-Exposed: exposed-value\\r\\n'
printf 'Cache-Control: no-store\\r\\n'
printf '\\r\\n'
printf 'cookie-set\\n'
`,
};

// Directories under the API's DocumentRoot, each a scope of its own.
const SCOPES = ['api', 'star', 'starauth', 'cred', 'credstar', 'secure', 'maxage',
  'maxage0', 'nomaxage', 'merge', 'merge/cred', 'multi', 'pna', 'public', 'ports', 'regex', 'nocors',
  'starcache', 'starauthcache', 'credports', 'maxagebig', 'hta', 'debug', 'rules'];

function writeFile(p, content, mode) {
  fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
  fs.writeFileSync(p, content, { mode: mode || 0o644 });
  fs.chmodSync(p, mode || 0o644);
}

function makeTree(dir, ports) {
  fs.chmodSync(dir, 0o755);
  for (const d of ['conf', 'logs', 'run', 'www', 'www/pages', 'www/root', 'www/backend', 'www/root/errors', 'www/root/plainerrors']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(path.join(dir, 'run'), 0o777); // cgid socket, written by the child
  writeFile(path.join(dir, 'www/pages/index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>cors page</title>' +
    '<link rel="icon" href="data:,"><script src="/cors-page.js"></script></head>' +
    '<body>mod_cors browser test page</body></html>\n');
  writeFile(path.join(dir, 'www/pages/cors-page.js'), fs.readFileSync(path.join(__dirname, 'page.js')));
  // A policy from .htaccess (AllowOverride FileInfo).
  writeFile(path.join(dir, 'www/root/hta/.htaccess'),
    `CORSAllowOrigin http://127.0.0.1:${ports.allowed}\nCORSAllowMethods PUT\n` +
    'CORSAllowHeaders X-Custom\nCORSExposeHeaders X-Exposed\n');
  writeFile(path.join(dir, 'www/backend/data.txt'), 'proxied-backend-body\n');
  writeFile(path.join(dir, 'www/root/errors/404.html'), 'custom-error-document-404\n');
  writeFile(path.join(dir, 'www/root/plainerrors/404.html'), 'unconfigured-error-document-404\n');
  for (const s of SCOPES) {
    for (const [name, body] of Object.entries(CGI)) {
      writeFile(path.join(dir, 'www/root', s, name), body, 0o755);
    }
    writeFile(path.join(dir, 'www/root', s, 'static.txt'), 'static-body\n');
  }
  const sha = crypto.createHash('sha1').update('wonderland').digest('base64');
  writeFile(path.join(dir, 'conf/htpasswd'), `alice:{SHA}${sha}\n`);
}

// ------------------------------------------------------------------------
// httpd configuration
// ------------------------------------------------------------------------

function httpdConf(dir, P) {
  const A = P.api, B = P.allowed, C = P.foreign, D = P.backend;
  const allowed = `http://127.0.0.1:${B}`;
  const asRoot = process.getuid && process.getuid() === 0;
  const mods = ['mpm_event', 'authz_core', 'authz_host', 'authz_user', 'authn_core',
    'authn_file', 'auth_basic', 'mime', 'dir', 'alias', 'cgid', 'proxy', 'proxy_http',
    'headers', 'unique_id', 'env', 'setenvif', 'rewrite'];
  return `# generated by test/browser/cors-browser.js
ServerRoot "${dir}"
ServerName 127.0.0.1
PidFile "${dir}/run/httpd.pid"
DefaultRuntimeDir "${dir}/run"
Mutex file:${dir}/run default
${mods.map(m => `LoadModule ${m}_module ${MODDIR}/mod_${m}.so`).join('\n')}
LoadModule cors_module ${MOD}

${asRoot ? 'User nobody\nGroup nogroup' : ''}
ScriptSock "${dir}/run/cgid.sock"
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MinSpareThreads 5
MaxSpareThreads 50
MaxRequestWorkers 50
Timeout 15
KeepAlive On
HostnameLookups Off
TypesConfig /etc/mime.types

Listen 127.0.0.1:${A}
Listen 127.0.0.1:${B}
Listen 127.0.0.1:${C}
Listen 127.0.0.1:${D}
Listen 127.0.0.1:${P.public}

ErrorLog "${dir}/logs/error.log"
LogLevel warn cors:debug
ErrorLogFormat "[%l] [%m] [%L] %M"
# port, log id (original/final request), method, path+query, final status,
# the module's verdict (final request, and original request), Origin, and
# Access-Control-Request-Private-Network to spot Private Network Access.
LogFormat "%p\\t%<L\\t%>L\\t%<m\\t%<U%<q\\t%>s\\t%{cors}n\\t%<{cors}n\\t%{Origin}i\\t%{Access-Control-Request-Private-Network}i" cors
CustomLog "${dir}/logs/access.log" cors

<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "${dir}/www">
    AllowOverride None
    Require all granted
    Options +ExecCGI -Indexes
    AddHandler cgi-script .cgi
    CGIPassAuth On
</Directory>
<Directory "${dir}/www/root/hta">
    AllowOverride FileInfo
</Directory>

# Pages: the allowed origin and the foreign origin (no CORS policy there).
<VirtualHost 127.0.0.1:${B}>
    DocumentRoot "${dir}/www/pages"
</VirtualHost>
<VirtualHost 127.0.0.1:${C}>
    DocumentRoot "${dir}/www/pages"
</VirtualHost>

# A page that Chromium is told to treat as on the public internet
# (--ip-address-space-overrides), for Private/Local Network Access.
<VirtualHost 127.0.0.1:${P.public}>
    DocumentRoot "${dir}/www/pages"
</VirtualHost>

# A backend that answers CORS by itself, wrongly ("*" with credentials).
<VirtualHost 127.0.0.1:${D}>
    DocumentRoot "${dir}/www/backend"
    Header always set Access-Control-Allow-Origin "*"
    Header always set Access-Control-Allow-Credentials "true"
    Header always set Access-Control-Expose-Headers "X-Backend"
    Header always set X-Backend "backend"
</VirtualHost>

# The API.
<VirtualHost 127.0.0.1:${A}>
    DocumentRoot "${dir}/www/root"
    ErrorDocument 404 /errors/404.html
    # Static files: cached, but revalidated (ETag -> 304) on every use.
    <FilesMatch "^static\\.txt$">
        Header set Cache-Control "no-cache"
    </FilesMatch>

    RewriteEngine On
    RewriteRule ^/api/rewritten$ http://127.0.0.1:${A}/api/echo.cgi [R=307,L]
    Redirect 302 /api/moved-in http://127.0.0.1:${A}/api/echo.cgi
    Redirect 302 /api/moved-out http://127.0.0.1:${A}/nocors/echo.cgi
    Redirect 302 /api/moved-x http://localhost:${A}/api/echo.cgi
    Redirect 301 /api/r301-scope http://127.0.0.1:${A}/multi/echo.cgi
    Redirect 308 /api/r308-scope http://127.0.0.1:${A}/multi/echo.cgi
    Redirect 307 /api/r307-x-star http://localhost:${A}/public/echo.cgi
    Redirect 301 /api/r301-x-listed http://localhost:${A}/api/echo.cgi
    Redirect 302 /nocors/r302-to-api http://127.0.0.1:${A}/api/echo.cgi
    Redirect 307 /nocors/r307-to-api http://127.0.0.1:${A}/api/echo.cgi
    Redirect 307 /public/r307-to-nocors http://127.0.0.1:${A}/nocors/echo.cgi

    # Error documents are content too: their own policy decides who reads them.
    <Location /errors>
        CORSAllowOrigin ${allowed}
    </Location>
    <Location /api/plainerr>
        ErrorDocument 404 /plainerrors/404.html
    </Location>
    <Location /api>
        CORSAllowOrigin ${allowed}
        CORSAllowMethods GET HEAD POST PUT PATCH
        CORSAllowHeaders X-Custom Content-Type
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /star>
        CORSAllowOrigin ${allowed}
        CORSAllowMethods *
        CORSAllowHeaders *
        CORSExposeHeaders *
    </Location>
    <Location /starauth>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders * Authorization
    </Location>
    <Location /cred>
        CORSAllowOrigin ${allowed}
        CORSAllowCredentials On
        CORSAllowHeaders X-Custom
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /credstar>
        CORSAllowOrigin ${allowed}
        CORSAllowCredentials On
        CORSAllowMethods *
        CORSAllowHeaders *
        CORSExposeHeaders *
    </Location>
    <Location /rules>
        CORSExposeHeaders X-Exposed
        <CORSRule app>
            CORSAllowOrigin ${allowed}
            CORSAllowMethods GET PUT
            CORSAllowCredentials On
        </CORSRule>
        <CORSRule public>
            CORSAllowOrigin *
            CORSAllowMethods GET
        </CORSRule>
    </Location>
    <Location /starcache>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders *
        CORSMaxAge 600
    </Location>
    <Location /debug>
        CORSAllowOrigin ${allowed}
        CORSAllowMethods PUT
        CORSAllowHeaders X-Custom
        CORSDebug On
    </Location>
    <Location /starauthcache>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders * Authorization
        CORSMaxAge 600
    </Location>
    <Location /credports>
        CORSAllowOrigin http://localhost:*
        CORSAllowCredentials On
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /maxagebig>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders X-Custom
        CORSMaxAge 86400
    </Location>
    <Location /secure>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders Authorization
        CORSExposeHeaders X-Exposed
        AuthType Basic
        AuthName "mod_cors test"
        AuthBasicProvider file
        AuthUserFile "${dir}/conf/htpasswd"
        Require valid-user
    </Location>
    <Location /pna>
        CORSAllowOrigin http://127.0.0.1:${P.public}
        CORSAllowPrivateNetwork On
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /merge>
        CORSAllowOrigin *
    </Location>
    <Location /merge/cred>
        CORSAllowCredentials On
    </Location>
    <Location /multi>
        CORSAllowOrigin ${allowed} http://127.0.0.1:${C}
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /maxage>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders X-Custom
        CORSMaxAge 600
    </Location>
    <Location /maxage0>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders X-Custom
        CORSMaxAge 0
    </Location>
    <Location /nomaxage>
        CORSAllowOrigin ${allowed}
        CORSAllowHeaders X-Custom
    </Location>
    <Location /public>
        CORSAllowOrigin *
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /ports>
        CORSAllowOrigin http://localhost:*
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /regex>
        CORSAllowOriginMatch "^http://127\\.0\\.0\\.1:${C}$"
        CORSExposeHeaders X-Exposed
    </Location>
    <Location /proxied/>
        CORSAllowOrigin ${allowed}
        CORSExposeHeaders X-Backend
        CORSAllowHeaders X-Custom
        ProxyPass http://127.0.0.1:${D}/
        ProxyPassReverse http://127.0.0.1:${D}/
    </Location>
</VirtualHost>
`;
}

// ------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function pickPorts() {
  const names = ['api', 'allowed', 'foreign', 'backend', 'public'];
  const P = {};
  const used = new Set();
  for (const n of names) {
    for (let i = 0; i < 50; i++) {
      const p = await freePort();
      // Chromium's restricted ports are all below 10100; stay clear.
      if (p > 20000 && !used.has(p)) { P[n] = p; used.add(p); break; }
    }
    if (!P[n]) throw new Error('could not find a free port above 20000');
  }
  return P;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (v) => { s.destroy(); resolve(v); };
    s.setTimeout(500, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A timeout for Promise.race that does not keep the process alive.
const deadline = (ms) => new Promise((r) => setTimeout(r, ms).unref());

function readLog(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) { return ''; }
}

async function startHttpd(dir, P) {
  const conf = path.join(dir, 'conf/httpd.conf');
  fs.writeFileSync(conf, httpdConf(dir, P));
  const t = cp.spawnSync(HTTPD, ['-t', '-f', conf], { encoding: 'utf8', timeout: 20000 });
  if (t.status !== 0) {
    throw new Error('apache2 -t failed:\n' + (t.stdout || '') + (t.stderr || ''));
  }
  const errFile = path.join(dir, 'logs/httpd.stderr');
  const errFd = fs.openSync(errFile, 'a');
  httpd = cp.spawn(HTTPD, ['-f', conf, '-D', 'FOREGROUND'], { stdio: ['ignore', errFd, errFd] });
  fs.closeSync(errFd);
  let exited = null;
  httpd.on('exit', (code, sig) => { exited = { code, sig }; });
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (exited) break;
    const ok = await Promise.all(Object.values(P).map(canConnect));
    if (ok.every(Boolean)) return;
    await sleep(100);
  }
  const why = exited ? `exited (${J(exited)})` : 'not listening after 15 s';
  await stopHttpd();
  throw new Error(`httpd ${why}:\n` + readLog(errFile) + readLog(path.join(dir, 'logs/error.log')).slice(-3000));
}

async function stopHttpd() {
  if (!httpd || httpd.exitCode !== null || httpd.signalCode !== null) { httpd = null; return; }
  const h = httpd;
  httpd = null;
  const gone = new Promise((r) => h.once('exit', r));
  try { h.kill('SIGTERM'); } catch (e) { /* already gone */ }
  const t = await Promise.race([gone.then(() => 'exit'), deadline(8000).then(() => 'timeout')]);
  if (t === 'timeout') {
    try { h.kill('SIGKILL'); } catch (e) { /* already gone */ }
    await Promise.race([gone, deadline(2000)]);
  }
}

async function cleanup() {
  const tc = Date.now();
  await Promise.all(browsers.splice(0).map((b) => Promise.race([Promise.resolve().then(() => b.close()).catch(() => {}), deadline(10000)])));
  await stopHttpd();
  if (process.env.CORS_BROWSER_VERBOSE === "1") log(`browser: cleanup took ${Date.now() - tc} ms`);
  if (tmp && !KEEP) { try { fs.rmSync(tmp, { recursive: true, force: true }); } catch (e) { /* ignore */ } }
}

// Access log: port, logid(orig), logid(final), method, uri+query, status,
// verdict(final), verdict(orig), origin, ACR-Private-Network.
function parseAccess(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split('\t');
    if (f.length < 10) continue;
    rows.push({ port: f[0], logid: f[1], logidFinal: f[2], method: f[3], uri: f[4], status: f[5],
      verdict: f[6], verdictOrig: f[7], origin: f[8], pna: f[9] });
  }
  return rows;
}

// Error log: "[level] [module] [logid] message"
function parseErrors(text) {
  const byId = new Map();
  for (const line of text.split('\n')) {
    const m = /^\[([^\]]*)\] \[([^\]]*)\] \[([^\]]*)\] (.*)$/.exec(line);
    if (!m || m[2] !== 'cors' || !m[3] || m[3] === '-') continue;
    if (!byId.has(m[3])) byId.set(m[3], []);
    byId.get(m[3]).push(m[4]);
  }
  return byId;
}

function caseRows(rows, tag) {
  const re = new RegExp('[?&]case=' + tag.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&') + '(&|$)');
  return rows.filter((r) => re.test(r.uri));
}

// A case runs its request from c.page; c.before lists earlier runs of the
// same request (same URL) from other pages, e.g. to fill the HTTP cache.
function steps(c) {
  return [...(c.before || []), { page: c.page, expect: c.expect }];
}

// The case as one engine must see it: its own expectations where the
// table documents a difference (c.differs[engine]).
function forEngine(c, engine) {
  const d = c.differs && c.differs[engine];
  return d ? { ...c, ...d, whyCommon: c.why, differsHere: true } : c;
}

function describeOne(expect) {
  if (expect === 'blocked') return 'blocked';
  let s = String(expect.status);
  for (const [h, v] of Object.entries(expect.headers || {})) s += (v === null ? ' -' : ' +') + h;
  if (expect.redirected) s += ' redir';
  return s;
}

function describeExpect(c) {
  const st = steps(c);
  if (st.length === 1) return describeOne(c.expect);
  return st.map((x) => `${x.page}: ${describeOne(x.expect)}`).join('; ');
}

// Checks one browser result against the expectation; returns [ok, text].
function judgeOne(expectation, results) {
  const c = { expect: expectation };
  const problems = [];
  let text = '';
  for (const [i, r] of results.entries()) {
    const tag = results.length > 1 ? `#${i + 1} ` : '';
    if (!r.ok) {
      text += (text ? '; ' : '') + tag + 'blocked';
      if (c.expect !== 'blocked') problems.push(`${tag}blocked: ${r.error}`);
      continue;
    }
    let s = String(r.status);
    const e = c.expect === 'blocked' ? {} : c.expect;
    for (const h of Object.keys(e.headers || {})) s += (r.headers[h] === null ? ' -' : ' +') + h;
    if (r.redirected) s += ' redir';
    text += (text ? '; ' : '') + tag + s;
    if (c.expect === 'blocked') { problems.push(`${tag}readable (status ${r.status}) but should be blocked`); continue; }
    if (e.status !== undefined && r.status !== e.status) problems.push(`${tag}status ${r.status}, want ${e.status}`);
    for (const b of e.body || []) if (!r.body.includes(b)) problems.push(`${tag}body lacks ${J(b)}: ${J(r.body.slice(0, 300))}`);
    for (const b of e.bodyNot || []) if (r.body.includes(b)) problems.push(`${tag}body has ${J(b)}: ${J(r.body.slice(0, 300))}`);
    for (const [h, v] of Object.entries(e.headers || {})) {
      if (r.headers[h] !== v) problems.push(`${tag}header ${h} = ${J(r.headers[h])}, want ${J(v)}`);
    }
    if (e.redirected !== undefined && r.redirected !== undefined && r.redirected !== e.redirected) {
      problems.push(`${tag}redirected=${r.redirected}, want ${e.redirected}`);
    }
  }
  return [problems.length === 0, text, problems];
}

function judgeBrowser(c, stepResults) {
  const st = steps(c);
  let ok = true, text = '';
  const problems = [];
  st.forEach((x, i) => {
    const [o, t, p] = judgeOne(x.expect, stepResults[i] || [{ ok: false, error: 'not run' }]);
    ok = ok && o;
    const pre = st.length > 1 ? `${x.page}: ` : '';
    text += (i ? '; ' : '') + pre + t;
    for (const m of p) problems.push(pre + m);
  });
  return [ok, text, problems];
}

// want: a list of "METHOD verdict status" (any order), or
// { desc, test(rows) } for an outcome that is not one exact list.
function moduleMatches(want, rows) {
  if (!Array.isArray(want)) return want.test(rows);
  const a = rows.map((r) => `${r.method} ${r.verdict} ${r.status}`).sort();
  const b = [...want].sort();
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function describeModule(want) {
  return Array.isArray(want) ? want.join(', ') : want.desc;
}

function moduleText(rows) {
  return rows.map((r) => {
    let s = `${r.method}:${r.verdict}/${r.status}`;
    if (r.verdictOrig !== r.verdict) s += `(orig ${r.verdictOrig})`;
    return s;
  }).join(' ') || '(no request logged)';
}

// The outcomes a case accepts: its own, and any alternatives (c.alt), each
// a browser expectation with the module verdicts that go with it.
function outcomes(c) {
  return [{ expect: c.expect, module: c.module, backend: c.backend },
    ...(c.moduleAlt || []).map((m) => ({ expect: c.expect, module: m, backend: c.backend })),
    ...(c.alt || []).map((a) => ({ backend: c.backend, ...a }))];
}

function table(rows, headers) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) => r.map((x, i) => String(x).padEnd(w[i])).join(' | ').trimEnd();
  const out = [fmt(headers), w.map((n) => '-'.repeat(n)).join('-|-')];
  for (const r of rows) out.push(fmt(r));
  return out.join('\n');
}

// ------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------

function finish(perEngine) {
  if (finished) return;
  finished = true;
  let passed = 0, failed = 0;
  for (const e of ENGINES) { passed += (perEngine[e] || {}).passed || 0; failed += (perEngine[e] || { failed: 1 }).failed; }
  // The total first, the engines last (scripts/test shows the last three).
  log(`browser: ${passed} passed, ${failed} failed`);
  for (const e of ENGINES) {
    const r = perEngine[e] || { passed: 0, failed: 1 };
    log(`${e}: ${r.passed} passed, ${r.failed} failed`);
  }
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

// Runs every case in one engine; returns { version, error, results }.
async function runEngine(engine, cases, ctx) {
  const te = Date.now();
  let b;
  try {
    b = await Promise.race([drivers[engine](ctx), deadline(90000).then(() => { throw new Error('start timed out after 90 s'); })]);
  } catch (e) {
    return { engine, version: '?', error: `${engine.toUpperCase()} COULD NOT START: ${e.message}`, results: [] };
  }
  browsers.push(b);
  const results = [];
  for (const c0 of cases) {
    const c = forEngine(c0, engine);
    if (Date.now() - t0 > SUITE_LIMIT_MS - 15000) {
      results.push({ c, res: steps(c).map(() => [{ ok: false, error: 'suite time limit reached, case not run' }]), console: [] });
      continue;
    }
    const q = `case=${engine}.${c.id}` + (c.req.query ? '&' + c.req.query : '');
    const cons0 = b.console.length;
    const stepResults = [];
    for (const st of steps(c)) {
      const req = { ...c.req, ...(st.req || {}) };
      const spec = {
        api: req.api || 'fetch', url: `${ctx.apiBase}${req.path}?${q}`, method: req.method,
        headers: req.headers, body: req.body, credentials: req.credentials, redirect: req.redirect,
        repeat: req.repeat || 1, gap: req.gap !== undefined ? req.gap : Number(process.env.CORS_BROWSER_GAP || 0), timeout: CASE_TIMEOUT_MS,
        read: req.read || Object.keys((st.expect !== 'blocked' && st.expect.headers) || { 'x-exposed': 1, 'x-hidden': 1 }),
      };
      let res;
      try {
        res = await Promise.race([b.run(st.page, spec), deadline(CASE_TIMEOUT_MS * 4).then(() => { throw new Error('no answer'); })]);
        if (!Array.isArray(res)) res = [{ ok: false, error: 'driver returned ' + J(res).slice(0, 200) }];
      } catch (e) {
        res = [{ ok: false, error: 'driver failed: ' + e.message.slice(0, 300) }];
      }
      stepResults.push(res);
    }
    results.push({ c, res: stepResults, console: b.console.slice(cons0) });
  }
  const version = b.version;
  const i = browsers.indexOf(b);
  if (i >= 0) browsers.splice(i, 1);
  await Promise.race([Promise.resolve().then(() => b.close()).catch(() => {}), deadline(15000)]);
  log(`browser: ${engine}: ${version}, ${cases.length} cases in ${((Date.now() - te) / 1000).toFixed(1)} s`);
  return { engine, version, results };
}

async function main() {
  const cases = CASES.filter((c) => (!ONLY || ONLY.test(c.id)) && !(SKIP && SKIP.test(c.id)));
  const skipped = CASES.length - cases.length;
  if (skipped) log(`browser: ${skipped} case(s) left out by CORS_BROWSER_ONLY/CORS_BROWSER_SKIP`);
  for (const e of ENGINES) if (!drivers[e] || e === 'ENGINES') throw new Error(`unknown engine ${e} (CORS_BROWSER_ENGINES)`);
  log(`browser: ${cases.length} cases x ${ENGINES.join(', ')}; module ${MOD}`);
  if (!fs.existsSync(MOD)) throw new Error(`module not found: ${MOD}`);

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mod-cors-browser-'));
  let P;
  for (let attempt = 1; ; attempt++) {
    P = await pickPorts();
    makeTree(tmp, P);
    try { await startHttpd(tmp, P); break; } catch (e) {
      // Another process may have taken a port between picking and binding.
      if (attempt < 3 && /Address already in use|could not bind/i.test(e.message)) {
        log(`browser: port clash, retrying (${attempt})`);
        fs.rmSync(path.join(tmp, 'logs'), { recursive: true, force: true });
        continue;
      }
      throw e;
    }
  }
  log(`browser: httpd up (api :${P.api}, allowed page :${P.allowed}, foreign page :${P.foreign}, backend :${P.backend}); temp ${tmp}`);
  const ctx = {
    ports: P, caseTimeout: CASE_TIMEOUT_MS, apiBase: `http://127.0.0.1:${P.api}`,
    origins: {
      allowed: `http://127.0.0.1:${P.allowed}`,
      foreign: `http://127.0.0.1:${P.foreign}`,
      localhost: `http://localhost:${P.foreign}`,
      public: `http://127.0.0.1:${P.public}`,
    },
  };

  // The engines run side by side (each its own browser, cache and
  // cookies; requests are told apart by ?case=<engine>.<id>), unless
  // CORS_BROWSER_SERIAL=1.
  let runs;
  if (process.env.CORS_BROWSER_SERIAL === '1') {
    runs = [];
    for (const e of ENGINES) runs.push(await runEngine(e, cases, ctx));
  } else {
    runs = await Promise.all(ENGINES.map((e) => runEngine(e, cases, ctx)));
  }

  // Let httpd write the last access-log lines (written after the response).
  const accessFile = path.join(tmp, 'logs/access.log');
  let prev = -1, stable = 0;
  for (let i = 0; i < 40 && stable < 2; i++) {
    const n = readLog(accessFile).length;
    stable = n === prev ? stable + 1 : 0;
    prev = n;
    await sleep(150);
  }
  const allAccess = parseAccess(readLog(accessFile));
  const access = allAccess.filter((r) => r.port === String(P.api));
  const backendAccess = allAccess.filter((r) => r.port === String(P.backend));
  const errors = parseErrors(readLog(path.join(tmp, 'logs/error.log')));

  const perEngine = {};
  const cell = {};        // engine -> id -> text
  const details = [];
  for (const run of runs) {
    const e = run.engine;
    perEngine[e] = { passed: 0, failed: 0, version: run.version };
    cell[e] = {};
    if (run.error) {
      perEngine[e].failed = cases.length;
      perEngine[e].error = run.error;
      for (const c of cases) cell[e][c.id] = 'FAIL (no browser)';
      continue;
    }
    for (const { c, res, console: cons } of run.results) {
      const tag = `${e}.${c.id}`;
      const mine = caseRows(access, tag);
      const mineBackend = caseRows(backendAccess, tag);
      let ok = false, bText = '', bProblems = [], mOk = false, beOk = true;
      for (const [i, o] of outcomes(c).entries()) {
        const cc = { ...c, expect: o.expect };
        const [b1, t1, p1] = judgeBrowser(cc, res);
        const m1 = moduleMatches(o.module, mine);
        const be1 = !o.backend || moduleMatches(o.backend, mineBackend);
        if (i === 0) { bText = t1; bProblems = p1; mOk = m1; beOk = be1; }
        if (b1 && m1 && be1) { ok = true; bText = t1; break; }
      }
      // c.console: { engine: RegExp } a console message of the case must match
      const cw = c.console && c.console[e];
      if (ok && cw && !cons.some((l) => cw.test(l))) {
        ok = false;
        bText += ` (console lacks ${cw}: ${J(cons).slice(0, 300)})`;
      }
      if (ok) perEngine[e].passed++; else perEngine[e].failed++;
      cell[e][c.id] = (ok ? 'PASS' : 'FAIL') + (c.differsHere ? '*' : '') + (ok ? '' : `: ${bText} / ${moduleText(mine)}`);
      const reasons = [];
      for (const r of mine) {
        for (const id of new Set([r.logid, r.logidFinal])) for (const m of errors.get(id) || []) reasons.push(`${r.method}: ${m}`);
      }
      const pna = mine.filter((r) => r.pna && r.pna !== '-');
      details.push({ e, c, ok, bText, mine, bProblems, mOk, beOk, reasons, cons, pna, mineBackend });
    }
  }

  const rows = cases.map((c) => [c.id, ...ENGINES.map((e) => cell[e][c.id] || 'FAIL (not run)'),
    [describeExpect(c), ...(c.alt || []).map((a) => describeExpect({ ...c, expect: a.expect }))].join(' OR '),
    [describeModule(c.module), ...(c.moduleAlt || []).map(describeModule), ...(c.alt || []).map((a) => describeModule(a.module))].join(' OR ')]);
  log('');
  log(table(rows, ['case', ...ENGINES, 'expected (browser)', 'expected (module)']));
  log('');
  log('legend: PASS* = passes with the documented engine difference (cases.js "differs"); FAIL: browser / module.');
  log('        browser: +h / -h = response header h readable / hidden; redir = response.redirected;');
  log('        module: METHOD:verdict/status per request the API logged (%{cors}n), "-" = no verdict note');
  log('');
  const verbose = process.env.CORS_BROWSER_VERBOSE === '1';
  for (const d of details) {
    const lines = [];
    if (d.c.differsHere && verbose) lines.push(`  differs: ${d.c.why}`);
    if (!d.ok) {
      lines.push(`  why expected: ${d.c.why}`);
      lines.push(`  expected: browser ${describeExpect(d.c)}, module {${describeModule(d.c.module)}}`);
      for (const p of d.bProblems) lines.push(`  browser: ${p}`);
      if (!d.mOk) lines.push(`  module: got {${moduleText(d.mine)}}`);
      for (const a of d.c.alt || []) lines.push(`  or (alternative): browser ${describeExpect({ ...d.c, expect: a.expect })}, module {${describeModule(a.module)}}`);
      if (!d.beOk) lines.push(`  backend: want {${describeModule(d.c.backend)}}, got {${moduleText(d.mineBackend)}}`);
    }
    if (!d.ok || verbose) {
      if (verbose) lines.push(`  got: browser ${d.bText}; module ${moduleText(d.mine)}`);
      for (const m of d.cons) lines.push(`  console: ${m.slice(0, 400)}`);
      for (const r of d.reasons) lines.push(`  cors:debug ${r.slice(0, 400)}`);
    }
    if (d.pna.length) lines.push(`  note: ${d.pna.length} request(s) with Access-Control-Request-Private-Network`);
    if (lines.length) { log(`${d.ok ? 'PASS' : 'FAIL'} ${d.e} ${d.c.id}`); for (const l of lines) log(l); }
  }
  const pnaTotal = access.filter((r) => r.pna && r.pna !== '-').length;
  log(`browser: Private Network Access preflights seen: ${pnaTotal}`);
  for (const e of ENGINES) {
    const r = perEngine[e];
    log(`browser: ${e}: ${r.version}${r.error ? ' -- ' + r.error : ''}`);
  }
  log(`browser: runtime ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (Object.values(perEngine).some((r) => r.failed) && tmp) log(`browser: logs: ${tmp}/logs (kept with CORS_BROWSER_KEEP=1)`);
  await cleanup();
  finish(perEngine);
}

const watchdog = setTimeout(async () => {
  console.error(`browser: FATAL: suite exceeded ${SUITE_LIMIT_MS / 1000} s`);
  await cleanup();
  finish({});
  process.exit(1);
}, SUITE_LIMIT_MS + 5000);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => { await cleanup(); finish({}); process.exit(1); });
}

main().then(() => { clearTimeout(watchdog); }).catch(async (e) => {
  console.error('browser: FATAL: ' + (e && e.stack || e));
  await cleanup();
  clearTimeout(watchdog);
  finish({});
});
