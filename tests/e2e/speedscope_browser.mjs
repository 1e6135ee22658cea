// Loads gcspike's outputs into the real speedscope (the static build from the npm package,
// served on 127.0.0.1 by a tiny HTTP server here) inside Debian's headless chromium, driven by
// playwright-core, and checks what a person would see: the sandwich view lists the expected
// frames, the [gcspike ...] tag frames among them, with the expected totals.
//
// Usage: node speedscope_browser.mjs CASES.json ARTIFACT_DIR
// CASES.json: {"cases": [{"file": "/abs/out.speedscope.json", "serve_as": "name.speedscope.json",
//   "importer": "speedscope json file", "unit": "nanoseconds",
//   "frames": [{"name": "[gcspike grow-spike]", "total": 690000000}, ...],
//   "screenshots": [{"view": "left-heavy", "path": "x.png"}]}]}
// Expected totals are computed by the calling script with go tool pprof / gocheck, never here.
// Exit status 0 when every case passes; prints "N passed, M failed".
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const speedscopeRoot = path.join(here, 'node_modules', 'speedscope', 'dist', 'release');

const [casesPath, artifactDir] = process.argv.slice(2);
if (!casesPath || !artifactDir) {
  console.error('usage: node speedscope_browser.mjs CASES.json ARTIFACT_DIR');
  process.exit(2);
}
const { cases } = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
fs.mkdirSync(artifactDir, { recursive: true });

// Static files from speedscope's build under /, the profiles under /profiles/<serve_as>.
const served = new Map(cases.map((c) => [c.serve_as, c.file]));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  let file;
  if (url.pathname.startsWith('/profiles/')) {
    file = served.get(decodeURIComponent(url.pathname.slice('/profiles/'.length)));
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
const origin = `http://127.0.0.1:${server.address().port}`;

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcspike-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 720 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync'],
});

// speedscope's display of a total, e.g. "690.00ms (49%)", "1.36s (96%)", "710,000,000 (50%)",
// "1.50 MB": the value in base units and the display's resolution in base units.
const scales = { ns: 1, 'µs': 1e3, us: 1e3, ms: 1e6, s: 1e9, min: 60e9, h: 3600e9,
  B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
function parseDisplayed(text) {
  const m = /^\s*([0-9][0-9,]*(?:\.([0-9]+))?)\s*([a-zA-Zµ]*)\s*(\(|$)/.exec(text);
  if (!m) return null;
  const scale = m[3] === '' ? 1 : scales[m[3]];
  if (scale === undefined) return null;
  const decimals = m[2] ? m[2].length : 0;
  return { value: Number(m[1].replace(/,/g, '')) * scale, resolution: scale * 10 ** -decimals };
}

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL: ${what}`);
  }
}

// A fresh page per load: speedscope reads #profileURL only when the page loads, so changing the
// hash of an open page would keep showing the previous profile.
async function openProfile(c, view) {
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  const profileURL = `${origin}/profiles/${encodeURIComponent(c.serve_as)}`;
  await page.goto(`${origin}/index.html#profileURL=${encodeURIComponent(profileURL)}&view=${view}`);
  // speedscope logs "Importing as <format>" when an importer accepted the file.
  // The title becomes "<name> - speedscope" once a profile is shown; if it never does, the
  // checks below report what is missing.
  await page
    .waitForFunction(() => document.title.endsWith('- speedscope'), null, { timeout: 30000 })
    .catch(() => {});
  await page.waitForTimeout(300);
  return { page, logs };
}

for (const c of cases) {
  const { page, logs } = await openProfile(c, 'sandwich');
  const imported = logs.find((l) => l.startsWith('Importing as'));
  check(imported === `Importing as ${c.importer}`,
    `${c.serve_as}: speedscope says "${imported}", want "Importing as ${c.importer}" ` +
      `(log: ${logs.join(' | ')})`);
  const bodyText = await page.evaluate(() => document.body.innerText);
  check(!/Something went wrong|Failed to load/.test(bodyText),
    `${c.serve_as}: speedscope shows an error`);

  for (const f of c.frames) {
    // The sandwich table is virtualized; speedscope's search (Ctrl+F) narrows it to the rows
    // whose name contains the text, so every expected frame is on screen when it is read.
    await page.keyboard.press('Control+f');
    const input = page.locator('input:not([type=file])').first();
    await input.fill(f.name);
    await page.waitForTimeout(150);
    const rows = await page.evaluate(() => [...document.querySelectorAll('table tr')]
      .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
      .filter((cells) => cells.length === 3));
    const row = rows.find((cells) => cells[2] === f.name);
    check(row !== undefined,
      `${c.serve_as}: no sandwich row named ${f.name} (rows: ${rows.map((r) => r[2]).join(', ')})`);
    if (!row) continue;
    const shown = parseDisplayed(row[0]);
    check(shown !== null, `${c.serve_as}: cannot read total "${row[0]}" of ${f.name}`);
    if (!shown) continue;
    const ok = Math.abs(shown.value - f.total) <= shown.resolution / 2 + 1e-9 * f.total;
    check(ok, `${c.serve_as}: ${f.name} total shown "${row[0]}", want ${f.total} ${c.unit}`);
    if (ok) console.log(`ok ${c.serve_as}: ${f.name} = ${row[0].trim()} (want ${f.total})`);
    await page.keyboard.press('Escape');
  }

  await page.close();

  for (const shot of c.screenshots || []) {
    const { page: shotPage } = await openProfile(c, shot.view);
    if (shot.search) {
      await shotPage.keyboard.press('Control+f');
      await shotPage.locator('input:not([type=file])').first().fill(shot.search);
      await shotPage.waitForTimeout(200);
    }
    if (shot.select) {
      // Selecting a sandwich row draws its callers above and its callees below.
      await shotPage.locator('td', { hasText: shot.select }).first().click();
      await shotPage.waitForTimeout(300);
    }
    const out = path.join(artifactDir, shot.path);
    await shotPage.screenshot({ path: out });
    await shotPage.close();
    check(fs.statSync(out).size > 10000, `${out}: screenshot is empty`);
    console.log(`screenshot ${out}`);
  }
}

await context.close();
server.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
