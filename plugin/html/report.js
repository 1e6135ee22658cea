// gcspike HTML report: renders the JSON in #gcspike-data (plugin/html_report.h describes it)
// into the verdict table, the GC timeline and the flame graph. Plain JS on canvas, no
// libraries, no network. window.gcspikeReport exposes the model for tests and the console.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('gcspike-data').textContent);
  const report = data.report;
  const flame = data.flame;
  const timeline = data.timeline;
  const samples = data.samples && data.samples.t ? data.samples : null;

  const CLASSES = ['grow-spike', 'key-copy', 'malloc-burst', 'assist-coupling',
    'scanobject-hotspot', 'other'];
  const HUES = ['#d7263d', '#f28c28', '#c9a227', '#7b4fc9', '#1b998b', '#a9b4bf'];
  const ROW = 18;
  const $ = (id) => document.getElementById(id);

  // ---- formatting ----
  const pct = (f) => (f === null || f === undefined || !isFinite(f) ? '-' : (f * 100).toFixed(1) + '%');
  const pctInterval = (i) => (i ? '[' + (i[0] * 100).toFixed(1) + '-' + (i[1] * 100).toFixed(1) + ']' : '-');
  function dur(ns) {
    if (ns >= 1e9) return (ns / 1e9).toFixed(2) + ' s';
    if (ns >= 1e6) return (ns / 1e6).toFixed(2) + ' ms';
    if (ns >= 1e3) return (ns / 1e3).toFixed(1) + ' µs';
    return Math.round(ns) + ' ns';
  }
  function bytes(b) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let u = 0;
    while (b >= 1024 && u < units.length - 1) { b /= 1024; u++; }
    return b.toFixed(u ? 1 : 0) + ' ' + units[u];
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  // ---- header, verdict table, sites ----
  $('overall').textContent = report.overall;
  $('overall').classList.add(report.overall);
  $('input').textContent = report.input + ' · ' + report.samples + ' samples (' +
    report.sample_records + ' records) · ' + (report.value_type || '-') + ' · profile ' +
    report.profile_kind + ' · Go maps: ' + report.go_runtime;
  $('verdict').textContent = report.verdict;

  function thresholdText(name, f) {
    switch (name) {
      case 'malloc-burst': return '>= ' + pct(f.threshold) + ', depth >= ' + f.depth_threshold;
      case 'assist-coupling': return 'assist > ' + pct(f.threshold) + ', >= ' + pct(f.from_map_threshold) + ' from maps';
      case 'scanobject-hotspot': return '> ' + pct(f.threshold);
      case 'pre-pause': return 'ratio >= ' + f.ratio_threshold + ', p < ' + f.p_threshold;
      default:
        // The time features (mark-overlap, heap-step, mark-termination) are enrichment tests.
        if (f.ratio_threshold !== undefined) return 'ratio >= ' + f.ratio_threshold + ', p < ' + f.p_threshold;
        return '>= ' + pct(f.threshold);
    }
  }
  const tbody = document.querySelector('#verdicts tbody');
  for (const [name, f] of Object.entries(report.features)) {
    const cls = CLASSES.indexOf(name);
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = cls >= 0 ? HUES[cls] : '#ffd166';
    const tr = el('tr', { 'data-feature': name, 'data-fraction': f.fraction === null ? '' : f.fraction,
      'data-verdict': f.verdict },
    el('td', {}, swatch, name),
    el('td', { class: 'fraction' }, f.rho !== undefined ? 'rho ' + f.rho.toFixed(2) : pct(f.fraction)),
    el('td', { class: 'interval' }, pctInterval(f.interval)),
    el('td', { class: 'value' }, f.expected !== undefined ? 'expected ' + pct(f.expected)
      : f.rho !== undefined ? 'ratio ' + (f.ratio === null ? '-' : f.ratio.toFixed(2))
        : pct(f.value_fraction)),
    el('td', { class: 'threshold' }, thresholdText(name, f)),
    el('td', { class: 'verdict ' + f.verdict }, f.verdict));
    tr.title = f.p_value !== undefined ? 'p = ' + f.p_value + (f.samples !== undefined ? ', n = ' + f.samples : '')
      : 'n = ' + f.samples + ' samples';
    tbody.append(tr);
  }
  const told = new Map();
  for (const [name, f] of Object.entries(report.features)) {
    if (f.verdict !== 'inconclusive' || !f.reason) continue;
    if (!told.has(f.reason)) told.set(f.reason, []);
    told.get(f.reason).push(name);
  }
  for (const [reason, names] of told) {
    $('reasons').append(el('li', {}, el('b', {}, 'inconclusive (' + names.join(', ') + '): '), reason));
  }
  if (report.sites.length === 0) $('sites').append(el('li', { class: 'muted' }, '(none)'));
  for (const s of report.sites) {
    $('sites').append(el('li', {}, el('b', {}, s.function),
      s.via.length ? el('span', { class: 'via' }, ' via ' + s.via.join(', ')) : '',
      ' — ' + pct(s.fraction) + ' ' + pctInterval(s.interval)));
  }

  // ---- flame graph model ----
  const n = flame.parent.length;
  const children = Array.from({ length: n }, () => []);
  for (let i = 1; i < n; i++) children[flame.parent[i]].push(i);
  const nameOf = (i) => flame.names[flame.name[i]];
  for (const c of children) c.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  const depth = new Int32Array(n);
  let maxDepth = 0;
  for (let i = 1; i < n; i++) {
    depth[i] = depth[flame.parent[i]] + 1;
    if (depth[i] > maxDepth) maxDepth = depth[i];
  }
  // The colour class of a frame: a feature that at least half of its samples have; when several
  // do, the one that says most about the frame (PRECEDENCE, first wins): the refinements of map
  // growth before GC scanning before growth itself. "other" when no feature reaches half.
  const PRECEDENCE = [1, 2, 3, 4, 0]; // key-copy, malloc-burst, assist-coupling, scanobject-hotspot, grow-spike
  const klass = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    klass[i] = 5;
    for (const c of PRECEDENCE) {
      const v = flame.features[i * 6 + c];
      if (v > 0 && 2 * v >= flame.total[i]) { klass[i] = c; break; }
    }
  }
  let totals = Float64Array.from(flame.total);
  let zoom = 0;
  let searchRe = null;
  let brush = null; // {from, to}: relative ns, [from, to)

  function totalsInRange(from, to) {
    const t = new Float64Array(n);
    for (let k = 0; k < samples.t.length; k++) {
      const ts = samples.t[k];
      if (ts >= from && ts < to) t[samples.node[k]] += samples.w ? samples.w[k] : 1;
    }
    for (let i = n - 1; i > 0; i--) t[flame.parent[i]] += t[i];
    return t;
  }

  // Hash of a name to vary the lightness a little, so neighbours of one class stay apart.
  function shade(i) {
    const s = nameOf(i);
    let h = 0;
    for (let k = 0; k < s.length; k++) h = (h * 31 + s.charCodeAt(k)) | 0;
    return ((h >>> 0) % 1000) / 1000;
  }
  function mix(hex, amount) {
    const v = parseInt(hex.slice(1), 16);
    const ch = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((x) => Math.round(x + (255 - x) * amount));
    return 'rgb(' + ch.join(',') + ')';
  }

  const flameCanvas = $('flame');
  const fctx = flameCanvas.getContext('2d');
  let rects = [];

  function ancestors(i) {
    const out = [];
    for (let p = flame.parent[i]; p >= 0 && i !== 0; p = flame.parent[p]) { out.push(p); if (p === 0) break; }
    return out.reverse();
  }

  function drawFlame() {
    const dpr = window.devicePixelRatio || 1;
    const width = flameCanvas.parentElement.clientWidth;
    const height = (maxDepth + 1) * ROW + 2;
    flameCanvas.style.height = height + 'px';
    flameCanvas.width = Math.round(width * dpr);
    flameCanvas.height = Math.round(height * dpr);
    fctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    fctx.clearRect(0, 0, width, height);
    fctx.font = '12px system-ui, sans-serif';
    fctx.textBaseline = 'middle';
    rects = [];
    const matched = new Uint8Array(n);
    if (searchRe) for (let i = 0; i < n; i++) if (searchRe.test(nameOf(i))) matched[i] = 1;
    const put = (i, x, w, d) => {
      const y = d * ROW;
      rects.push({ node: i, x, y, w, depth: d, samples: totals[i] });
      const dim = searchRe && !matched[i];
      fctx.fillStyle = mix(HUES[klass[i]], (dim ? 0.7 : 0) + 0.25 * shade(i) * (dim ? 0.3 : 1));
      fctx.fillRect(x, y, Math.max(w - 0.5, 0.5), ROW - 1);
      if (matched[i] && searchRe) {
        fctx.strokeStyle = '#111';
        fctx.lineWidth = 1.5;
        fctx.strokeRect(x + 0.75, y + 0.75, Math.max(w - 2, 0.5), ROW - 2.5);
      }
      if (w > 30) {
        fctx.fillStyle = dim ? '#777' : '#111';
        const label = nameOf(i);
        const maxChars = Math.floor((w - 6) / 6.5);
        fctx.fillText(label.length > maxChars ? label.slice(0, Math.max(maxChars - 1, 1)) + '…' : label, x + 3, y + ROW / 2);
      }
    };
    // The zoomed frame's ancestors span the width above it.
    const above = ancestors(zoom);
    above.forEach((a, d) => put(a, 0, width, d));
    const base = above.length;
    const layout = (i, x, w, d) => {
      if (totals[i] <= 0 && i !== zoom) return;
      put(i, x, w, d);
      let cx = x;
      const scale = totals[i] > 0 ? w / totals[i] : 0;
      for (const c of children[i]) {
        const cw = totals[c] * scale;
        if (cw >= 0.3) layout(c, cx, cw, d + 1);
        cx += cw;
      }
    };
    layout(zoom, 0, width, base);
    // Search: the samples under matching frames, each counted once.
    if (searchRe) {
      let hit = 0;
      const stack = [0];
      while (stack.length) {
        const i = stack.pop();
        if (matched[i]) { hit += totals[i]; continue; }
        for (const c of children[i]) stack.push(c);
      }
      $('search-info').textContent = hit + ' samples (' + pct(totals[0] ? hit / totals[0] : 0) + ') match';
    } else {
      $('search-info').textContent = '';
    }
    $('flame-info').textContent = totals[0] + ' samples' +
      (brush ? ' in the selected time range' : '') +
      (flame.merged_frames ? ' · frames below ' + flame.min_share * 100 + '% folded into (other)' : '');
    api.rendered.flame = rects.length;
  }

  const legend = $('legend');
  legend.title = 'A frame takes the colour of a feature that at least half of its samples have; when ' +
    'several do: key-copy, malloc-burst, assist-coupling, scanobject-hotspot, grow-spike, in that order.';
  CLASSES.forEach((c, k) => {
    const s = el('span', { 'data-class': c }, el('span', { class: 'swatch' }), c);
    s.firstChild.style.background = HUES[k];
    legend.append(s);
  });

  function rectAt(ev) {
    const box = flameCanvas.getBoundingClientRect();
    const x = ev.clientX - box.left;
    const y = ev.clientY - box.top;
    for (let k = rects.length - 1; k >= 0; k--) {
      const r = rects[k];
      if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + ROW) return r;
    }
    return null;
  }
  const tooltip = $('tooltip');
  function showTip(ev, lines) {
    tooltip.replaceChildren(...lines.map((l, k) => (k === 0 ? el('b', {}, l) : el('div', {}, l))));
    tooltip.hidden = false;
    const tx = Math.min(ev.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    const ty = ev.clientY + 16 + tooltip.offsetHeight > window.innerHeight ? ev.clientY - tooltip.offsetHeight - 8 : ev.clientY + 16;
    tooltip.style.left = tx + 'px';
    tooltip.style.top = ty + 'px';
  }
  flameCanvas.addEventListener('mousemove', (ev) => {
    const r = rectAt(ev);
    if (!r) { tooltip.hidden = true; return; }
    const i = r.node;
    const file = flame.files[flame.file[i]];
    const lines = [nameOf(i)];
    if (file) lines.push(file + (flame.line[i] ? ':' + flame.line[i] : ''));
    lines.push(totals[i] + ' samples, ' + pct(totals[0] ? totals[i] / totals[0] : 0) + ' of ' +
      (brush ? 'the selection' : 'all') + (zoom ? ', ' + pct(totals[i] / totals[zoom]) + ' of the zoomed frame' : ''));
    const parts = [];
    for (let c = 0; c < 6; c++) {
      const v = flame.features[i * 6 + c];
      if (v > 0 && flame.total[i] > 0) parts.push(CLASSES[c] + ' ' + pct(v / flame.total[i]));
    }
    lines.push('colour: ' + CLASSES[klass[i]] +
      (parts.length ? ' (' + parts.join(', ') + ' of its samples' + (brush ? ' in the whole profile' : '') + ')' : ''));
    showTip(ev, lines);
  });
  flameCanvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
  flameCanvas.addEventListener('click', (ev) => {
    const r = rectAt(ev);
    if (!r) return;
    zoom = r.node === zoom ? Math.max(flame.parent[zoom], 0) : r.node;
    drawFlame();
  });
  $('zoom-reset').addEventListener('click', () => { zoom = 0; drawFlame(); });
  $('search').addEventListener('input', (ev) => {
    const text = ev.target.value;
    try {
      searchRe = text ? new RegExp(text, 'i') : null;
      ev.target.style.outline = '';
    } catch (e) {
      searchRe = null;
      ev.target.style.outline = '2px solid #c62828';
    }
    drawFlame();
  });

  // ---- timeline ----
  const tlCanvas = $('timeline');
  const tctx = tlCanvas.getContext('2d');
  const LEFT = 130;
  let tlLayout = null;

  function setupTimeline() {
    if (!timeline) {
      $('timeline-wrap').hidden = true;
      const note = $('timeline-note');
      note.hidden = false;
      note.append('This input has no runtime timeline (only an execution trace has one). For the GC ' +
        'timeline, take a trace while a CPU profile runs — ',
      el('code', {}, "curl -o trace.out 'http://HOST:6060/debug/pprof/trace?seconds=5'"),
      ' during ', el('code', {}, "curl -o cpu.pprof 'http://HOST:6060/debug/pprof/profile?seconds=10'"),
      ', or in a test: ', el('code', {}, 'go test -trace trace.out -cpuprofile cpu.out'),
      ' — then ', el('code', {}, 'gcspike report --html trace.out -o report.html'), '.');
      return;
    }
    if (!samples) {
      const note = $('timeline-note');
      note.hidden = false;
      note.textContent = data.samples && data.samples.omitted
        ? 'This trace has too many CPU samples (' + data.samples.omitted + ') to carry each one in the page: selecting a time range does not filter the flame graph.'
        : 'This trace has no timed CPU samples: selecting a time range does not filter the flame graph.';
    }
  }

  function drawTimeline() {
    if (!timeline) return;
    const dpr = window.devicePixelRatio || 1;
    const width = tlCanvas.parentElement.clientWidth;
    const rows = timeline.assist_rows.length;
    const L = { axis: 0, gc: 20, stw: 40, heap: 62, heapH: 90, grow: 160, growH: 44, assist: 214, row: 14 };
    const height = L.assist + Math.max(rows, 1) * L.row + 8;
    tlCanvas.style.height = height + 'px';
    tlCanvas.width = Math.round(width * dpr);
    tlCanvas.height = Math.round(height * dpr);
    tctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    tctx.clearRect(0, 0, width, height);
    const plotW = width - LEFT - 10;
    const end = timeline.end;
    const X = (t) => LEFT + (t / end) * plotW;
    tlLayout = { width, height, plotW, X, L };
    tctx.font = '11px system-ui, sans-serif';
    tctx.textBaseline = 'middle';
    const label = (text, y) => { tctx.fillStyle = '#444'; tctx.fillText(text, 6, y); };

    // Axis.
    tctx.strokeStyle = '#ccc';
    tctx.fillStyle = '#666';
    const step = niceStep(end / 8);
    for (let t = 0; t <= end; t += step) {
      const x = X(t);
      tctx.beginPath(); tctx.moveTo(x, 12); tctx.lineTo(x, height); tctx.globalAlpha = 0.35; tctx.stroke(); tctx.globalAlpha = 1;
      tctx.fillText(dur(t).replace(' ', ''), x + 2, 7);
    }
    label('time from start', 7);

    // GC cycles: bands through every row.
    let bands = 0;
    for (const [s, e] of timeline.gc) {
      tctx.fillStyle = 'rgba(66, 133, 244, 0.10)';
      tctx.fillRect(X(s), L.gc, Math.max(X(e) - X(s), 1), height - L.gc);
      tctx.fillStyle = 'rgba(66, 133, 244, 0.75)';
      tctx.fillRect(X(s), L.gc + 2, Math.max(X(e) - X(s), 1), 14);
      bands++;
    }
    label('GC cycles (' + timeline.gc.length + ')', L.gc + 9);

    // Stop-the-world pauses: marks, with their duration where there is room.
    let marks = 0;
    let lastText = -Infinity;
    for (const [s, d, kind] of timeline.stw) {
      const x = X(s);
      tctx.fillStyle = '#c62828';
      tctx.fillRect(x, L.stw + 2, Math.max(X(s + d) - x, 1.5), 16);
      marks++;
      if (x - lastText > 48) {
        tctx.fillStyle = '#8e0000';
        tctx.fillText(dur(d).replace(' ', ''), x + 3, L.stw + 10);
        lastText = x;
      }
      void kind;
    }
    label('STW pauses (' + timeline.stw.length + ')', L.stw + 10);

    // Pre-pause windows and clusters behind the grow histogram.
    tctx.fillStyle = 'rgba(255, 193, 7, 0.28)';
    for (const [s, e] of timeline.pre_pause) tctx.fillRect(X(s), L.grow, Math.max(X(e) - X(s), 1), L.growH);
    tctx.strokeStyle = '#7b4fc9';
    tctx.lineWidth = 1.5;
    for (const [s, e, count, id] of timeline.clusters) {
      tctx.strokeRect(X(s), L.grow + 1, Math.max(X(e) - X(s), 2), L.growH - 2);
      tctx.fillStyle = '#7b4fc9';
      tctx.fillText('c' + id + ' (' + count + ')', X(s) + 2, L.grow + 8);
    }
    tctx.lineWidth = 1;
    const hist = timeline.grow_hist;
    const hmax = Math.max(1, ...hist);
    tctx.fillStyle = HUES[0];
    for (let b = 0; b < hist.length; b++) {
      if (!hist[b]) continue;
      const h = (hist[b] / hmax) * (L.growH - 4);
      const x0 = X((b * end) / hist.length);
      const x1 = X(((b + 1) * end) / hist.length);
      tctx.fillRect(x0, L.grow + L.growH - h, Math.max(x1 - x0 - 0.5, 1), h);
    }
    label('grow-spike samples', L.grow + L.growH / 2 - 6);
    tctx.fillStyle = '#888';
    tctx.fillText('(max ' + hmax + '/bin)', 6, L.grow + L.growH / 2 + 8);

    // Heap in use and goal.
    const hv = Math.max(1, ...timeline.heap.map((p) => p[1]), ...timeline.goal.map((p) => p[1]));
    const Y = (b) => L.heap + L.heapH - 4 - (b / hv) * (L.heapH - 8);
    const series = (points, colour, dashed) => {
      if (!points.length) return;
      tctx.strokeStyle = colour;
      tctx.setLineDash(dashed ? [4, 3] : []);
      tctx.beginPath();
      points.forEach(([t, b], k) => (k ? tctx.lineTo(X(t), Y(b)) : tctx.moveTo(X(t), Y(b))));
      tctx.stroke();
      tctx.setLineDash([]);
    };
    series(timeline.heap, '#1565c0', false);
    series(timeline.goal, '#ef6c00', true);
    label('heap in use', L.heap + 12);
    tctx.fillStyle = '#ef6c00';
    tctx.fillText('- - heap goal', 6, L.heap + 28);
    tctx.fillStyle = '#888';
    tctx.fillText('max ' + bytes(hv), 6, L.heap + 44);

    // Mark assists per goroutine.
    timeline.assist_rows.forEach((row, r) => {
      const y = L.assist + r * L.row;
      tctx.fillStyle = '#2e7d32';
      for (const [s, e] of row.iv) tctx.fillRect(X(s), y + 2, Math.max(X(e) - X(s), 1), L.row - 4);
      label('assist ' + row.label, y + L.row / 2);
    });
    if (!rows) label('no mark assists', L.assist + L.row / 2);

    // The selection.
    if (brush) {
      tctx.fillStyle = 'rgba(0, 0, 0, 0.12)';
      tctx.fillRect(X(brush.from), 12, Math.max(X(brush.to) - X(brush.from), 1), height - 12);
      tctx.strokeStyle = '#000';
      tctx.strokeRect(X(brush.from), 12, Math.max(X(brush.to) - X(brush.from), 1), height - 12);
    }
    api.rendered.gcBands = bands;
    api.rendered.stwMarks = marks;
  }

  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function setBrush(from, to) {
    if (from === null || !samples) {
      brush = null;
      totals = Float64Array.from(flame.total);
    } else {
      brush = { from, to };
      totals = totalsInRange(from, to);
    }
    const origin = BigInt(timeline ? timeline.origin_ns : 0);
    api.brush = brush && {
      from: brush.from, to: brush.to,
      from_ns: String(origin + BigInt(brush.from)), to_ns: String(origin + BigInt(brush.to)),
    };
    $('brush-clear').hidden = !brush;
    $('brush-info').textContent = brush ? 'selected ' + dur(brush.from) + ' .. ' + dur(brush.to) +
      ' (' + totals[0] + ' samples)' : (samples ? 'drag across the timeline to select a time range' : '');
    if (zoom && totals[zoom] <= 0) zoom = 0;
    drawTimeline();
    drawFlame();
  }

  let dragFrom = null;
  const timeAt = (ev) => {
    const box = tlCanvas.getBoundingClientRect();
    const x = Math.min(Math.max(ev.clientX - box.left, LEFT), LEFT + tlLayout.plotW);
    return ((x - LEFT) / tlLayout.plotW) * timeline.end;
  };
  tlCanvas.addEventListener('mousedown', (ev) => {
    if (!timeline || !samples) return;
    dragFrom = { t: timeAt(ev), x: ev.clientX };
    ev.preventDefault();
  });
  window.addEventListener('mousemove', (ev) => {
    if (dragFrom) {
      const t = timeAt(ev);
      brush = { from: Math.floor(Math.min(dragFrom.t, t)), to: Math.ceil(Math.max(dragFrom.t, t)) };
      drawTimeline();
      return;
    }
  });
  window.addEventListener('mouseup', (ev) => {
    if (!dragFrom) return;
    const t = timeAt(ev);
    const moved = Math.abs(ev.clientX - dragFrom.x) >= 3;
    const a = Math.floor(Math.min(dragFrom.t, t));
    const b = Math.ceil(Math.max(dragFrom.t, t));
    dragFrom = null;
    if (moved && b > a) setBrush(a, b); else setBrush(null);
  });
  tlCanvas.addEventListener('mousemove', (ev) => {
    if (!timeline || dragFrom) { tooltip.hidden = true; return; }
    const t = timeAt(ev);
    const box = tlCanvas.getBoundingClientRect();
    const y = ev.clientY - box.top;
    const L = tlLayout.L;
    const lines = [dur(t) + ' from start'];
    const near = (s, e) => t >= s - (timeline.end / tlLayout.plotW) * 2 && t <= e + (timeline.end / tlLayout.plotW) * 2;
    if (y >= L.stw && y < L.heap) {
      for (const [s, d, kind] of timeline.stw) if (near(s, s + d)) lines.push('STW ' + kind + ': ' + dur(d));
    } else {
      for (const [s, e, seq] of timeline.gc) if (t >= s && t <= e) lines.push('GC cycle ' + seq + ': ' + dur(e - s));
    }
    if (y >= L.grow && y < L.grow + L.growH) {
      const b = Math.min(timeline.grow_hist.length - 1, Math.floor((t / timeline.end) * timeline.grow_hist.length));
      lines.push(timeline.grow_hist[b] + ' grow-spike samples in this bin');
      for (const [s, e, count, id] of timeline.clusters) if (near(s, e)) lines.push('cluster ' + id + ': ' + count + ' samples');
    }
    if (y >= L.assist) {
      const row = timeline.assist_rows[Math.floor((y - L.assist) / L.row)];
      if (row) lines.push('assist ' + row.label + ': ' + row.assists + ' assists');
    }
    showTip(ev, lines);
  });
  tlCanvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
  $('brush-clear').addEventListener('click', () => setBrush(null));
  // Escape clears the selection, then the zoom.
  window.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || ev.target === $('search')) return;
    if (brush) setBrush(null); else if (zoom) { zoom = 0; drawFlame(); }
  });

  const api = {
    data,
    rendered: { flame: 0, gcBands: 0, stwMarks: 0 },
    brush: null,
    // The flame graph's current totals: root first.
    total: () => totals[0],
    nodeTotal: (i) => totals[i],
    nodeClass: (i) => CLASSES[klass[i]],
    rects: () => rects.map((r) => ({ ...r, name: nameOf(r.node), cls: CLASSES[klass[r.node]] })),
    setBrush,
    zoomTo: (i) => { zoom = i; drawFlame(); },
    // Pixel x of a relative time on the timeline canvas (for tests that drag).
    timelineX: (t) => (tlLayout ? tlLayout.X(t) : null),
  };
  window.gcspikeReport = api;

  setupTimeline();
  setBrush(null);
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { drawTimeline(); drawFlame(); }, 100);
  });
  api.ready = true;
})();
