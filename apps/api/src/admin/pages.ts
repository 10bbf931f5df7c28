/**
 * The dashboard's HTML, rendered on the server with no front-end build.
 * Data reaches the page as JSON and is put in with textContent only, so
 * nothing from a job (an error reason, a user id) can become markup.
 */

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f4f6fa; }
  body { margin: 0; }
  header { display: flex; align-items: center; gap: 1.5rem; padding: .8rem 1.5rem; background: #1d2433; color: #fff; }
  header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
  header a, header button { color: #fff; background: none; border: 1px solid #ffffff55; border-radius: 4px; padding: .3rem .7rem; font: inherit; cursor: pointer; text-decoration: none; }
  main { padding: 1.2rem 1.5rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 1rem; box-shadow: 0 1px 2px #0001; min-width: 0; overflow-x: auto; }
  section h2 { font-size: .95rem; margin: 0 0 .6rem; }
  section.wide { grid-column: span 2; }
  td a { color: #2f5bea; font-family: ui-monospace, monospace; font-size: .8rem; }
  .tiles { grid-column: 1 / -1; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
  .tile { background: #fff; border-radius: 6px; padding: .8rem 1rem; box-shadow: 0 1px 2px #0001; }
  .tile b { display: block; font-size: 1.6rem; }
  .tile span { font-size: .8rem; color: #5b6478; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; }
  th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #e6e9f0; vertical-align: top; }
  th, td.num, td:first-child { white-space: nowrap; }
  td { overflow-wrap: anywhere; }
  td.num, th.num { text-align: right; }
  .muted { color: #5b6478; font-size: .8rem; }
  canvas { max-height: 260px; }
  form.login { max-width: 360px; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 6px; box-shadow: 0 1px 3px #0002; display: grid; gap: .8rem; }
  form.login input { font: inherit; padding: .5rem; border: 1px solid #c5cbd8; border-radius: 4px; }
  form.login button { font: inherit; padding: .5rem; border: 0; border-radius: 4px; background: #2f5bea; color: #fff; cursor: pointer; }
  .error { color: #b42318; }
`;

export function loginPage({ next, error }: { next: string; error: string | null }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mnemo admin: log in</title><style>${STYLE}</style></head>
<body>
<form class="login" method="post" action="/admin/login">
  <h1>mnemo operations</h1>
  <label for="key">Admin API key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${escape(next)}">
  ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
  <button type="submit">Log in</button>
  <p class="muted">Create one with <code>mnemo keys create --user ops --role admin</code>.</p>
</form>
</body></html>`;
}

export function overviewPage({ refreshMs, readOnly }: { refreshMs: number; readOnly: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mnemo operations</title><style>${STYLE}</style>
<script src="/admin/assets/chart.umd.min.js"></script></head>
<body>
<header>
  <h1>mnemo operations${readOnly ? ' <small>(read-only)</small>' : ''}</h1>
  <span class="muted" id="updated" style="color:#c9d2e6">loading…</span>
  <a href="/admin/queues">Queues (Bull Board)</a>
  <a href="/metrics">/metrics</a>
  <form method="post" action="/admin/logout"><button type="submit">Log out</button></form>
</header>
<main>
  <div class="tiles">
    <div class="tile"><b id="t-waiting">–</b><span>waiting ingest jobs</span></div>
    <div class="tile"><b id="t-oldest">–</b><span>oldest waiting</span></div>
    <div class="tile"><b id="t-active">–</b><span>running</span></div>
    <div class="tile"><b id="t-in">–</b><span>jobs in / min (last 5 min)</span></div>
    <div class="tile"><b id="t-out">–</b><span>jobs done / min (last 5 min)</span></div>
    <div class="tile"><b id="t-failed">–</b><span>failed jobs</span></div>
    <div class="tile"><b id="t-stalled">–</b><span id="t-stalled-note">stalled and requeued</span></div>
    <div class="tile"><b id="t-workers">–</b><span>live ingest workers</span></div>
    <div class="tile"><b id="t-4xx">–</b><span>API 4xx / min (last 5 min)</span></div>
    <div class="tile"><b id="t-5xx">–</b><span>API 5xx / min (last 5 min)</span></div>
  </div>
  <section><h2>Jobs per minute, last hour</h2><canvas id="c-throughput" aria-label="jobs per minute"></canvas></section>
  <section><h2>Stage latency (ms), last 1,000 jobs</h2><canvas id="c-stages" aria-label="stage latency"></canvas></section>
  <section><h2>API answers per minute, last hour</h2><canvas id="c-http" aria-label="API answers per minute"></canvas></section>
  <section><h2>Memories created, by category</h2><canvas id="c-categories" aria-label="memories by category"></canvas></section>
  <section><h2>LLM tokens per hour, last 24 hours</h2><canvas id="c-tokens" aria-label="LLM tokens per hour"></canvas><p class="muted" id="llm-note"></p></section>
  <section class="wide"><h2>Failures by error code</h2>
    <table id="failures"><thead><tr><th>code</th><th class="num">jobs</th><th class="num">attempts</th><th>latest reason</th><th>job</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide"><h2>Workers connected now</h2>
    <table id="workers"><thead><tr><th>queue</th><th>worker (host:pid)</th><th>address</th><th class="num">connected</th><th class="num">idle</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="wide"><h2>Queues</h2>
    <table id="queues"><thead><tr><th>queue</th><th class="num">waiting</th><th class="num">active</th><th class="num">delayed</th><th class="num">completed</th><th class="num">failed</th><th class="num">oldest</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script>
(() => {
  const REFRESH_MS = ${Number(refreshMs)};
  const $ = (id) => document.getElementById(id);
  const age = (s) => s === null ? '–' : s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
  const charts = {};
  const draw = (id, type, labels, datasets, options = {}) => {
    if (!charts[id]) {
      charts[id] = new Chart($(id), { type, data: { labels, datasets }, options: { animation: false, responsive: true, maintainAspectRatio: false, ...options } });
      return;
    }
    charts[id].data.labels = labels;
    charts[id].data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
    charts[id].update();
  };
  const row = (cells) => {
    const tr = document.createElement('tr');
    for (const [text, num] of cells) {
      const td = document.createElement('td');
      td.textContent = String(text);
      if (num) td.className = 'num';
      tr.appendChild(td);
    }
    return tr;
  };

  async function refresh() {
    const res = await fetch('/admin/api/overview', { headers: { accept: 'application/json' } });
    if (res.status === 401) { location.href = '/admin/login?next=/admin'; return; }
    const o = await res.json();
    const ingest = o.queues.find((q) => q.queue === 'ingest');
    $('t-waiting').textContent = ingest.counts.waiting + ingest.counts.prioritized;
    $('t-oldest').textContent = age(ingest.oldest_waiting_seconds);
    $('t-active').textContent = ingest.counts.active;
    $('t-failed').textContent = ingest.counts.failed;
    $('t-stalled').textContent = o.stalled.total;
    $('t-stalled-note').textContent = o.stalled.last ? 'stalled and requeued (last: ' + o.stalled.last.job_id + ')' : 'stalled and requeued';
    const last5 = o.per_minute.slice(-5);
    $('t-in').textContent = (last5.reduce((n, m) => n + m.enqueued, 0) / 5).toFixed(1);
    $('t-out').textContent = (last5.reduce((n, m) => n + m.completed, 0) / 5).toFixed(1);

    const perMin = (rows, key) => (rows.slice(-5).reduce((n, m) => n + m[key], 0) / 5).toFixed(1);
    $('t-4xx').textContent = perMin(o.http_per_minute, '4xx');
    $('t-5xx').textContent = perMin(o.http_per_minute, '5xx');
    const ingestWorkers = o.workers.find((q) => q.queue === 'ingest');
    $('t-workers').textContent = ingestWorkers && ingestWorkers.workers ? ingestWorkers.workers.length : '?';
    draw('c-http', 'line', o.http_per_minute.map((m) => m.minute.slice(11, 16)), [
      { label: '2xx', data: o.http_per_minute.map((m) => m['2xx']), borderColor: '#12b76a', tension: .2 },
      { label: '4xx', data: o.http_per_minute.map((m) => m['4xx']), borderColor: '#f79009', tension: .2 },
      { label: '5xx', data: o.http_per_minute.map((m) => m['5xx']), borderColor: '#f04438', tension: .2 },
    ]);
    const workerRows = o.workers.flatMap((q) => q.workers === null
      ? [row([[q.queue], ['this Redis does not list its clients (CLIENT LIST)']])]
      : q.workers.map((w) => row([[q.queue], [w.name], [w.addr], [age(w.connected_seconds), true], [age(w.idle_seconds), true]])));
    $('workers').tBodies[0].replaceChildren(...(workerRows.length ? workerRows : [row([['no worker is connected']])]));

    const minutes = o.per_minute.map((m) => m.minute.slice(11, 16));
    draw('c-throughput', 'line', minutes, [
      { label: 'in', data: o.per_minute.map((m) => m.enqueued), borderColor: '#2f5bea', tension: .2 },
      { label: 'done', data: o.per_minute.map((m) => m.completed), borderColor: '#12b76a', tension: .2 },
      { label: 'failed', data: o.per_minute.map((m) => m.failed), borderColor: '#f04438', tension: .2 },
    ]);
    const stages = Object.keys(o.stages);
    draw('c-stages', 'bar', stages, [
      { label: 'p50', data: stages.map((s) => o.stages[s].p50), backgroundColor: '#2f5bea' },
      { label: 'p95', data: stages.map((s) => o.stages[s].p95), backgroundColor: '#f79009' },
    ]);
    const categories = Object.entries(o.memories.by_category).sort((a, b) => b[1] - a[1]);
    draw('c-categories', 'bar', categories.map((c) => c[0]), [
      { label: 'memories', data: categories.map((c) => c[1]), backgroundColor: '#7a5af8' },
    ], { indexAxis: 'y' });
    draw('c-tokens', 'bar', o.llm.by_hour.map((h) => h.hour.slice(11, 16)), [
      { label: 'input', data: o.llm.by_hour.map((h) => h.input_tokens), backgroundColor: '#2f5bea', stack: 't' },
      { label: 'output', data: o.llm.by_hour.map((h) => h.output_tokens), backgroundColor: '#12b76a', stack: 't' },
    ], { scales: { x: { stacked: true }, y: { stacked: true } } });
    $('llm-note').textContent = o.llm.total.calls
      ? o.llm.total.calls + ' model calls, ' + o.llm.total.input_tokens + ' input and ' + o.llm.total.output_tokens + ' output tokens since the start'
      : 'No model calls: the offline extractor is in use.';

    const failures = $('failures').tBodies[0];
    failures.replaceChildren(...(o.failures.length ? o.failures.map((f) => {
      const tr = row([[f.code], [f.jobs, true], [f.attempts, true], [f.last_reason]]);
      const td = document.createElement('td');
      const link = document.createElement('a');
      link.href = '/admin/queues/queue/ingest/' + encodeURIComponent(f.last_job_id);
      link.textContent = f.last_job_id;
      td.appendChild(link);
      tr.appendChild(td);
      return tr;
    }) : [row([['none']])]));
    $('queues').tBodies[0].replaceChildren(...o.queues.map((q) => row([
      [q.queue], [q.counts.waiting + q.counts.prioritized, true], [q.counts.active, true], [q.counts.delayed, true],
      [q.counts.completed, true], [q.counts.failed, true], [age(q.oldest_waiting_seconds), true],
    ])));
    $('updated').textContent = 'updated ' + new Date(o.generated_at).toLocaleTimeString();
    document.body.dataset.loaded = 'true';
  }
  const loop = () => refresh().catch((err) => { $('updated').textContent = 'update failed: ' + err.message; }).finally(() => setTimeout(loop, REFRESH_MS));
  loop();
})();
</script>
</body></html>`;
}
