// Loads gcspike's outputs into the real speedscope (the static build from the npm package,
// served on 127.0.0.1 by browser_lib.mjs) inside Debian's headless chromium, driven by
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
import path from 'node:path';

import {
  check, launchBrowser, openSpeedscope, parseDisplayed, readArgs, sandwichRows, serveSpeedscope,
} from './browser_lib.mjs';

const { cases: { cases }, artifactDir } = readArgs('speedscope_browser.mjs');
const server = await serveSpeedscope(new Map(cases.map((c) => [c.serve_as, c.file])));
const browser = await launchBrowser({ width: 1280, height: 720 });
const openProfile = (c, view) => openSpeedscope(browser.context, server.origin, c.serve_as, view);

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
    const rows = await sandwichRows(page);
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

server.close();
await browser.finish();
