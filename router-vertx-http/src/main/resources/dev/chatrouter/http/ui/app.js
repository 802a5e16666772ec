// The ChatRouter dashboard: polls GET {base}/router/state (relative to this page) and draws it.
// No external assets and no framework: plain DOM and SVG. Data is only ever set as text, never as HTML.
(function () {
  'use strict';
  var POLL_MS = 1500;
  var BUCKET_SECONDS = 10;
  var STATE_TEXT = { healthy: 'healthy', cooling_down: 'cooling down', probing: 'probing' };
  var SVG_NS = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }
  function row(cells) {
    var tr = el('tr');
    cells.forEach(function (c) { var td = el('td'); if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c; } tr.appendChild(td); });
    return tr;
  }
  function replaceRows(tbody, rows) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function usd(v) { return v === null || v === undefined ? '–' : '$' + Number(v).toFixed(v < 1 ? 6 : 2); }
  function ms(v) { return v === null || v === undefined ? '–' : Math.round(v) + ' ms'; }
  function clock(iso) { return iso ? new Date(iso).toLocaleTimeString() : ''; }

  function drawTargets(state) {
    var now = Date.parse(state.time);
    replaceRows(document.querySelector('#targets tbody'), state.targets.map(function (t) {
      var badge = el('span', { 'class': 'state ' + t.state }, STATE_TEXT[t.state] || t.state);
      var until = '–';
      if (t.cooling_until) {
        var left = Math.max(0, Math.round((Date.parse(t.cooling_until) - now) / 1000));
        until = clock(t.cooling_until) + (left > 0 ? ' (' + left + ' s)' : ' (probe due)');
      }
      var tr = row([t.target, badge, ms(t.latency_ms), ms(t.first_token_ms), String(t.consecutive_failures), until, t.routes.join(', ')]);
      tr.setAttribute('data-target', t.target);
      tr.setAttribute('data-state', t.state);
      return tr;
    }));
  }

  function drawSpend(state) {
    var box = document.getElementById('spend');
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (state.spend.length === 0) { box.appendChild(el('p', { 'class': 'muted' }, 'No budgets configured.')); return; }
    state.spend.forEach(function (b) {
      var tokens = b.limit_usd === null && b.limit_tokens !== null;
      var spent = tokens ? b.spent_tokens + b.reserved_tokens : b.spent_usd + b.reserved_usd;
      var limit = tokens ? b.limit_tokens : (b.limit_usd !== null ? b.limit_usd : b.soft_limit_usd);
      var share = limit ? Math.min(1, spent / limit) : 0;
      var label = el('div', { 'class': 'budget-label' });
      label.appendChild(el('span', null, b.scope + ' / ' + b.window));
      label.appendChild(el('span', null, tokens ? spent + ' of ' + limit + ' tokens'
        : usd(spent) + (limit ? ' of ' + usd(limit) : '') + (b.soft_limit_usd !== null ? ' (soft ' + usd(b.soft_limit_usd) + ')' : '')));
      var bar = el('div', { 'class': 'bar', 'data-scope': b.scope + '/' + b.window, title: 'resets ' + b.resets_at });
      var fill = el('div', { 'class': 'fill' + (share >= 1 ? ' over' : (b.soft_limit_usd !== null && spent >= b.soft_limit_usd ? ' soft' : '')) });
      fill.style.width = (share * 100).toFixed(1) + '%';
      bar.appendChild(fill);
      if (!tokens && b.soft_limit_usd !== null && limit) {
        var mark = el('div', { 'class': 'softmark' });
        mark.style.left = Math.min(100, b.soft_limit_usd / limit * 100).toFixed(1) + '%';
        bar.appendChild(mark);
      }
      box.appendChild(label);
      box.appendChild(bar);
    });
  }

  function drawTraffic(state) {
    var chart = document.getElementById('traffic');
    while (chart.firstChild) { chart.removeChild(chart.firstChild); }
    var req = state.traffic.requests, err = state.traffic.errors;
    var buckets = Math.ceil(req.length / BUCKET_SECONDS), r = [], e = [], max = 1, total = 0, errors = 0;
    for (var b = 0; b < buckets; b++) {
      var sr = 0, se = 0;
      for (var i = b * BUCKET_SECONDS; i < Math.min(req.length, (b + 1) * BUCKET_SECONDS); i++) { sr += req[i]; se += err[i]; }
      r.push(sr); e.push(se); max = Math.max(max, sr); total += sr; errors += se;
    }
    var W = 600, H = 160, top = 14, bottom = 14, w = W / buckets, h = H - top - bottom;
    chart.appendChild(svg('line', { x1: 0, y1: H - bottom, x2: W, y2: H - bottom, 'class': 'axis' }));
    for (var k = 0; k < buckets; k++) {
      var rh = r[k] / max * h, eh = e[k] / max * h;
      if (rh > 0) { chart.appendChild(svg('rect', { x: k * w + 0.5, y: H - bottom - rh, width: Math.max(1, w - 1), height: rh, 'class': 'req' })); }
      if (eh > 0) { chart.appendChild(svg('rect', { x: k * w + 0.5, y: H - bottom - eh, width: Math.max(1, w - 1), height: eh, 'class': 'err' })); }
    }
    chart.appendChild(svg('text', { x: 2, y: 10 }, 'max ' + max + ' / ' + BUCKET_SECONDS + ' s'));
    chart.appendChild(svg('text', { x: 2, y: H - 2 }, '−10 min'));
    chart.appendChild(svg('text', { x: W - 24, y: H - 2 }, 'now'));
    document.getElementById('traffic-total').textContent = total + ' requests, ' + errors + ' errors';
  }

  function drawDecisions(state) {
    replaceRows(document.querySelector('#decisions tbody'), state.decisions.map(function (d) {
      var attempts = d.attempts.map(function (a) { return a.target + ' ' + a.outcome + (a.status ? ' ' + a.status : ''); }).join(' → ');
      var dropped = d.dropped.map(function (x) { return x.target + ': ' + x.reason; }).join(', ');
      var status = el('span', { 'class': d.status < 400 && !d.error ? 'status-ok' : 'status-bad' },
        d.status + (d.error ? ' ' + d.error : ''));
      var tr = row([clock(d.time), d.request_id || '–', d.model || '–', (d.type || '–') + (d.rule ? ' / ' + d.rule : ''),
        (d.target || '–') + (d.cache_hit ? ' (cache)' : ''), attempts || '–', dropped || '–', usd(d.cost_usd), status]);
      tr.setAttribute('data-request-id', d.request_id || '');
      return tr;
    }));
  }

  function draw(state) {
    var ready = document.getElementById('ready');
    ready.textContent = state.ready ? 'ready' : 'not ready';
    ready.className = 'badge ' + (state.ready ? 'ready' : 'not-ready');
    var c = state.config;
    document.getElementById('config').textContent = (c.file ? c.file + ', ' : '') + 'generation ' + c.generation
      + ', loaded ' + clock(c.loaded_at) + (c.watch ? ', watched' : '');
    document.getElementById('updated').textContent = 'updated ' + clock(state.time);
    var problem = document.getElementById('problem');
    problem.hidden = !c.last_reload_error;
    problem.textContent = c.last_reload_error ? 'Last reload refused (' + clock(c.last_reload_error_at) + '): ' + c.last_reload_error : '';
    drawTargets(state);
    drawSpend(state);
    drawTraffic(state);
    drawDecisions(state);
  }

  function poll() {
    fetch('state', { credentials: 'same-origin', cache: 'no-store' }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        throw new Error('not authorized (' + response.status + '): reload the page to sign in with an admin key');
      }
      if (!response.ok) { throw new Error('GET state answered ' + response.status); }
      return response.json();
    }).then(function (state) {
      draw(state);
      document.body.setAttribute('data-polls', String(Number(document.body.getAttribute('data-polls') || 0) + 1));
    }).catch(function (error) {
      var problem = document.getElementById('problem');
      problem.hidden = false;
      problem.textContent = String(error.message || error);
    }).then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
}());
