// gcspike's HTML report and chrome-trace output in Debian's headless chromium (playwright-core).
//
// Usage: node html_report_browser.mjs CASES.json ARTIFACT_DIR
// CASES.json: {"gcspike": "/path/gcspike",
//   "pages": [{"html": "/abs/x.html", "input": "/abs/input", "report": "/abs/report.json",
//              "timeline": true|false, "screenshot": "x.png", "brushed_screenshot": "y.png"?,
//              "search": "mapassign"?}],
//   "chrome": {"file": "/abs/x.trace.json", "gc_cycles": [{"name": S, "total_us": F|null}]}}
// Each page is opened from file:// with every other request aborted (and counted): it must
// load without console errors and without a single request; its verdict table must show the
// numbers of `gcspike report --json`; the flame graph's root and frames must have the sample
// counts of the JSON and widths in proportion; for traces the timeline must draw one band per
// GC cycle and one mark per pause, and a mouse drag across it must leave in the flame graph
// exactly the samples that `gcspike report --json --from F --to T` counts in that range.
// The chrome trace is loaded into speedscope's Trace Event importer (served on 127.0.0.1)
// and must list every GC cycle with its duration.
// Prints "N passed, M failed"; exit status 0 when all pass.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  check, launchBrowser, openSpeedscope, parseDisplayed, readArgs, sandwichRows, serveSpeedscope,
} from './browser_lib.mjs';

const { cases, artifactDir } = readArgs('html_report_browser.mjs');
const pct = (f) => (f * 100).toFixed(1) + '%';
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));

const browser = await launchBrowser({ width: 1400, height: 900 });
const { context } = browser;

for (const c of cases.pages) {
  const name = path.basename(c.html);
  const report = readJson(c.report);
  const started = Date.now();
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  // The network is blocked: anything but the file itself is aborted and counted.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === pathToFileURL(c.html).href) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(c.html).href);
  await page.waitForFunction(() => window.gcspikeReport && window.gcspikeReport.ready, null,
    { timeout: 20000 }).catch(() => {});
  const ready = await page.evaluate(() => !!(window.gcspikeReport && window.gcspikeReport.ready));
  check(ready, `${name}: the page did not render (errors: ${errors.join(' | ')})`);
  if (!ready) { await page.close(); continue; }
  check(requests.length === 0, `${name}: ${requests.length} network requests: ${requests.join(', ')}`);

  // The verdict table: one row per feature with the JSON's numbers and verdict.
  const rows = await page.evaluate(() => [...document.querySelectorAll('#verdicts tbody tr')]
    .map((tr) => ({ feature: tr.dataset.feature,
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })));
  const features = Object.entries(report.features);
  check(rows.length === features.length,
    `${name}: ${rows.length} verdict rows, want ${features.length}`);
  for (const [feature, f] of features) {
    const row = rows.find((r) => r.feature === feature);
    check(row !== undefined, `${name}: no verdict row for ${feature}`);
    if (!row) continue;
    if (f.fraction !== null && f.fraction !== undefined) {
      check(row.cells[1] === pct(f.fraction), `${name}: ${feature} shows ${row.cells[1]}, want ${pct(f.fraction)}`);
      const interval = `[${(f.interval[0] * 100).toFixed(1)}-${(f.interval[1] * 100).toFixed(1)}]`;
      check(row.cells[2] === interval, `${name}: ${feature} interval ${row.cells[2]}, want ${interval}`);
    }
    check(row.cells[5] === f.verdict, `${name}: ${feature} verdict ${row.cells[5]}, want ${f.verdict}`);
  }
  const reasons = await page.locator('#reasons').innerText();
  for (const [feature, f] of features) {
    if (f.verdict === 'inconclusive') {
      check(reasons.includes(f.reason), `${name}: the reason for ${feature} is not shown`);
    }
  }
  const sites = await page.locator('#sites').innerText();
  for (const s of report.sites) {
    check(sites.includes(s.function) && s.via.every((v) => sites.includes(v)),
      `${name}: site ${s.function} (via ${s.via}) not listed`);
  }

  // The flame graph: the root is every sample, the colour counts are the JSON's, and every
  // frame's width is its share of the canvas.
  const flame = await page.evaluate(() => {
    const r = window.gcspikeReport;
    const canvas = document.getElementById('flame');
    return { total: r.total(), width: canvas.clientWidth, rects: r.rects(),
      features: r.data.flame.features.slice(0, 6), info: document.getElementById('flame-info').textContent };
  });
  check(flame.total === report.samples, `${name}: flame root ${flame.total}, want ${report.samples}`);
  check(flame.info.startsWith(`${report.samples} samples`), `${name}: flame info "${flame.info}"`);
  const featureNames = ['grow-spike', 'key-copy', 'malloc-burst', 'assist-coupling', 'scanobject-hotspot'];
  featureNames.forEach((feature, k) => {
    const want = Math.round(report.features[feature].fraction * report.samples);
    check(flame.features[k] === want, `${name}: ${feature} samples in the flame graph ${flame.features[k]}, want ${want}`);
  });
  const root = flame.rects.find((r) => r.node === 0);
  check(root && Math.abs(root.w - flame.width) < 0.5, `${name}: root frame is ${root && root.w}px of ${flame.width}px`);
  const grow = flame.rects.filter((r) => r.cls === 'grow-spike');
  if (report.features['grow-spike'].fraction > 0) {
    check(grow.length > 0, `${name}: no frame coloured grow-spike`);
  }
  let badWidths = 0;
  for (const r of grow) {
    if (Math.abs(r.w - (r.samples / flame.total) * flame.width) > 0.01) badWidths++;
  }
  check(badWidths === 0, `${name}: ${badWidths} grow-spike frames whose width is not their share`);
  if (grow.length) {
    const widest = grow.reduce((a, b) => (b.samples > a.samples ? b : a));
    console.log(`ok ${name}: root ${flame.total} samples; ${grow.length} grow-spike frames, ` +
      `widest ${widest.name} ${widest.samples} samples = ${widest.w.toFixed(1)}px`);
  }
  // The canvas has the colours of its frames: the pixel in the middle of the widest grow frame.
  if (grow.length) {
    const widest = grow.reduce((a, b) => (b.samples > a.samples ? b : a));
    const rgb = await page.evaluate((r) => {
      const canvas = document.getElementById('flame');
      const dpr = window.devicePixelRatio || 1;
      const d = canvas.getContext('2d').getImageData(Math.floor((r.x + 2) * dpr), Math.floor((r.y + 3) * dpr), 1, 1).data;
      return [d[0], d[1], d[2]];
    }, widest);
    check(rgb[0] > rgb[1] + 40 && rgb[0] > rgb[2] + 40, `${name}: the grow-spike frame is not red on the canvas (${rgb})`);
  }

  // Hover and zoom, on the deepest wide frame that is on screen.
  await page.locator('#flame').scrollIntoViewIfNeeded();
  const box = await page.locator('#flame').boundingBox();
  const viewport = page.viewportSize();
  const target = flame.rects.filter((r) => r.node !== 0 && r.w > 40 && box.y + r.y + 16 < viewport.height)
    .sort((a, b) => b.y - a.y)[0];
  if (target) {
    await page.mouse.move(box.x + target.x + target.w / 2, box.y + target.y + 8);
    const tip = await page.locator('#tooltip').innerText();
    check(tip.includes(target.name) && tip.includes(`${target.samples} samples`),
      `${name}: tooltip "${tip}" does not name ${target.name} with ${target.samples} samples`);
    await page.mouse.click(box.x + target.x + target.w / 2, box.y + target.y + 8);
    const zoomed = await page.evaluate((n) => window.gcspikeReport.rects().find((r) => r.node === n), target.node);
    check(zoomed && Math.abs(zoomed.w - flame.width) < 0.5, `${name}: click did not zoom to ${target.name}`);
    await page.click('#zoom-reset');
  }

  // Search: the samples under matching frames are those `--focus` keeps.
  if (c.search) {
    await page.fill('#search', c.search);
    const info = await page.locator('#search-info').innerText();
    const focused = JSON.parse(execFileSync(cases.gcspike, ['report', '--json', `--focus=${c.search}`, c.input]));
    check(info.startsWith(`${focused.samples} samples`),
      `${name}: search "${c.search}" says "${info}", --focus keeps ${focused.samples}`);
    await page.fill('#search', '');
  }

  if (c.timeline) {
    const tl = report.timeline;
    const drawn = await page.evaluate(() => window.gcspikeReport.rendered);
    // Every pause is drawn: the cycles' own and those that end no cycle (ReadMemStats...).
    const pauses = tl.gc_cycles.reduce((a, g) => a + g.pauses.length, tl.other_pauses.length);
    check(drawn.gcBands === tl.gc_cycles.length, `${name}: ${drawn.gcBands} GC bands, want ${tl.gc_cycles.length}`);
    check(drawn.stwMarks === pauses, `${name}: ${drawn.stwMarks} STW marks, want ${pauses}`);
    await page.screenshot({ path: path.join(artifactDir, c.screenshot), fullPage: true });

    // Brush: a drag from 20 % to 55 % of the timeline.
    const tbox = await page.locator('#timeline').boundingBox();
    const end = await page.evaluate(() => window.gcspikeReport.data.timeline.end);
    const xAt = async (f) => page.evaluate((t) => window.gcspikeReport.timelineX(t), Math.round(end * f));
    const y = tbox.y + 100;
    await page.mouse.move(tbox.x + await xAt(0.2), y);
    await page.mouse.down();
    await page.mouse.move(tbox.x + await xAt(0.4), y, { steps: 4 });
    await page.mouse.move(tbox.x + await xAt(0.55), y, { steps: 4 });
    await page.mouse.up();
    const after = await page.evaluate(() => ({ brush: window.gcspikeReport.brush, total: window.gcspikeReport.total(),
      info: document.getElementById('flame-info').textContent }));
    check(after.brush !== null, `${name}: the drag selected no range`);
    if (after.brush) {
      const ranged = JSON.parse(execFileSync(cases.gcspike,
        ['report', '--json', `--from=${after.brush.from_ns}`, `--to=${after.brush.to_ns}`, c.input]));
      check(after.total === ranged.samples,
        `${name}: brushed flame total ${after.total}, want ${ranged.samples} (--from ${after.brush.from_ns} --to ${after.brush.to_ns})`);
      check(after.total < report.samples, `${name}: the brush did not narrow the flame graph`);
      check(after.info.startsWith(`${after.total} samples in the selected time range`), `${name}: flame info "${after.info}"`);
      console.log(`ok ${name}: brushed ${after.brush.from_ns}..${after.brush.to_ns}: ${after.total} samples ` +
        `(report --from/--to: ${ranged.samples})`);
    }
    if (c.brushed_screenshot) {
      await page.screenshot({ path: path.join(artifactDir, c.brushed_screenshot), fullPage: true });
    }
  } else {
    const note = await page.locator('#timeline-note').innerText();
    check(note.includes('go test -trace trace.out -cpuprofile cpu.out') && note.includes('/debug/pprof/trace?seconds=5'),
      `${name}: no note on how to take a trace ("${note}")`);
    await page.screenshot({ path: path.join(artifactDir, c.screenshot), fullPage: true });
  }
  check(errors.length === 0, `${name}: console errors: ${errors.join(' | ')}`);
  check(requests.length === 0, `${name}: network requests after interaction: ${requests.join(', ')}`);
  console.log(`ok ${name}: checked in ${Date.now() - started} ms; screenshot ${c.screenshot}`);
  await page.close();
}

// The chrome trace in speedscope's Trace Event importer.
if (cases.chrome) {
  const server = await serveSpeedscope(new Map([['trace.json', cases.chrome.file]]));
  const { page, logs } = await openSpeedscope(context, server.origin, 'trace.json', 'sandwich',
    { width: 1400, height: 3000 });
  const imported = logs.find((l) => l.startsWith('Importing as'));
  check(imported === 'Importing as Trace Event Format profile',
    `chrome trace: speedscope says "${imported}" (log: ${logs.join(' | ')})`);
  // The first profile is the "GC cycles" track; the viewport is tall enough that the sandwich
  // table shows every row.
  const title = await page.evaluate(() => document.body.innerText);
  check(title.includes('GC cycles'), 'chrome trace: speedscope does not show the GC cycles track');
  const rows = await sandwichRows(page);
  const want = cases.chrome.gc_cycles;
  const shown = rows.filter((r) => r[2].startsWith('GC cycle'));
  check(shown.length === want.length, `chrome trace: speedscope lists ${shown.length} GC cycles, want ${want.length}`);
  let badTotals = 0;
  for (const w of want) {
    const row = shown.find((r) => r[2] === w.name);
    if (!row) { badTotals++; continue; }
    if (w.total_us === null) continue;
    const d = parseDisplayed(row[0]);  // nanoseconds
    if (!d) { badTotals++; continue; }
    if (Math.abs(d.value / 1e3 - w.total_us) > d.resolution / 1e3 / 2 + 1e-6) badTotals++;
  }
  check(badTotals === 0, `chrome trace: ${badTotals} GC cycles whose duration speedscope shows differently`);
  console.log(`ok chrome trace: speedscope imported ${shown.length} GC cycles with their durations`);
  await page.screenshot({ path: path.join(artifactDir, 'chrome-trace-speedscope.png') });
  await page.close();
  server.close();
}

await browser.finish();
