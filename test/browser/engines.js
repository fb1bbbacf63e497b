/* SPDX-License-Identifier: Apache-2.0 */
// The three engines' drivers, each as thin as it can be: start the browser,
// open one page per origin (each loads /cors-page.js), and run a request
// spec in a page through window.corsRun (page.js).  Every driver returns
// { version, run(pageName, spec) -> [result...], console: [...], close() }.
//   chromium: Debian's chromium, playwright-core (CDP)
//   firefox:  Debian's firefox-esr, puppeteer-core (WebDriver BiDi)
//   webkit:   Debian's webkit2gtk-driver (WebKitWebDriver) driving
//             WebKitGTK's MiniBrowser under xvfb-run, W3C WebDriver over
//             plain HTTP (no client library)
'use strict';

const path = require('path');
const cp = require('child_process');
const http = require('http');
const net = require('net');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const PAGE_NAMES = ['allowed', 'foreign', 'localhost', 'public'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const deadline = (ms, what) => new Promise((_, rej) => setTimeout(() => rej(new Error(what + ' timed out')), ms).unref());

// 'sandboxed' runs in the allowed page's sandboxed iframe (page.js).
function target(pageName, spec) {
  return pageName === 'sandboxed' ? ['allowed', { ...spec, frame: 'sandboxed' }] : [pageName, spec];
}

const COOKIE = 'sid=page-cookie; path=/';

// ---------------------------------------------------------------- Chromium
async function chromium(ctx) {
  const { chromium: pw } = require(path.join(__dirname, 'node_modules', 'playwright-core'));
  const browser = await pw.launch({
    executablePath: CHROMIUM, headless: true, timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      // The "public" page is a public-internet page to Chromium, so that
      // its requests to 127.0.0.1 cross into the loopback address space.
      `--ip-address-space-overrides=127.0.0.1:${ctx.ports.public}=public`],
  });
  const consoleLines = [];
  try {
    const context = await browser.newContext();
    // Chromium >= 141 asks the user before a public page may reach a local
    // address (Local Network Access); grant it as a user would.
    await context.grantPermissions(['local-network-access'], { origin: ctx.origins.public });
    const pages = await openPages(() => context.newPage(), ctx, consoleLines);
    return {
      version: `Chromium ${browser.version()}`,
      console: consoleLines,
      run: (pageName, spec) => { const [n, s] = target(pageName, spec); return pages[n].evaluate((x) => window.corsRun(x), s); },
      close: () => browser.close(),
    };
  } catch (e) { await browser.close().catch(() => {}); throw e; }
}

// Opens every test page with newPage() (Playwright's and Puppeteer's pages
// speak the same calls here), collecting the console's errors, and sets the
// allowed page's cookie.
async function openPages(newPage, ctx, consoleLines) {
  const pages = {};
  for (const n of PAGE_NAMES) {
    const page = await newPage();
    page.setDefaultTimeout(ctx.caseTimeout * 3);
    page.on('console', (m) => { if (m.type() === 'error') consoleLines.push(m.text()); });
    const resp = await page.goto(ctx.origins[n] + '/index.html', { timeout: 15000 });
    if (!resp || resp.status() !== 200) throw new Error(`page ${ctx.origins[n]} did not load`);
    await page.evaluate(() => window.corsReady);
    pages[n] = page;
  }
  await pages.allowed.evaluate((c) => { document.cookie = c; }, COOKIE);
  return pages;
}

// ----------------------------------------------------------------- Firefox
async function firefox(ctx) {
  const puppeteer = require(path.join(__dirname, 'node_modules', 'puppeteer-core'));
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, timeout: 60000,
    extraPrefsFirefox: {
      'network.http.http3.enable': false,
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
    },
  });
  const consoleLines = [];
  try {
    const pages = await openPages(() => browser.newPage(), ctx, consoleLines);
    const v = await browser.version();
    return {
      version: `Firefox ESR ${v.replace(/^firefox\//, '')}`,
      console: consoleLines,
      run: (pageName, spec) => { const [n, s] = target(pageName, spec); return pages[n].evaluate((x) => window.corsRun(x), s); },
      close: () => browser.close(),
    };
  } catch (e) { await browser.close().catch(() => {}); throw e; }
}

// ------------------------------------------------------------------ WebKit
function wd(port, method, p, body, timeout) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : JSON.stringify(body);
    const r = http.request({
      host: '127.0.0.1', port, method, path: p, timeout: timeout || 30000,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {},
    }, (resp) => {
      let s = '';
      resp.setEncoding('utf8');
      resp.on('data', (c) => { s += c; });
      resp.on('end', () => {
        let j;
        try { j = JSON.parse(s); } catch (e) { return reject(new Error(`WebDriver ${method} ${p}: ${resp.statusCode} ${s.slice(0, 300)}`)); }
        if (resp.statusCode !== 200) return reject(new Error(`WebDriver ${method} ${p}: ${resp.statusCode} ${JSON.stringify(j.value).slice(0, 300)}`));
        resolve(j.value);
      });
    });
    r.on('timeout', () => r.destroy(new Error(`WebDriver ${method} ${p}: timeout`)));
    r.on('error', reject);
    if (data) r.write(data);
    r.end();
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function webkit(ctx) {
  const port = await freePort();
  // xvfb-run gives MiniBrowser (started by WebKitWebDriver) its X display.
  const driver = cp.spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x1024x24 -nolisten tcp',
    WEBKIT_DRIVER, `--port=${port}`, '--host=127.0.0.1'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  driver.stderr.on('data', (d) => { if (stderr.length < 4000) stderr += d; });
  let exited = false;
  driver.on('exit', () => { exited = true; });
  const kill = async () => {
    if (exited) return;
    try { process.kill(-driver.pid, 'SIGTERM'); } catch (e) { return; }
    for (let i = 0; i < 30 && !exited; i++) await sleep(100);
    if (!exited) { try { process.kill(-driver.pid, 'SIGKILL'); } catch (e) { /* gone */ } }
  };
  let sid = null;
  try {
    for (let i = 0; ; i++) {
      if (exited) throw new Error('WebKitWebDriver exited: ' + stderr.slice(-1000));
      try { await wd(port, 'GET', '/status', undefined, 2000); break; } catch (e) {
        if (i > 150) throw new Error('WebKitWebDriver not answering: ' + e.message + ' ' + stderr.slice(-500));
        await sleep(100);
      }
    }
    const s = await wd(port, 'POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
    }, 60000);
    sid = s.sessionId;
    await wd(port, 'POST', `/session/${sid}/timeouts`, { script: ctx.caseTimeout * 3, pageLoad: 30000 });
    const handles = {};
    for (const [i, n] of PAGE_NAMES.entries()) {
      if (i > 0) {
        const w = await wd(port, 'POST', `/session/${sid}/window/new`, { type: 'tab' });
        await wd(port, 'POST', `/session/${sid}/window`, { handle: w.handle });
      }
      handles[n] = await wd(port, 'GET', `/session/${sid}/window`);
      await wd(port, 'POST', `/session/${sid}/url`, { url: ctx.origins[n] + '/index.html' });
      await wd(port, 'POST', `/session/${sid}/execute/async`,
        { script: 'const done = arguments[arguments.length - 1]; window.corsReady.then(() => done(true));', args: [] });
    }
    let current = PAGE_NAMES[PAGE_NAMES.length - 1];
    const use = async (n) => {
      if (n !== current) { await wd(port, 'POST', `/session/${sid}/window`, { handle: handles[n] }); current = n; }
    };
    await use('allowed');
    await wd(port, 'POST', `/session/${sid}/execute/sync`, { script: 'document.cookie = arguments[0]; return true;', args: [COOKIE] });
    return {
      version: `WebKitGTK ${s.capabilities.browserVersion} (MiniBrowser)`,
      console: [],
      run: async (pageName, spec) => {
        const [n, sp] = target(pageName, spec);
        await use(n);
        return wd(port, 'POST', `/session/${sid}/execute/async`, {
          script: 'const done = arguments[arguments.length - 1];' +
            'window.corsRun(arguments[0]).then(done, (e) => done([{ ok: false, error: "corsRun: " + e }]));',
          args: [sp],
        }, ctx.caseTimeout * 4);
      },
      close: async () => {
        await Promise.race([wd(port, 'DELETE', `/session/${sid}`, undefined, 10000).catch(() => {}), sleep(10000)]);
        await kill();
      },
    };
  } catch (e) {
    if (sid) await wd(port, 'DELETE', `/session/${sid}`, undefined, 5000).catch(() => {});
    await kill();
    throw e;
  }
}

module.exports = { chromium, firefox, webkit, ENGINES: ['chromium', 'firefox', 'webkit'] };
