// Shared by the browser end-to-end tests (html_report_browser.mjs, speedscope_browser.mjs):
// their command line, pass/fail counting, Debian's headless chromium through playwright-core,
// speedscope's static build served on 127.0.0.1, and reading speedscope's sandwich view.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const speedscopeRoot = path.join(here, 'node_modules', 'speedscope', 'dist', 'release');

// The arguments CASES.json ARTIFACT_DIR (exit 2 without them): the parsed cases and the
// directory, created.
export function readArgs(script) {
  const [casesPath, artifactDir] = process.argv.slice(2);
  if (!casesPath || !artifactDir) {
    console.error(`usage: node ${script} CASES.json ARTIFACT_DIR`);
    process.exit(2);
  }
  fs.mkdirSync(artifactDir, { recursive: true });
  return { cases: JSON.parse(fs.readFileSync(casesPath, 'utf8')), artifactDir };
}

let passed = 0;
let failed = 0;
export function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL: ${what}`);
  }
}

// A persistent chromium context in a fresh profile directory; close() removes it, prints
// "N passed, M failed" and exits 0 when every check passed.
export async function launchBrowser(viewport) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcspike-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  return {
    context,
    async finish() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed === 0 ? 0 : 1);
    },
  };
}

// Serves speedscope's static build under / and `profiles` (a Map from name to file) under
// /profiles/<name>; resolves to { origin, close }.
export async function serveSpeedscope(profiles) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
    '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file;
    if (url.pathname.startsWith('/profiles/')) {
      file = profiles.get(decodeURIComponent(url.pathname.slice('/profiles/'.length)));
    } else {
      const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
      file = path.join(speedscopeRoot, rel === '/' ? 'index.html' : rel);
      if (!file.startsWith(speedscopeRoot)) file = undefined;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
      res.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

// A fresh page showing the served profile `name` in `view`: speedscope reads #profileURL only
// when the page loads, so changing the hash of an open page would keep showing the previous
// profile. Resolves to { page, logs } (the console's messages; speedscope logs "Importing as
// <format>" when an importer accepted the file).
export async function openSpeedscope(context, origin, name, view, viewport) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  const profileURL = `${origin}/profiles/${encodeURIComponent(name)}`;
  await page.goto(`${origin}/index.html#profileURL=${encodeURIComponent(profileURL)}&view=${view}`);
  // The title becomes "<name> - speedscope" once a profile is shown; if it never does, the
  // caller's checks report what is missing.
  await page
    .waitForFunction(() => document.title.endsWith('- speedscope'), null, { timeout: 30000 })
    .catch(() => {});
  await page.waitForTimeout(300);
  return { page, logs };
}

// The rows on screen of speedscope's sandwich table: [total, self, name] texts.
export function sandwichRows(page) {
  return page.evaluate(() => [...document.querySelectorAll('table tr')]
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
    .filter((cells) => cells.length === 3));
}

// speedscope's display of a total, e.g. "690.00ms (49%)", "1.36s (96%)", "710,000,000 (50%)",
// "1.50 MB": the value in base units (nanoseconds, bytes) and the display's resolution in base
// units; null when it cannot be read.
const scales = { ns: 1, 'µs': 1e3, us: 1e3, ms: 1e6, s: 1e9, min: 60e9, h: 3600e9,
  B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
export function parseDisplayed(text) {
  const m = /^\s*([0-9][0-9,]*(?:\.([0-9]+))?)\s*([a-zA-Zµ]*)\s*(\(|$)/.exec(text);
  if (!m) return null;
  const scale = m[3] === '' ? 1 : scales[m[3]];
  if (scale === undefined) return null;
  const decimals = m[2] ? m[2].length : 0;
  return { value: Number(m[1].replace(/,/g, '')) * scale, resolution: scale * 10 ** -decimals };
}
