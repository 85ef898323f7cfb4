/**
 * The live board: one self-contained page (HTML, CSS and vanilla JS, no build
 * step). Auth: the token arrives in the URL fragment (`/#token=…`), which
 * browsers never send to servers or write to access logs; the page keeps it in
 * sessionStorage and sends it as a Bearer header on fetch. EventSource cannot
 * set headers, so the page trades the token for a short-lived read-only ticket
 * (`POST /api/batch/events/ticket`) and opens the stream with `?ticket=`; the
 * long-lived token never appears in a URL. When the ticket expires the stream
 * is reopened with a new one, resuming from the last event id. Without a
 * token the page asks for one.
 */
export function boardHtml(): string {
  return PAGE;
}

const PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>batchtel board</title>
<style>
:root {
  --bg: #0f1216; --panel: #171b21; --panel2: #1e232b; --line: #2a313b; --text: #e6e9ee; --muted: #8b95a3;
  --accent: #4aa3ff; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --cancel: #a371f7;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color-scheme: dark;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font-size: 14px; line-height: 1.4; }
header { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center;
  padding: 12px 20px; background: rgba(15,18,22,.92); backdrop-filter: blur(6px); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 17px; letter-spacing: .2px; font-weight: 650; }
h1 span { color: var(--accent); }
.totals { display: flex; flex-wrap: wrap; gap: 6px 16px; color: var(--muted); font-variant-numeric: tabular-nums; }
.totals b { color: var(--text); font-weight: 600; }
.conn { margin-left: auto; display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.conn[data-state="live"] .dot { background: var(--ok); box-shadow: 0 0 0 3px rgba(63,185,80,.2); }
.conn[data-state="down"] .dot { background: var(--bad); }
main { padding: 16px 20px 40px; }
#runs { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
.empty { color: var(--muted); padding: 40px 0; text-align: center; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px 12px; display: grid; gap: 10px;
  border-left: 4px solid var(--muted); }
.card[data-status="running"] { border-left-color: var(--accent); }
.card[data-status="completed"] { border-left-color: var(--ok); }
.card[data-status="failed"] { border-left-color: var(--bad); }
.card[data-status="cancelled"] { border-left-color: var(--cancel); }
.top { display: flex; align-items: flex-start; gap: 10px; }
.title { flex: 1; min-width: 0; }
.name { font-weight: 620; font-size: 15px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.op { color: var(--muted); font-size: 12px; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.status { font-size: 11px; text-transform: uppercase; letter-spacing: .6px; padding: 3px 8px; border-radius: 99px; background: var(--panel2); color: var(--muted); white-space: nowrap; }
.card[data-status="running"] .status { color: var(--accent); background: rgba(74,163,255,.12); }
.card[data-status="completed"] .status { color: var(--ok); background: rgba(63,185,80,.12); }
.card[data-status="failed"] .status { color: var(--bad); background: rgba(248,81,73,.12); }
.card[data-status="cancelled"] .status { color: var(--cancel); background: rgba(163,113,247,.14); }
.bar { height: 10px; background: var(--panel2); border-radius: 99px; overflow: hidden; }
.fill { height: 100%; width: 0; background: linear-gradient(90deg, #2f7fd6, var(--accent)); border-radius: 99px; transition: width .35s ease; }
.card[data-status="completed"] .fill { background: var(--ok); }
.card[data-status="failed"] .fill { background: var(--bad); }
.card[data-status="cancelled"] .fill { background: var(--cancel); }
.bar.indeterminate .fill { width: 30% !important; animation: slide 1.4s linear infinite; }
@keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(340%); } }
.progressline { display: flex; justify-content: space-between; gap: 8px; font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12px; margin-top: -4px; }
.progressline .pct { color: var(--text); font-weight: 600; }
.stats { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px 12px; }
.stats.lat { padding-top: 8px; border-top: 1px dashed var(--line); }
.stat { min-width: 0; }
.stat .k { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .5px; }
.stat .v { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.stat .sub { color: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
.spark { width: 100%; height: 38px; display: block; }
.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.spark path { fill: rgba(74,163,255,.14); stroke: none; }
.bottom { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.errors { display: flex; flex-wrap: wrap; gap: 6px; flex: 1; min-height: 22px; }
.chip { font-size: 11px; padding: 2px 8px; border-radius: 99px; background: rgba(248,81,73,.12); color: #ff9b95; font-family: ui-monospace, monospace; }
.chip.rl { background: rgba(210,153,34,.14); color: #e3b341; }
.chip.none { background: var(--panel2); color: var(--muted); }
button.cancel { font: inherit; font-size: 12px; padding: 5px 12px; border-radius: 6px; border: 1px solid rgba(248,81,73,.5); background: transparent; color: #ff9b95; cursor: pointer; }
button.cancel:hover { background: rgba(248,81,73,.12); }
button.cancel:disabled { opacity: .45; cursor: default; }
button.cancel[data-armed="1"] { background: var(--bad); border-color: var(--bad); color: #fff; }
.card:not([data-status="running"]):not([data-status="pending"]) button.cancel { display: none; }
#login { max-width: 420px; margin: 60px auto; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 20px; display: none; gap: 10px; }
#login input { font: inherit; padding: 8px 10px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--text); }
#login button { font: inherit; padding: 8px; border-radius: 6px; border: 0; background: var(--accent); color: #06121f; font-weight: 600; cursor: pointer; }
#toast { position: fixed; bottom: 16px; left: 50%; transform: translateX(-50%); background: var(--panel2); border: 1px solid var(--line); padding: 8px 14px; border-radius: 8px; display: none; }
@media (max-width: 520px) {
  header { padding: 10px 12px; } main { padding: 12px; }
  #runs { grid-template-columns: 1fr; }
  .card { padding: 12px; }
  .conn { margin-left: 0; }
}
</style>
</head>
<body>
<header>
  <h1><span>batch</span>tel</h1>
  <div class="totals" id="totals"></div>
  <div class="conn" id="conn" data-state="connecting"><span class="dot"></span><span id="connText">connecting</span></div>
</header>
<main>
  <form id="login"><b>Token required</b><span style="color:var(--muted)">Paste the token printed by the server, or open the board link it printed.</span>
    <input id="tokenInput" type="password" autocomplete="off" placeholder="token"><button>Open board</button></form>
  <div id="runs"></div>
  <div class="empty" id="empty" hidden>No runs yet. Runs created with trackBatch or createBatchProgress appear here live.</div>
</main>
<div id="toast"></div>
<template id="cardTpl">
  <article class="card" data-testid="run">
    <div class="top"><div class="title"><div class="name"></div><div class="op"></div></div><span class="status"></span></div>
    <div><div class="bar"><div class="fill"></div></div></div>
    <div class="progressline"><span><span class="pct"></span> <span class="count"></span></span><span class="elapsed"></span></div>
    <div class="stats">
      <div class="stat"><div class="k">items/s</div><div class="v ips"></div></div>
      <div class="stat"><div class="k">ETA</div><div class="v eta"></div><div class="sub etaint"></div></div>
      <div class="stat"><div class="k">retries</div><div class="v retries"></div><div class="sub chunks"></div></div>
    </div>
    <div class="stats lat" title="chunk duration percentiles">
      <div class="stat"><div class="k">chunk p50</div><div class="v p50"></div></div>
      <div class="stat"><div class="k">p95</div><div class="v p95"></div></div>
      <div class="stat"><div class="k">p99</div><div class="v p99"></div></div>
    </div>
    <svg class="spark" viewBox="0 0 100 30" preserveAspectRatio="none" aria-label="throughput"><path></path><polyline></polyline></svg>
    <div class="bottom"><div class="errors"></div><button class="cancel" type="button">Cancel</button></div>
  </article>
</template>
<script>
(() => {
  'use strict';
  const KEY = 'batchtel.token';
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) { sessionStorage.setItem(KEY, decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname + location.search); }
  let token = sessionStorage.getItem(KEY) || '';
  // The API lives next to the board, wherever the app mounted it: /batchtel and /batchtel/ both
  // mean the folder /batchtel/ (a relative URL from /batchtel would otherwise escape the mount).
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
  const api = (path) => base + path;
  const runs = new Map();
  const cards = new Map();
  const $ = (id) => document.getElementById(id);
  let es, dirty = false;

  const fmtNum = (n) => n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n));
  const fmtRate = (n) => n >= 100 ? Math.round(n).toLocaleString() : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  const fmtDur = (ms) => {
    if (ms == null || !isFinite(ms)) return '–';
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    const mnt = Math.floor(s / 60), sec = s % 60;
    if (mnt < 60) return mnt + 'm ' + String(sec).padStart(2, '0') + 's';
    return Math.floor(mnt / 60) + 'h ' + String(mnt % 60).padStart(2, '0') + 'm';
  };
  const fmtMs = (ms) => ms >= 1000 ? (ms / 1000).toFixed(1) + 's' : Math.round(ms) + 'ms';

  function toast(text) { const t = $('toast'); t.textContent = text; t.style.display = 'block'; clearTimeout(toast.t); toast.t = setTimeout(() => t.style.display = 'none', 3500); }
  function setConn(state, text) { $('conn').dataset.state = state; $('connText').textContent = text; }
  const headers = () => token ? { authorization: 'Bearer ' + token } : {};
  // State-changing requests are JSON (the server refuses others: no cross-site form or no-cors fetch can send them).
  const post = (path) => fetch(api(path), { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: '{}' });

  function card(run) {
    let el = cards.get(run.id);
    if (!el) {
      el = $('cardTpl').content.firstElementChild.cloneNode(true);
      el.dataset.id = run.id;
      el.querySelector('.cancel').addEventListener('click', () => cancel(run.id, el));
      cards.set(run.id, el);
    }
    return el;
  }

  function spark(svg, values) {
    const pts = values.slice(-40);
    if (pts.length < 2) { svg.querySelector('polyline').setAttribute('points', ''); svg.querySelector('path').setAttribute('d', ''); return; }
    // Scaled to the 90th percentile so one odd chunk (a fast failure) does not flatten the rest.
    const sorted = [...pts].sort((a, b) => a - b);
    const max = Math.max(sorted[Math.floor(sorted.length * 0.9)] * 1.15, sorted[Math.floor(sorted.length / 2)] * 1.5) || 1;
    const step = 100 / (pts.length - 1);
    const xy = pts.map((v, i) => [(i * step).toFixed(2), (28 - Math.min(1, v / max) * 26).toFixed(2)]);
    svg.querySelector('polyline').setAttribute('points', xy.map((p) => p.join(',')).join(' '));
    svg.querySelector('path').setAttribute('d', 'M0,30 L' + xy.map((p) => p.join(',')).join(' L') + ' L100,30 Z');
  }

  function fill(el, r) {
    el.dataset.status = r.status;
    el.querySelector('.name').textContent = r.name;
    el.querySelector('.name').title = r.name;
    el.querySelector('.op').textContent = r.operation + (r.category ? ' · ' + r.category : '');
    el.querySelector('.status').textContent = r.status;
    const bar = el.querySelector('.bar');
    bar.classList.toggle('indeterminate', r.progress == null && r.status === 'running');
    el.querySelector('.fill').style.width = (r.progress == null ? (r.status === 'completed' ? 100 : 0) : r.progress) + '%';
    el.querySelector('.pct').textContent = r.progress == null ? '' : r.progress.toFixed(r.progress < 10 ? 1 : 0) + '%';
    el.querySelector('.count').textContent = fmtNum(r.processed_items) + (r.total_items != null ? ' / ' + fmtNum(r.total_items) : '') + ' items' + (r.failed_items ? ' · ' + fmtNum(r.failed_items) + ' failed' : '');
    const start = r.started_at ? Date.parse(r.started_at) : null;
    const end = r.completed_at ? Date.parse(r.completed_at) : Date.now();
    el.querySelector('.elapsed').textContent = start ? fmtDur(end - start) + ' elapsed' : '';
    el.querySelector('.ips').textContent = fmtRate(r.items_per_second);
    if (r.eta) {
      el.querySelector('.eta').textContent = fmtDur(r.eta.remainingMs);
      el.querySelector('.etaint').textContent = fmtDur(r.eta.interval.lowMs) + '–' + fmtDur(r.eta.interval.highMs) + ' (' + Math.round(r.eta.interval.level * 100) + '%)' + (r.eta.confidence ? ' · conf ' + Math.round(r.eta.confidence * 100) + '%' : '');
    } else {
      el.querySelector('.eta').textContent = r.status === 'running' ? 'estimating…' : r.status === 'completed' ? 'done' : '–';
      el.querySelector('.etaint').textContent = '';
    }
    for (const q of ['p50', 'p95', 'p99']) el.querySelector('.' + q).textContent = r.latency.count ? fmtMs(r.latency[q]) : '–';
    el.querySelector('.retries').textContent = String(r.retries);
    el.querySelector('.chunks').textContent = r.latency.count + ' chunks';
    spark(el.querySelector('.spark'), r.throughput);
    const errs = el.querySelector('.errors');
    const chips = Object.entries(r.errorsByType).sort((a, b) => b[1] - a[1]).map(([k, v]) => '<span class="chip" title="errors by type">' + esc(k) + ' × ' + v + '</span>');
    if (r.rateLimitHits) chips.unshift('<span class="chip rl" title="rate-limit hits and time waited (Retry-After)">rate-limited ' + r.rateLimitHits + '× · waited ' + fmtDur(r.rateLimitWaitMs) + '</span>');
    const html = chips.length ? chips.join('') : '<span class="chip none">no errors</span>';
    if (errs.innerHTML !== html) errs.innerHTML = html;
  }
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  const RANK = { running: 0, pending: 1, failed: 2, cancelled: 3, completed: 4 };
  function render() {
    dirty = false;
    // Active runs oldest first (cards stay put), finished runs most recent first.
    const active = (r) => r.status === 'running' || r.status === 'pending';
    const list = [...runs.values()].sort((a, b) => (RANK[a.status] - RANK[b.status]) ||
      (active(a) ? String(a.created_at || '').localeCompare(String(b.created_at || '')) : String(b.completed_at || '').localeCompare(String(a.completed_at || ''))));
    const container = $('runs');
    list.forEach((r, i) => { const el = card(r); fill(el, r); if (container.children[i] !== el) container.insertBefore(el, container.children[i] || null); });
    for (const [id, el] of cards) if (!runs.has(id)) { el.remove(); cards.delete(id); }
    $('empty').hidden = list.length > 0;
    const count = (s) => list.filter((r) => r.status === s).length;
    const ips = list.filter((r) => r.status === 'running').reduce((a, r) => a + r.items_per_second, 0);
    $('totals').innerHTML = '<span><b>' + count('running') + '</b> running</span><span><b>' + count('completed') + '</b> completed</span><span><b>' + count('failed') + '</b> failed</span><span><b>' + count('cancelled') + '</b> cancelled</span><span><b>' + fmtRate(ips) + '</b> items/s</span>';
  }
  const schedule = () => { if (!dirty) { dirty = true; requestAnimationFrame(render); } };

  async function cancel(id, el) {
    const button = el.querySelector('.cancel');
    // Two steps: a stray click must not stop a production run.
    if (button.dataset.armed !== '1') {
      button.dataset.armed = '1';
      button.textContent = 'Confirm cancel';
      clearTimeout(button.disarm);
      button.disarm = setTimeout(() => { button.dataset.armed = ''; button.textContent = 'Cancel'; }, 4000);
      return;
    }
    clearTimeout(button.disarm);
    button.dataset.armed = '';
    button.textContent = 'Cancel';
    button.disabled = true;
    try {
      const res = await post('api/batch/' + encodeURIComponent(id) + '/cancel');
      const body = await res.json().catch(() => ({}));
      if (!res.ok) toast('Cancel failed: ' + (body.error || res.status));
      // 202: the run stops when its code next checks its signal; the card turns cancelled then.
      else toast('Cancel requested');
    } catch (e) { toast('Cancel failed: ' + e); }
    finally { setTimeout(() => { button.disabled = false; }, 1500); }
  }

  let lastEventId = '';
  let retryTimer;
  function connect(ticket) {
    if (es) es.close();
    const q = [];
    if (ticket) q.push('ticket=' + encodeURIComponent(ticket));
    if (lastEventId) q.push('lastEventId=' + encodeURIComponent(lastEventId));
    es = new EventSource(api('api/batch/events' + (q.length ? '?' + q.join('&') : '')));
    es.onopen = () => setConn('live', 'live');
    es.onerror = () => {
      setConn('down', 'reconnecting…');
      // Closed for good (e.g. the ticket expired): get a new ticket and resume.
      if (es.readyState === EventSource.CLOSED) { clearTimeout(retryTimer); retryTimer = setTimeout(start, 2000); }
    };
    const track = (e) => { if (e.lastEventId) lastEventId = e.lastEventId; };
    es.addEventListener('batch:snapshot', (e) => { track(e); runs.clear(); for (const r of JSON.parse(e.data).runs) runs.set(r.id, r); schedule(); });
    for (const type of ['batch:created', 'batch:progress', 'batch:completed', 'batch:failed', 'batch:cancelled']) {
      es.addEventListener(type, (e) => { track(e); const r = JSON.parse(e.data); runs.set(r.id, r); schedule(); });
    }
    es.addEventListener('batch:removed', (e) => { track(e); runs.delete(JSON.parse(e.data).id); schedule(); });
  }

  async function start() {
    const res = await post('api/batch/events/ticket').catch(() => null);
    if (res && res.status === 401) { $('login').style.display = 'grid'; setConn('down', 'token required'); return; }
    if (!res || !res.ok) { setConn('down', 'server unreachable'); clearTimeout(retryTimer); retryTimer = setTimeout(start, 3000); return; }
    $('login').style.display = 'none';
    connect((await res.json()).ticket);
  }
  $('login').addEventListener('submit', (e) => { e.preventDefault(); token = $('tokenInput').value.trim(); sessionStorage.setItem(KEY, token); start(); });
  setInterval(() => { if (runs.size) schedule(); }, 1000);
  start();
})();
</script>
</body>
</html>
`;
