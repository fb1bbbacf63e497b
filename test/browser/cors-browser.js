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
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const KEEP = process.env.CORS_BROWSER_KEEP === '1';
const ONLY = process.env.CORS_BROWSER_ONLY ? new RegExp(process.env.CORS_BROWSER_ONLY) : null;
const SKIP = process.env.CORS_BROWSER_SKIP ? new RegExp(process.env.CORS_BROWSER_SKIP) : null;
const SUITE_LIMIT_MS = 170 * 1000; // the whole suite must stay under 3 minutes
const CASE_TIMEOUT_MS = 10 * 1000;

const t0 = Date.now();
let httpd = null;       // child process
let browser = null;     // playwright Browser
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
  'maxage0', 'nomaxage', 'merge', 'merge/cred', 'multi', 'pna', 'public', 'ports', 'regex', 'nocors'];

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
    '<link rel="icon" href="data:,"></head><body>mod_cors browser test page</body></html>\n');
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
// Cases
// ------------------------------------------------------------------------
//
// page:     which page runs the request: 'allowed' (http://127.0.0.1:B),
//           'foreign' (http://127.0.0.1:C), 'localhost' (http://localhost:C)
// req:      { api: 'fetch'|'xhr', path, method, headers, body, credentials,
//             repeat, read: [response headers to read] }
// expect:   'blocked', or { status, body: [substrings], headers: {name: value
//           or null (must be hidden)}, redirected }
// module:   the access-log lines of this case on the API port, each
//           "METHOD verdict status" (verdict "-" = no note), any order.
// why:      one line: why this is the right answer (SPEC / Fetch).

const J = JSON.stringify;
const EXPOSE = { 'x-exposed': 'exposed-value', 'x-hidden': null };
const BASIC_GOOD = 'Basic ' + Buffer.from('alice:wonderland').toString('base64');
const BASIC_BAD = 'Basic ' + Buffer.from('alice:wrong').toString('base64');

const CASES = [
  // --- simple requests from the allowed origin
  { id: 'simple-get', page: 'allowed', req: { path: '/api/echo.cgi' },
    expect: { status: 200, body: ['method=GET'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'listed origin; X-Exposed listed, X-Hidden not' },
  { id: 'simple-get-xhr', page: 'allowed', req: { api: 'xhr', path: '/api/echo.cgi' },
    expect: { status: 200, body: ['method=GET'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'same through XMLHttpRequest' },
  { id: 'simple-post-text', page: 'allowed',
    req: { path: '/api/echo.cgi', method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' },
    expect: { status: 200, body: ['method=POST', 'body=hello'], headers: EXPOSE },
    module: ['POST allowed 200'], why: 'text/plain POST is simple: no preflight' },
  // --- preflighted requests from the allowed origin
  { id: 'preflight-json-post', page: 'allowed',
    req: { path: '/api/echo.cgi', method: 'POST', headers: { 'Content-Type': 'application/json' }, body: J({ a: 1 }) },
    expect: { status: 200, body: ['content-type=application/json', 'body={"a":1}'], headers: EXPOSE },
    module: ['OPTIONS preflight-allowed 204', 'POST allowed 200'], why: 'Content-Type listed in CORSAllowHeaders' },
  { id: 'preflight-custom-header', page: 'allowed',
    req: { path: '/api/echo.cgi', headers: { 'X-Custom': 'hello' } },
    expect: { status: 200, body: ['x-custom=hello'], headers: EXPOSE },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200'], why: 'X-Custom listed' },
  { id: 'preflight-unlisted-header', page: 'allowed',
    req: { path: '/api/echo.cgi', headers: { 'X-Other': '1' } },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'], why: 'X-Other not listed' },
  { id: 'preflight-put', page: 'allowed', req: { path: '/api/echo.cgi', method: 'PUT', body: 'x' },
    expect: { status: 200, body: ['method=PUT'], headers: EXPOSE },
    module: ['OPTIONS preflight-allowed 204', 'PUT allowed 200'], why: 'PUT listed' },
  { id: 'preflight-patch', page: 'allowed', req: { path: '/api/echo.cgi', method: 'PATCH', body: 'x' },
    expect: { status: 200, body: ['method=PATCH'], headers: EXPOSE },
    module: ['OPTIONS preflight-allowed 204', 'PATCH allowed 200'], why: 'PATCH listed' },
  { id: 'preflight-delete-unlisted', page: 'allowed', req: { path: '/api/echo.cgi', method: 'DELETE' },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'], why: 'DELETE not listed' },
  { id: 'preflight-patch-lowercase', page: 'allowed', req: { path: '/api/echo.cgi', method: 'patch', body: 'x' },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'],
    why: 'fetch() does not upper-case "patch"; methods are case-sensitive' },
  // --- CORSAllowHeaders * / CORSAllowMethods * / CORSExposeHeaders *
  { id: 'star-delete-any-header', page: 'allowed',
    req: { path: '/star/echo.cgi', method: 'DELETE', headers: { 'X-Anything': 'a', 'X-Custom': 'b' } },
    expect: { status: 200, body: ['method=DELETE', 'x-custom=b'], headers: { 'x-exposed': 'exposed-value', 'x-hidden': 'hidden-value' } },
    module: ['OPTIONS preflight-allowed 204', 'DELETE allowed 200'], why: 'methods *, headers *, expose * (no credentials)' },
  { id: 'star-authorization', page: 'allowed',
    req: { path: '/star/echo.cgi', headers: { 'Authorization': 'Bearer t0k3n' } },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'], why: 'CORSAllowHeaders * never covers Authorization' },
  { id: 'starauth-authorization', page: 'allowed',
    req: { path: '/starauth/echo.cgi', headers: { 'Authorization': 'Bearer t0k3n', 'X-Anything': 'a' } },
    expect: { status: 200, body: ['authorization=Bearer t0k3n'] },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200'], why: 'CORSAllowHeaders * Authorization' },
  // --- credentials
  { id: 'cred-setcookie', page: 'allowed', req: { path: '/cred/setcookie.cgi', credentials: 'include' },
    expect: { status: 200, body: ['cookie-set'], headers: { 'x-exposed': 'exposed-value' } },
    module: ['GET allowed 200'], why: 'credentials On: the API may set a cookie' },
  { id: 'cred-cookie', page: 'allowed', req: { path: '/cred/echo.cgi', credentials: 'include' },
    expect: { status: 200, body: ['sid=page-cookie', 'apisid=api-cookie'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'credentials On: both cookies reach the CGI; exposed header readable' },
  { id: 'cred-cookie-xhr', page: 'allowed', req: { api: 'xhr', path: '/cred/echo.cgi', credentials: 'include' },
    expect: { status: 200, body: ['sid=page-cookie'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'same with withCredentials' },
  { id: 'cred-preflight', page: 'allowed',
    req: { path: '/cred/echo.cgi', credentials: 'include', headers: { 'X-Custom': 'c' } },
    expect: { status: 200, body: ['sid=page-cookie', 'x-custom=c'], headers: EXPOSE },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200'], why: 'preflight carries -Allow-Credentials: true' },
  { id: 'cred-star-echoed', page: 'allowed',
    req: { path: '/credstar/echo.cgi', method: 'DELETE', credentials: 'include', headers: { 'X-Anything': 'a' } },
    expect: { status: 200, body: ['method=DELETE', 'sid=page-cookie'], headers: { 'x-exposed': 'exposed-value', 'x-hidden': 'hidden-value' } },
    module: ['OPTIONS preflight-allowed 204', 'DELETE allowed 200'],
    why: 'with credentials "*" is literal: method/headers echoed, exposed names listed' },
  { id: 'cred-where-off', page: 'allowed', req: { path: '/api/echo.cgi', credentials: 'include' },
    expect: 'blocked', module: ['GET allowed 200'],
    why: 'credentials Off: no -Allow-Credentials, browser rejects (origin itself allowed)' },
  { id: 'cred-preflight-where-off', page: 'allowed',
    req: { path: '/api/echo.cgi', credentials: 'include', headers: { 'X-Custom': 'c' } },
    expect: 'blocked', module: ['OPTIONS preflight-allowed 204'],
    why: 'preflights carry no credentials mode; browser rejects the 204 without -Allow-Credentials' },
  { id: 'merge-star-child-credentials', page: 'allowed', req: { path: '/merge/cred/echo.cgi', credentials: 'include' },
    expect: 'blocked', module: ['GET allowed 200'],
    why: 'parent "*" + child credentials On: "*" without -Allow-Credentials, fails safe' },
  { id: 'merge-star-child-no-credentials', page: 'foreign', req: { path: '/merge/cred/echo.cgi' },
    expect: { status: 200, body: ['method=GET'] }, module: ['GET allowed 200'],
    why: 'the inherited "*" still serves requests without credentials' },
  { id: 'cred-public-star', page: 'allowed', req: { path: '/public/echo.cgi', credentials: 'include' },
    expect: 'blocked', module: ['GET allowed 200'], why: '"*" never with credentials' },
  // --- auth-protected location
  { id: 'auth-bad-password', page: 'allowed',
    req: { path: '/secure/echo.cgi', headers: { 'Authorization': BASIC_BAD } },
    expect: { status: 401, headers: { 'x-exposed': null } },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 401'], why: 'preflight bypasses auth; 401 readable' },
  { id: 'auth-good-password', page: 'allowed',
    req: { path: '/secure/echo.cgi', headers: { 'Authorization': BASIC_GOOD } },
    expect: { status: 200, body: ['remote-user=alice'], headers: EXPOSE },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200'], why: 'good credentials' },
  { id: 'auth-foreign', page: 'foreign',
    req: { path: '/secure/echo.cgi', headers: { 'Authorization': BASIC_GOOD } },
    expect: 'blocked', module: ['OPTIONS preflight-refused 401'], why: 'refused preflight gets no auth bypass' },
  // --- backends that answer CORS themselves
  { id: 'backend-acao-allowed', page: 'allowed', req: { path: '/api/acao.cgi', read: ['x-exposed', 'x-hidden'] },
    expect: { status: 200, body: ['backend-says'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'the backend\'s Expose-Headers: X-Hidden is replaced' },
  { id: 'backend-acao-foreign', page: 'foreign', req: { path: '/api/acao.cgi' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'the CGI\'s "*" is removed' },
  { id: 'backend-acao-no-policy', page: 'foreign', req: { path: '/nocors/acao.cgi' },
    expect: { status: 200, body: ['backend-says'] }, module: ['GET - 200'],
    why: 'control: outside a policy the module changes nothing' },
  { id: 'proxied-allowed', page: 'allowed', req: { path: '/proxied/data.txt', read: ['x-backend'] },
    expect: { status: 200, body: ['proxied-backend-body'], headers: { 'x-backend': 'backend' } },
    module: ['GET allowed 200'], why: 'proxied; the module\'s expose list wins' },
  { id: 'proxied-preflight-not-forwarded', page: 'allowed',
    req: { path: '/proxied/data.txt', headers: { 'X-Custom': 'p' }, read: ['x-backend'] },
    expect: { status: 200, body: ['proxied-backend-body'], headers: { 'x-backend': 'backend' } },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200'], backend: ['GET - 200'],
    why: 'the module answers the preflight; only the GET reaches the backend' },
  { id: 'proxied-foreign', page: 'foreign', req: { path: '/proxied/data.txt' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'the backend\'s "*" is removed' },
  // --- errors and redirects
  { id: 'error-404-errordocument', page: 'allowed', req: { path: '/api/missing.txt' },
    expect: { status: 404, body: ['custom-error-document-404'] },
    module: ['GET allowed 404'], why: 'the ErrorDocument\'s own location has a policy that allows the page' },
  { id: 'error-404-errordocument-unconfigured', page: 'allowed', req: { path: '/api/plainerr/missing.txt' },
    expect: 'blocked', module: ['GET - 404'],
    why: 'the ErrorDocument\'s location has no policy: the API\'s policy does not reach it' },
  { id: 'error-500-cgi', page: 'allowed', req: { path: '/api/status.cgi', query: 'code=500' },
    expect: { status: 500, body: ['status-from-cgi=500'], headers: EXPOSE },
    module: ['GET allowed 500'], why: '5xx from the backend' },
  { id: 'error-500-httpd', page: 'allowed', req: { path: '/api/broken.cgi' },
    expect: { status: 500 }, module: ['GET allowed 500'], why: 'httpd\'s own error response' },
  { id: 'redirect-same-scope', page: 'allowed', req: { path: '/api/moved-in' },
    expect: { status: 200, body: ['method=GET', 'uri=/api/echo.cgi'], headers: EXPOSE, redirected: true },
    module: ['GET allowed 302', 'GET allowed 200'], why: '302 and target both carry CORS headers' },
  { id: 'redirect-out-of-scope', page: 'allowed', req: { path: '/api/moved-out' },
    expect: 'blocked', module: ['GET allowed 302', 'GET - 200'], why: 'the target has no policy' },
  { id: 'redirect-cross-origin', page: 'allowed', req: { path: '/api/moved-x' },
    expect: 'blocked', module: ['GET allowed 302', 'GET disallowed 200'],
    why: 'after a cross-origin redirect Origin is "null", which never matches' },
  { id: 'redirect-307-preflighted', page: 'allowed',
    req: { path: '/api/redirect.cgi', method: 'PUT', body: 'x', headers: { 'X-Custom': 'r' } },
    expect: { status: 200, body: ['method=PUT', 'x-custom=r', 'hop=2'], headers: EXPOSE, redirected: true },
    module: ['OPTIONS preflight-allowed 204', 'PUT allowed 307', 'OPTIONS preflight-allowed 204', 'PUT allowed 200'],
    why: 'preflight, 307, preflight again for the target' },
  // A preflight to a URL that mod_alias / mod_rewrite redirect (in
  // translate_name, before any fixup).  Browsers fail a preflight answered
  // with a redirect.  Either the module answers it (204) and the browser
  // follows the redirect of the actual request, or the module's verdict
  // must say the preflight failed: never "preflight-allowed" on a 3xx.
  { id: 'preflight-to-alias-redirect', page: 'allowed',
    req: { path: '/api/moved-in', method: 'PUT', body: 'x' },
    expect: { status: 200, body: ['method=PUT'], headers: EXPOSE, redirected: true },
    module: ['OPTIONS preflight-allowed 204', 'PUT allowed 302', 'OPTIONS preflight-allowed 204', 'PUT allowed 200'],
    alt: [{ expect: 'blocked', module: { desc: 'OPTIONS logged as not allowed (3xx), no PUT',
        test: (rows) => rows.some((r) => r.method === 'OPTIONS') &&
          rows.every((r) => r.method === 'OPTIONS' && !(r.verdict === 'preflight-allowed' && r.status !== '204')) } }],
    why: 'module verdict must equal browser verdict (Fetch: a redirected preflight is a network error)' },
  { id: 'preflight-to-rewrite-redirect', page: 'allowed',
    req: { path: '/api/rewritten', method: 'PUT', body: 'x' },
    expect: { status: 200, body: ['method=PUT'], headers: EXPOSE, redirected: true },
    module: ['OPTIONS preflight-allowed 204', 'PUT allowed 307', 'OPTIONS preflight-allowed 204', 'PUT allowed 200'],
    alt: [{ expect: 'blocked', module: { desc: 'OPTIONS logged as not allowed (3xx), no PUT',
        test: (rows) => rows.some((r) => r.method === 'OPTIONS') &&
          rows.every((r) => r.method === 'OPTIONS' && !(r.verdict === 'preflight-allowed' && r.status !== '204')) } }],
    why: 'same with RewriteRule [R=307] in the virtual host' },
  // --- the browser's HTTP cache (both pages share one cache partition: same site)
  { id: 'cache-vary-two-origins', before: [{ page: 'allowed', expect: { status: 200, body: ['cached-body'] } }], page: 'foreign',
    req: { path: '/multi/cached.cgi' },
    expect: { status: 200, body: ['cached-body'], headers: { 'x-exposed': 'exposed-value' } },
    module: ['GET allowed 200', 'GET allowed 200'],
    why: 'Vary: Origin: the copy cached with ACAO for one allowed origin is not reused for the other' },
  { id: 'cache-star-shared', before: [{ page: 'allowed', expect: { status: 200, body: ['cached-body'] } }], page: 'foreign',
    req: { path: '/public/cached.cgi' },
    expect: { status: 200, body: ['cached-body'], headers: { 'x-exposed': 'exposed-value' } },
    module: ['GET allowed 200'],
    why: '"*" does not depend on Origin (no Vary: Origin): one cached copy serves both pages' },
  { id: 'revalidate-304', page: 'allowed', req: { path: '/api/static.txt', repeat: 2 },
    expect: { status: 200, body: ['static-body'] },
    module: ['GET allowed 200', 'GET allowed 304'],
    why: 'revalidated copy: the 304 keeps the response readable' },
  { id: 'revalidate-two-origins', before: [{ page: 'allowed', expect: { status: 200, body: ['static-body'] } }],
    page: 'foreign', req: { path: '/multi/static.txt' },
    expect: { status: 200, body: ['static-body'] },
    module: ['GET allowed 200', 'GET allowed 200'], moduleAlt: [['GET allowed 200', 'GET allowed 304']],
    why: 'the second allowed origin gets its own Access-Control-Allow-Origin (200 or 304)' },
  // --- Access-Control-Max-Age
  { id: 'maxage-600-cached', page: 'allowed', req: { path: '/maxage/echo.cgi', headers: { 'X-Custom': 'm' }, repeat: 2 },
    expect: { status: 200, body: ['x-custom=m'] },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200', 'GET allowed 200'],
    why: 'CORSMaxAge 600: second request sends no preflight' },
  { id: 'maxage-0-not-cached', page: 'allowed', req: { path: '/maxage0/echo.cgi', headers: { 'X-Custom': 'm' }, repeat: 2 },
    expect: { status: 200, body: ['x-custom=m'] },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200', 'OPTIONS preflight-allowed 204', 'GET allowed 200'],
    why: 'CORSMaxAge 0: every request preflighted (control for the count)' },
  { id: 'maxage-unset-default', page: 'allowed', req: { path: '/nomaxage/echo.cgi', headers: { 'X-Custom': 'm' }, repeat: 2 },
    expect: { status: 200, body: ['x-custom=m'] },
    module: ['OPTIONS preflight-allowed 204', 'GET allowed 200', 'GET allowed 200'],
    why: 'no header: Chromium caches 5 s by default' },
  // --- foreign origin
  { id: 'foreign-simple', page: 'foreign', req: { path: '/api/echo.cgi' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'origin not listed' },
  { id: 'foreign-simple-xhr', page: 'foreign', req: { api: 'xhr', path: '/api/echo.cgi' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'origin not listed' },
  { id: 'foreign-preflight-put', page: 'foreign', req: { path: '/api/echo.cgi', method: 'PUT', body: 'x' },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'], why: 'origin not listed: PUT never sent' },
  { id: 'foreign-preflight-json', page: 'foreign',
    req: { path: '/api/echo.cgi', method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'], why: 'origin not listed: POST never sent' },
  { id: 'foreign-credentials', page: 'foreign', req: { path: '/cred/echo.cgi', credentials: 'include' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'origin not listed' },
  // --- Private Network Access / Local Network Access
  { id: 'pna-public-to-loopback', page: 'public', req: { path: '/pna/echo.cgi' },
    expect: { status: 200, body: ['method=GET'], headers: EXPOSE },
    module: ['GET allowed 200'],
    moduleAlt: [['OPTIONS preflight-allowed 204', 'GET allowed 200']],
    why: 'public page -> loopback: Chromium 156 asks a permission (granted), no PNA preflight; older ones preflight (CORSAllowPrivateNetwork On)' },
  // --- opaque origin ("null")
  { id: 'null-origin-sandboxed', page: 'sandboxed', req: { path: '/api/echo.cgi' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'Origin: null never matches a listed origin' },
  { id: 'null-origin-sandboxed-star', page: 'sandboxed', req: { path: '/public/echo.cgi' },
    expect: { status: 200, body: ['origin=null'], headers: EXPOSE }, module: ['GET allowed 200'],
    why: '"*" answers every origin, the opaque one too' },
  // --- origin forms
  { id: 'public-star-foreign', page: 'foreign', req: { path: '/public/echo.cgi' },
    expect: { status: 200, body: ['method=GET'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'CORSAllowOrigin *' },
  { id: 'public-star-preflight-header', page: 'foreign', req: { path: '/public/echo.cgi', headers: { 'X-Custom': '1' } },
    expect: 'blocked', module: ['OPTIONS preflight-refused 403'], why: '"*" origin still checks headers' },
  { id: 'port-wildcard-localhost', page: 'localhost', req: { path: '/ports/echo.cgi' },
    expect: { status: 200, body: ['origin=http://localhost:'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'http://localhost:* matches http://localhost:C' },
  { id: 'port-wildcard-other-host', page: 'foreign', req: { path: '/ports/echo.cgi' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'http://localhost:* does not match 127.0.0.1' },
  { id: 'regex-foreign', page: 'foreign', req: { path: '/regex/echo.cgi' },
    expect: { status: 200, body: ['method=GET'], headers: EXPOSE },
    module: ['GET allowed 200'], why: 'CORSAllowOriginMatch for the page\'s origin' },
  { id: 'regex-allowed-page', page: 'allowed', req: { path: '/regex/echo.cgi' },
    expect: 'blocked', module: ['GET disallowed 200'], why: 'the regex names only the other port' },
];

// ------------------------------------------------------------------------
// In the page: run one request (one or more times), report what JS sees.
// ------------------------------------------------------------------------

async function inPage(spec) {
  const out = [];
  for (let i = 0; i < (spec.repeat || 1); i++) {
    if (spec.api === 'xhr') {
      out.push(await new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open(spec.method || 'GET', spec.url);
        if (spec.credentials === 'include') x.withCredentials = true;
        for (const [k, v] of Object.entries(spec.headers || {})) x.setRequestHeader(k, v);
        x.timeout = spec.timeout;
        x.onload = () => {
          const headers = {};
          for (const h of spec.read) headers[h] = x.getResponseHeader(h);
          resolve({ ok: true, status: x.status, body: x.responseText, headers, url: x.responseURL });
        };
        x.onerror = () => resolve({ ok: false, error: 'XHR error event (status ' + x.status + ')' });
        x.ontimeout = () => resolve({ ok: false, error: 'XHR timeout' });
        x.send(spec.body === undefined ? null : spec.body);
      }));
    } else {
      try {
        const init = { method: spec.method || 'GET', headers: spec.headers || {}, signal: AbortSignal.timeout(spec.timeout) };
        if (spec.body !== undefined) init.body = spec.body;
        if (spec.credentials) init.credentials = spec.credentials;
        const r = await fetch(spec.url, init);
        const body = await r.text();
        const headers = {};
        for (const h of spec.read) headers[h] = r.headers.get(h);
        out.push({ ok: true, status: r.status, body, headers, redirected: r.redirected, url: r.url });
      } catch (e) {
        out.push({ ok: false, error: e.name + ': ' + e.message });
      }
    }
  }
  return out;
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
  if (browser) { const b = browser; browser = null; await Promise.race([b.close().catch(() => {}), deadline(10000)]); }
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

function caseRows(rows, id) {
  const re = new RegExp('[?&]case=' + id.replace(/[-]/g, '\\-') + '(&|$)');
  return rows.filter((r) => re.test(r.uri));
}

// A case runs its request from c.page; c.before lists earlier runs of the
// same request (same URL) from other pages, e.g. to fill the HTTP cache.
function steps(c) {
  return [...(c.before || []), { page: c.page, expect: c.expect }];
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

function finish(passed, failed) {
  if (finished) return;
  finished = true;
  log(`browser: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

async function main() {
  const cases = CASES.filter((c) => (!ONLY || ONLY.test(c.id)) && !(SKIP && SKIP.test(c.id)));
  const skipped = CASES.length - cases.length;
  if (skipped) log(`browser: ${skipped} case(s) left out by CORS_BROWSER_ONLY/CORS_BROWSER_SKIP`);
  log(`browser: ${cases.length} cases; module ${MOD}; chromium ${CHROMIUM}`);
  if (!fs.existsSync(MOD)) throw new Error(`module not found: ${MOD}`);

  let chromium;
  try {
    ({ chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core')));
  } catch (e) {
    throw new Error('playwright-core is not installed in test/browser/node_modules (run test/browser/run): ' + e.message);
  }

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

  // Chromium.  A failure here fails the whole suite, loudly.
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
        // The "public" page is a public-internet page to Chromium, so that
        // its requests to 127.0.0.1 cross into the loopback address space.
        `--ip-address-space-overrides=127.0.0.1:${P.public}=public`],
    });
  } catch (e) {
    const err = new Error('CHROMIUM COULD NOT START: ' + e.message);
    err.allFailed = cases.length;
    throw err;
  }
  log(`browser: Chromium ${browser.version()} (fresh profile, headless)`);
  const context = await browser.newContext();
  // Chromium >= 141 asks the user before a public page may reach a local
  // address (Local Network Access, which replaced the Private Network Access
  // preflight); grant it as a user would.
  await context.grantPermissions(['local-network-access'], { origin: `http://127.0.0.1:${P.public}` });

  const origins = {
    allowed: `http://127.0.0.1:${P.allowed}`,
    foreign: `http://127.0.0.1:${P.foreign}`,
    localhost: `http://localhost:${P.foreign}`,
    public: `http://127.0.0.1:${P.public}`,
  };
  const pages = {};
  let consoleSink = null;
  for (const [name, origin] of Object.entries(origins)) {
    const page = await context.newPage();
    page.setDefaultTimeout(CASE_TIMEOUT_MS * 3);
    page.on('console', (m) => { if (consoleSink && m.type() === 'error') consoleSink.push(m.text()); });
    const resp = await page.goto(origin + '/index.html', { timeout: 15000 });
    if (!resp || resp.status() !== 200) throw new Error(`page ${origin} did not load: ${resp && resp.status()}`);
    pages[name] = page;
  }
  // A plain cookie for host 127.0.0.1 (all ports): a different port is the
  // same site, so SameSite=Lax lets it go with credentials: 'include'.
  await pages.allowed.evaluate(() => { document.cookie = 'sid=page-cookie; path=/'; });

  // A sandboxed iframe (opaque origin): its requests carry "Origin: null".
  await pages.allowed.evaluate(() => new Promise((resolve) => {
    const f = document.createElement('iframe');
    f.setAttribute('sandbox', 'allow-scripts');
    f.srcdoc = '<!doctype html><p>sandboxed</p>';
    f.onload = () => resolve();
    document.body.appendChild(f);
  }));
  pages.sandboxed = pages.allowed.frames().find((f) => f !== pages.allowed.mainFrame());
  if (!pages.sandboxed) throw new Error('sandboxed iframe not found');

  const apiBase = `http://127.0.0.1:${P.api}`;
  const results = [];
  for (const c of cases) {
    if (Date.now() - t0 > SUITE_LIMIT_MS - 20000) {
      results.push({ c, res: steps(c).map(() => [{ ok: false, error: 'suite time limit reached, case not run' }]), console: [] });
      continue;
    }
    const q = `case=${c.id}` + (c.req.query ? '&' + c.req.query : '');
    consoleSink = [];
    const stepResults = [];
    for (const st of steps(c)) {
      const spec = {
        api: c.req.api || 'fetch', url: `${apiBase}${c.req.path}?${q}`, method: c.req.method,
        headers: c.req.headers, body: c.req.body, credentials: c.req.credentials,
        repeat: c.req.repeat || 1, timeout: CASE_TIMEOUT_MS,
        read: c.req.read || Object.keys((c.expect !== 'blocked' && c.expect.headers) || { 'x-exposed': 1, 'x-hidden': 1 }),
      };
      let res;
      try {
        res = await pages[st.page].evaluate(inPage, spec);
      } catch (e) {
        res = [{ ok: false, error: 'page.evaluate failed: ' + e.message }];
      }
      stepResults.push(res);
    }
    const res = stepResults;
    results.push({ c, res, console: consoleSink });
    consoleSink = null;
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

  const rows = [];
  const details = [];
  let passed = 0, failed = 0;
  for (const { c, res, console: cons } of results) {
    const mine = caseRows(access, c.id);
    const mineBackend = caseRows(backendAccess, c.id);
    let ok = false, bText = '', bProblems = [], mOk = false, beOk = true;
    for (const [i, o] of outcomes(c).entries()) {
      const cc = { ...c, expect: o.expect };
      const [b1, t1, p1] = judgeBrowser(cc, res);
      const m1 = moduleMatches(o.module, mine);
      const be1 = !o.backend || moduleMatches(o.backend, mineBackend);
      if (i === 0) { bText = t1; bProblems = p1; mOk = m1; beOk = be1; }
      if (b1 && m1 && be1) { ok = true; break; }
    }
    if (ok) passed++; else failed++;
    const alts = c.alt || [];
    const expB = [describeExpect(c), ...alts.map((a) => describeExpect({ ...c, expect: a.expect }))].join(' OR ');
    const expM = [describeModule(c.module), ...(c.moduleAlt || []).map(describeModule),
      ...alts.map((a) => describeModule(a.module))].join(' OR ');
    rows.push([ok ? 'PASS' : 'FAIL', c.id, expB, bText, expM, moduleText(mine)]);
    const reasons = [];
    for (const r of mine) {
      for (const id of new Set([r.logid, r.logidFinal])) for (const m of errors.get(id) || []) reasons.push(`${r.method}: ${m}`);
    }
    const pna = mine.filter((r) => r.pna && r.pna !== '-');
    details.push({ c, ok, bProblems, mOk, beOk, reasons, cons, pna, mineBackend });
  }

  log('');
  log(table(rows, ['result', 'case', 'expected (browser)', 'browser', 'expected (module)', 'module (access log)']));
  log('');
  log('legend: +h / -h = response header h readable / hidden from the page; redir = response.redirected;');
  log('        module column = METHOD:verdict/status per request the API logged (%{cors}n), "-" = no verdict note');
  log('');
  for (const d of details) {
    const lines = [];
    if (!d.ok) {
      lines.push(`  why expected: ${d.c.why}`);
      for (const p of d.bProblems) lines.push(`  browser: ${p}`);
      if (!d.mOk) lines.push(`  module: want {${describeModule(d.c.module)}}`);
      for (const a of d.c.alt || []) lines.push(`  or (alternative): browser ${describeExpect({ ...d.c, expect: a.expect })}, module {${describeModule(a.module)}}`);
      if (!d.beOk) lines.push(`  backend: want {${describeModule(d.c.backend)}}, got {${moduleText(d.mineBackend)}}`);
    }
    if (!d.ok || process.env.CORS_BROWSER_VERBOSE === '1') {
      for (const m of d.cons) lines.push(`  console: ${m.slice(0, 400)}`);
      for (const r of d.reasons) lines.push(`  cors:debug ${r.slice(0, 400)}`);
    }
    if (d.pna.length) lines.push(`  note: ${d.pna.length} request(s) with Access-Control-Request-Private-Network`);
    if (lines.length) { log(`${d.ok ? 'PASS' : 'FAIL'} ${d.c.id}`); for (const l of lines) log(l); }
  }
  const pnaTotal = access.filter((r) => r.pna && r.pna !== '-').length;
  log(`browser: Private Network Access preflights seen: ${pnaTotal}`);
  log(`browser: runtime ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (failed && tmp) log(`browser: logs: ${tmp}/logs (kept with CORS_BROWSER_KEEP=1)`);
  await cleanup();
  finish(passed, failed);
}

const watchdog = setTimeout(async () => {
  console.error(`browser: FATAL: suite exceeded ${SUITE_LIMIT_MS / 1000} s`);
  await cleanup();
  finish(0, Math.max(1, CASES.length));
  process.exit(1);
}, SUITE_LIMIT_MS + 5000);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => { await cleanup(); finish(0, 1); process.exit(1); });
}

main().then(() => { clearTimeout(watchdog); }).catch(async (e) => {
  console.error('browser: FATAL: ' + (e && e.stack || e));
  await cleanup();
  clearTimeout(watchdog);
  finish(0, e && e.allFailed ? e.allFailed : 1);
});
