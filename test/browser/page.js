/* SPDX-License-Identifier: Apache-2.0 */
// Served to the test pages as /cors-page.js: what every engine's driver
// calls, corsRun(spec), resolves to what the page's script could read of
// each response (or that it was blocked).  Plain browser JS, no driver API,
// so that Chromium, Firefox and WebKit run the very same code.
'use strict';

async function corsOne(spec) {
  if (spec.api === 'xhr') {
    return new Promise((resolve) => {
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
      x.send(spec.body === undefined || spec.body === null ? null : spec.body);
    });
  }
  try {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), spec.timeout);
    const init = { method: spec.method || 'GET', headers: spec.headers || {}, signal: ctl.signal };
    if (spec.body !== undefined && spec.body !== null) init.body = spec.body;
    if (spec.credentials) init.credentials = spec.credentials;
    if (spec.redirect) init.redirect = spec.redirect;
    const r = await fetch(spec.url, init);
    const body = await r.text();
    clearTimeout(timer);
    const headers = {};
    for (const h of spec.read) headers[h] = r.headers.get(h);
    return { ok: true, status: r.status, type: r.type, body, headers, redirected: r.redirected, url: r.url };
  } catch (e) {
    return { ok: false, error: e.name + ': ' + e.message };
  }
}

async function corsRunHere(spec) {
  const out = [];
  for (let i = 0; i < (spec.repeat || 1); i++) {
    if (i && spec.gap) await new Promise((r) => setTimeout(r, spec.gap));
    out.push(await corsOne(spec));
  }
  return out;
}

// The sandboxed iframe (opaque origin: its requests carry "Origin: null")
// runs a spec sent by postMessage and answers the same way.
let corsSeq = 0;
function corsRunSandboxed(spec) {
  const f = document.getElementById('sandboxed');
  const id = ++corsSeq;
  return new Promise((resolve) => {
    const on = (e) => {
      if (!e.data || e.data.id !== id) return;
      window.removeEventListener('message', on);
      resolve(e.data.res);
    };
    window.addEventListener('message', on);
    f.contentWindow.postMessage({ id, spec }, '*');
  });
}

// spec.frame === 'sandboxed': run in the sandboxed iframe of this page.
window.corsRun = function (spec) {
  return spec.frame === 'sandboxed' ? corsRunSandboxed(spec) : corsRunHere(spec);
};

if (window.parent !== window) {
  window.addEventListener('message', async (e) => {
    if (!e.data || !e.data.spec) return;
    e.source.postMessage({ id: e.data.id, res: await corsRunHere(e.data.spec) }, '*');
  });
} else {
  // The page is ready once its sandboxed iframe has loaded this script too.
  window.corsReady = new Promise((resolve) => {
    const f = document.createElement('iframe');
    f.id = 'sandboxed';
    f.setAttribute('sandbox', 'allow-scripts');
    f.srcdoc = '<!doctype html><p>sandboxed</p><script src="' + location.origin + '/cors-page.js"></scr' + 'ipt>';
    f.onload = () => resolve(true);
    document.addEventListener('DOMContentLoaded', () => document.body.appendChild(f));
  });
}
