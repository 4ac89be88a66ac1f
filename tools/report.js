// The page script of `shsim report` (sim/html_report.cpp embeds it, with Chart.js, into every
// report): it reads the JSON the report carries (<script id="shsim-data">) and draws it. Charts
// are Chart.js charts; tables and text are DOM nodes built with textContent (never HTML strings
// from data). When it has drawn everything it sets document.body.dataset.ready = "true" and
// window.shsimCharts to the charts it made (tests/test_report.cpp checks them in Chromium).
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('shsim-data').textContent);
  const root = document.getElementById('report');
  const charts = [];
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf',
                   '#7f7f7f', '#bcbd22'];
  Chart.defaults.animation = false;
  Chart.defaults.font.size = 12;

  // ---- the page's building blocks ----
  const style = document.createElement('style');
  style.textContent = `
    body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
    #report { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
    h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
    h3 { font-size: 15px; margin: 18px 0 6px; }
    .sub { color: #666; margin-bottom: 12px; }
    table { border-collapse: collapse; margin: 6px 0 12px; background: #fff; }
    th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; font-variant-numeric: tabular-nums; }
    th { background: #f0f0f0; }
    .ok { color: #17692a; font-weight: 600; } .bad { color: #b00020; font-weight: 600; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 14px; }
    .chart { background: #fff; border: 1px solid #e2e2e2; border-radius: 4px; padding: 8px; height: 300px; position: relative; }
    .chart.tall { height: 380px; }
    .note { color: #555; font-size: 13px; margin: 4px 0 10px; }
    details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
    pre { background: #fff; border: 1px solid #e2e2e2; padding: 10px; overflow: auto; max-height: 520px; font-size: 12px; white-space: pre-wrap; }`;
  document.head.appendChild(style);

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function add(parent, tag, text, cls) { return parent.appendChild(el(tag, text, cls)); }
  function num(x, digits) {
    if (x === null || x === undefined) return '–';
    if (typeof x !== 'number') return String(x);
    if (x !== 0 && (Math.abs(x) >= 1e7 || Math.abs(x) < 1e-3)) return x.toExponential(3);
    return Number.isInteger(x) ? x.toLocaleString('en') : x.toLocaleString('en', {maximumFractionDigits: digits ?? 4});
  }
  function table(parent, headers, rows) {
    const t = add(parent, 'table');
    const head = add(t, 'tr');
    headers.forEach(h => add(head, 'th', h));
    rows.forEach(row => {
      const tr = add(t, 'tr');
      row.forEach(cell => {
        if (cell && typeof cell === 'object' && 'text' in cell) add(tr, 'td', cell.text, cell.cls);
        else add(tr, 'td', typeof cell === 'number' ? num(cell) : cell);
      });
    });
    return t;
  }
  function verdict(good, text) { return {text: text, cls: good ? 'ok' : 'bad'}; }

  // Adversary windows and outages, shaded and labelled on every chart over simulated time.
  const windowsPlugin = {
    id: 'shsimWindows',
    beforeDatasetsDraw(chart, _args, options) {
      const windows = options.windows || [];
      if (!windows.length) return;
      const {ctx, chartArea, scales} = chart;
      ctx.save();
      windows.forEach((w, i) => {
        const x0 = Math.max(chartArea.left, scales.x.getPixelForValue(w.from));
        const x1 = Math.min(chartArea.right, scales.x.getPixelForValue(w.until));
        if (!(x1 > x0)) return;
        ctx.fillStyle = i % 2 ? 'rgba(214, 39, 40, 0.10)' : 'rgba(255, 127, 14, 0.13)';
        ctx.fillRect(x0, chartArea.top, x1 - x0, chartArea.bottom - chartArea.top);
        ctx.fillStyle = '#8a3b00';
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillText(w.label, x0 + 3, chartArea.top + 12 + 12 * (i % 3));
      });
      ctx.restore();
    }
  };
  Chart.register(windowsPlugin);

  function chart(parent, title, config, tall) {
    const box = add(parent, 'div', null, tall ? 'chart tall' : 'chart');
    const canvas = add(box, 'canvas');
    canvas.setAttribute('aria-label', title);
    config.options = config.options || {};
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    config.options.plugins = Object.assign({title: {display: true, text: title}}, config.options.plugins || {});
    charts.push(new Chart(canvas, config));
  }
  function axis(label, extra) { return Object.assign({title: {display: true, text: label}}, extra || {}); }
  function timeChart(parent, title, datasets, yLabel, windows, extra) {
    chart(parent, title, {
      type: 'line',
      data: {datasets: datasets.map((d, i) => Object.assign({
        borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
        pointRadius: 0, borderWidth: 1.6, spanGaps: false, stepped: d.stepped ? 'before' : false}, d))},
      options: Object.assign({
        parsing: false, normalized: true,
        scales: {x: axis('simulated time (s)', {type: 'linear'}), y: axis(yLabel, {beginAtZero: true})},
        plugins: {shsimWindows: {windows: windows}}}, extra || {})
    });
  }
  function points(xs, ys) {
    const out = [];
    for (let i = 0; i < xs.length; ++i) out.push({x: xs[i], y: ys[i] === undefined ? null : ys[i]});
    return out;
  }
  function unit(name) { return (data.series_units || {})[name] || ''; }

  // ---- a run ----
  function runReport() {
    const s = data.summary;
    const run = s.run || {};
    const chains = s.chains || {};
    const parentName = Object.keys(chains).find(c => 'validators' in chains[c]);
    add(root, 'h1', 'shsim report: ' + data.title);
    add(root, 'div', `seed ${run.seed}, ${num(run.simulated_seconds)} s simulated, ${run.nodes} nodes` +
        (parentName ? `, parent ${parentName} (${chains[parentName].protocol}, ${chains[parentName].validators} validators)` : '') +
        `, ${num(run.events_processed)} events`, 'sub');

    // Verdicts first.
    add(root, 'h2', 'Verdicts');
    const rows = [];
    for (const [name, c] of Object.entries(chains)) {
      const violations = c.safety_violations ?? 0;
      const live = c.liveness;
      rows.push([name, c.protocol || '',
                 verdict(violations === 0, violations === 0 ? 'safe' : `${violations} violation(s)`),
                 live ? verdict(live.stalls === 0, live.stalls === 0 ? 'live' : `${live.stalls} stall(s), longest gap ${num(live.longest_gap, 1)} s`)
                      : {text: '–'}]);
    }
    for (const [name, b] of Object.entries(s.bridges || {}))
      rows.push([name, 'bridge to ' + b.child, verdict((b.safety_violations ?? 0) === 0,
                 (b.safety_violations ?? 0) === 0 ? 'safe' : `${b.safety_violations} violation(s)`), {text: '–'}]);
    table(root, ['chain', 'protocol', 'safety', 'liveness'], rows);
    const expectations = s.expectations || [];
    if (expectations.length) {
      add(root, 'h3', 'Expectations');
      table(root, ['expectation', 'actual', 'verdict'], expectations.map(e =>
        [e.expectation, e.actual === null ? 'no samples' : num(e.actual), verdict(e.passed, e.passed ? 'passed' : 'FAILED')]));
    }
    const security = Object.entries(chains).filter(([, c]) => c.economic_security);
    if (security.length) {
      add(root, 'h3', 'Economic security');
      table(root, ['chain', 'cost of corruption', 'profit from corruption', 'cost / profit', 'cheapest attack', 'verdict'],
            security.map(([name, c]) => {
              const e = c.economic_security;
              return [name, num(e.cost_of_corruption), num(e.profit_from_corruption), num(e.cost_to_profit_ratio),
                      e.cheapest_attack || '–', e.stated === false ? {text: 'not stated'} : verdict(e.secure, e.secure ? 'secure' : 'insecure')];
            }));
    }

    for (const [name, a] of Object.entries(s.applications || {})) {
      const links = (a.economic_security || {}).links;
      if (!links || !links.length) continue;
      add(root, 'h3', `What ${name} rests on (the weakest link: ${a.economic_security.weakest_link})`);
      table(root, ['link', 'cost of corruption', 'profit from corruption', 'cost / profit', 'cheapest attack'],
            links.map(l => [l.link === a.economic_security.weakest_link ? {text: l.link + ' (weakest)', cls: 'bad'} : l.link,
                            num(l.cost), num(l.profit), num(l.cost_to_profit_ratio), l.how || '–']));
    }

    const windows = (data.windows || []).slice();
    if (windows.length)
      add(root, 'div', 'Shaded: ' + windows.map(w => `${w.label} ${num(w.from)}–${num(w.until)} s`).join('; '), 'note');

    const series = data.series || {};
    if (parentName && series[parentName]) {
      const p = series[parentName];
      add(root, 'h2', `Parent chain: ${parentName}`);
      const grid = add(root, 'div', null, 'grid');
      const heads = ['head.included', 'head.final', 'head.best'].filter(n => p[n]);
      timeChart(grid, 'Heads', heads.map(n => ({label: n, data: points(p.time, p[n]), stepped: true})), 'height (blocks)', windows);
      // Mean block interval between samples where the head moved: spikes where it stalled.
      const interval = [];
      let lastTime = null, lastHeight = null;
      const h = p['head.included'] || [];
      for (let i = 0; i < p.time.length; ++i) {
        if (h[i] === null) continue;
        if (lastHeight !== null && h[i] > lastHeight) interval.push({x: p.time[i], y: (p.time[i] - lastTime) / (h[i] - lastHeight)});
        if (lastHeight === null || h[i] > lastHeight) { lastTime = p.time[i]; lastHeight = h[i]; }
      }
      timeChart(grid, 'Block interval (mean between samples where the head moved)', [{label: 'block interval', data: interval}], 's', windows);
      timeChart(grid, 'Finality lag (time since the newest final block)', [{label: 'finality lag', data: points(p.time, p.finality_lag)}], 's', windows);
      const share = ['stake.online', 'participation'].filter(n => p[n]);
      timeChart(grid, 'Online stake', share.map(n => ({label: n, data: points(p.time, p[n]), stepped: true})), 'share', windows,
                {scales: {x: axis('simulated time (s)', {type: 'linear'}), y: axis('share', {min: 0, max: 1.05})}});
      timeChart(grid, 'Pending transactions', [{label: 'pool.pending', data: points(p.time, p['pool.pending'])}], 'transactions', windows);
      if (p['messages.rate'])
        timeChart(grid, 'Messages sent by the parent\'s nodes', [{label: 'messages.rate', data: points(p.time, p['messages.rate'])}], '1/s', windows);
      if (p['epoch.justified'])
        timeChart(grid, 'Checkpoints', ['epoch.justified', 'epoch.finalized'].map(n => ({label: n, data: points(p.time, p[n]), stepped: true})), 'epoch', windows);
    }

    // Child chains: heads, lags, the CDF of each stage.
    for (const [name, c] of Object.entries(chains)) {
      if (name === parentName) continue;
      add(root, 'h2', `Child chain: ${name} (${c.protocol})`);
      const grid = add(root, 'div', null, 'grid');
      const cs = series[name];
      if (cs) {
        const heads = ['head.unsafe', 'head.safe', 'head.finalized', 'head.settled'].filter(n => cs[n]);
        timeChart(grid, 'Heads (unsafe → safe → finalized → settled)', heads.map(n => ({label: n, data: points(cs.time, cs[n]), stepped: true})), 'blocks', windows);
        timeChart(grid, 'Lag of the finalized and settled heads', ['finality_lag', 'settlement_lag'].filter(n => cs[n])
                  .map(n => ({label: n, data: points(cs.time, cs[n])})), 's', windows);
      }
      const stages = (data.stages || {})[name] || {};
      for (const [kind, stageList] of Object.entries(stages)) {
        const byStage = Object.fromEntries(stageList);
        const names = stageList.map(([st]) => st).filter(st => byStage[st].length);
        if (!names.length) continue;
        chart(grid, `${kind === 'withdrawal' ? 'Withdrawal' : 'Transaction'} stages: CDF of the time from submission`, {
          type: 'line',
          data: {datasets: names.map((st, i) => ({label: st, data: byStage[st].map(([x, y]) => ({x: Math.max(x, 1e-3), y})),
            borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 0,
            borderWidth: 1.6, stepped: 'before'}))},
          options: {parsing: false, scales: {x: axis('seconds since submission (log)', {type: 'logarithmic'}),
                                              y: axis('share reached', {min: 0, max: 1})}}
        });
      }
    }

    // Applications: a reference price, oracles, venues, collateral, each with what it draws over time.
    for (const [name, a] of Object.entries(s.applications || {})) {
      const as = series[name];
      add(root, 'h2', `Application: ${name} (${a.application || 'application'})`);
      const grid = add(root, 'div', null, 'grid');
      const drawn = new Set(['messages.rate', 'bytes.rate', 'nodes.online']);
      const ref = a.reference && series[a.reference] ? series[a.reference] : null;
      const line = (title, names, yLabel, stepped) => {
        const present = names.filter(n => as && as[n]);
        if (!present.length) return;
        present.forEach(n => drawn.add(n));
        timeChart(grid, title, present.map(n => ({label: n, data: points(as.time, as[n]), stepped: !!stepped})), yLabel, windows);
      };
      const against = (title, own) => {
        if (!as || !as[own]) return;
        drawn.add(own);
        const sets = [{label: own, data: points(as.time, as[own]), stepped: true}];
        if (ref && ref.price) sets.push({label: 'reference price', data: points(ref.time, ref.price)});
        timeChart(grid, title, sets, 'price', windows);
      };
      if (a.application === 'perp_venue') {
        against('The venue\'s price against the reference', 'price');
        line('Staleness: age of the price the venue uses', ['venue.staleness'], 's');
        line('Liquidations so far', ['venue.liquidations'], 'positions', true);
        line('Bad debt so far', ['venue.bad_debt'], 'currency', true);
        line('Insurance fund', ['venue.insurance_fund'], 'currency', true);
        line('Open interest', ['venue.open_interest'], 'currency');
        line('Collateral in transit through the bridge', ['collateral.in_transit'], 'currency', true);
      } else if (a.application === 'oracle_network') {
        against('The oracle\'s value on its chain against the reference', 'oracle.value');
        line('Age of the newest value on chain', ['oracle.age'], 's');
        line('Distance from the reference price', ['oracle.deviation'], 'share');
        line('Epoch (a new one: a new leader)', ['oracle.epoch'], 'epoch', true);
      }
      if (as)
        for (const n of Object.keys(as))
          if (n !== 'time' && !drawn.has(n)) line(n, [n], unit(n));
      const stages = (data.stages || {})[name] || {};
      for (const [kind, stageList] of Object.entries(stages)) {
        const byStage = Object.fromEntries(stageList);
        const names = stageList.map(([st]) => st).filter(st => byStage[st].length);
        if (!names.length) continue;
        chart(grid, `${kind === 'report' ? 'Report' : kind} stages: CDF of the time from observation`, {
          type: 'line',
          data: {datasets: names.map((st, i) => ({label: st, data: byStage[st].map(([x, y]) => ({x: Math.max(x, 1e-3), y})),
            borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 0,
            borderWidth: 1.6, stepped: 'before'}))},
          options: {parsing: false, scales: {x: axis('seconds since observation (log)', {type: 'logarithmic'}),
                                              y: axis('share reached', {min: 0, max: 1})}}
        });
      }
    }

    // Traffic per region.
    const regions = Object.entries(run.traffic_per_region || {});
    if (regions.length) {
      add(root, 'h2', 'Traffic per region');
      const grid = add(root, 'div', null, 'grid');
      const labels = regions.map(([r]) => r);
      const nodes = run.nodes_per_region || {};
      chart(grid, 'Messages sent', {type: 'bar', data: {labels: labels, datasets: [
        {label: 'messages', data: regions.map(([, t]) => t.messages), backgroundColor: palette[0]}]},
        options: {scales: {y: axis('messages', {beginAtZero: true})}}});
      chart(grid, 'Bytes sent', {type: 'bar', data: {labels: labels, datasets: [
        {label: 'bytes', data: regions.map(([, t]) => t.bytes), backgroundColor: palette[2]}]},
        options: {scales: {y: axis('bytes', {beginAtZero: true})}}});
      table(root, ['region', 'nodes', 'messages', 'bytes'], regions.map(([r, t]) => [r, nodes[r] ?? 0, t.messages, t.bytes]));
    }

    // A sequence diagram of the first heights.
    add(root, 'h2', 'The first heights, message by message');
    if (data.sequence && data.sequence.arrows.length) {
      const seq = data.sequence;
      const kinds = [...new Set(seq.arrows.map(a => a.kind))];
      const datasets = kinds.map((kind, i) => {
        const pts = [];
        seq.arrows.filter(a => a.kind === kind).forEach(a => { pts.push({x: a.sent, y: a.from}); pts.push({x: a.arrives, y: a.to}); pts.push({x: a.arrives, y: null}); });
        return {label: kind, data: pts, showLine: true, spanGaps: false, borderColor: palette[i % palette.length],
                backgroundColor: palette[i % palette.length], pointRadius: 1.5, borderWidth: 1};
      });
      if (seq.commits.length)
        datasets.push({label: 'commit', data: seq.commits.map(c => ({x: c.time, y: c.node})), showLine: false,
                       pointStyle: 'rectRot', pointRadius: 6, borderColor: '#000', backgroundColor: '#ffd400'});
      const span = seq.first_height >= 0 ? `heights ${seq.first_height}–${seq.first_height + 2}`
                                         : `the first ${seq.span} s of messages`;
      chart(root, `Messages between validators 0–${seq.validators - 1}, ${span}`, {
        type: 'scatter', data: {datasets: datasets},
        options: {parsing: false, scales: {x: axis('simulated time (s)', {type: 'linear'}),
          y: axis('validator', {reverse: true, min: -0.5, max: seq.validators - 0.5,
                   afterBuildTicks: scale => { scale.ticks = [...Array(seq.validators).keys()].map(v => ({value: v})); },
                   ticks: {callback: v => 'validator ' + v}})}}
      }, true);
      add(root, 'div', 'Each line is one message from its sender (at the time it left) to its receiver (when it arrived); ' +
          'diamonds are commits.', 'note');
    } else {
      add(root, 'div', 'Not recorded: run a small scenario with output.messages: true (or shsim run --explain) to see ' +
          'every proposal and vote between the first validators.', 'note');
    }

    if (data.explain) {
      const d = add(root, 'details');
      d.open = true;
      add(d, 'summary', 'What happened, in order (shsim run --explain)');
      add(d, 'pre', data.explain);
    }
    if (data.scenario_yaml) {
      const d = add(root, 'details');
      add(d, 'summary', 'The scenario as run (scenario.resolved.yaml)');
      add(d, 'pre', data.scenario_yaml);
    }
  }

  // ---- a sweep ----
  function sweepReport() {
    const pts = data.points;
    const col = name => pts.columns.indexOf(name);
    const axes = pts.columns.slice(1, col('metric'));
    const metrics = [...new Set(pts.rows.map(r => r[col('metric')]))];
    add(root, 'h1', 'shsim sweep report: ' + data.title);
    const pointCount = new Set(pts.rows.map(r => r[0])).size;
    const failed = data.runs ? data.runs.rows.filter(r => r[data.runs.columns.indexOf('status')] !== 'ok').length : 0;
    add(root, 'div', `${pointCount} points over ${axes.length} axis/axes (${axes.join(', ')}), ${metrics.length} metrics` +
        (data.runs ? `, ${data.runs.rows.length} runs (${failed} failed)` : ''), 'sub');
    add(root, 'h2', 'Every metric against each axis (mean and 95 % interval)');
    for (const metric of metrics) {
      const rows = pts.rows.filter(r => r[col('metric')] === metric);
      const metricUnit = rows.length ? rows[0][col('unit')] : '';
      add(root, 'h3', metric + (metricUnit ? ` (${metricUnit})` : ''));
      const grid = add(root, 'div', null, 'grid');
      for (const ax of axes) {
        const others = axes.filter(a => a !== ax);
        const groups = new Map();
        rows.forEach(r => {
          const key = others.map(o => `${o}=${r[col(o)]}`).join(', ');
          if (!groups.has(key)) groups.set(key, []);
          groups.get(key).push(r);
        });
        const xs = rows.map(r => r[col(ax)]).filter(x => typeof x === 'number');
        const logX = xs.length && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 20;
        const datasets = [];
        [...groups.entries()].forEach(([key, group], i) => {
          group.sort((a, b) => a[col(ax)] - b[col(ax)]);
          const color = palette[i % palette.length];
          const at = (r, c) => ({x: r[col(ax)], y: r[col(c)]});
          datasets.push({label: '_low', data: group.map(r => at(r, 'ci95_low')), borderWidth: 0, pointRadius: 0,
                         backgroundColor: color + '22', fill: false});
          datasets.push({label: '_high', data: group.map(r => at(r, 'ci95_high')), borderWidth: 0, pointRadius: 0,
                         backgroundColor: color + '22', fill: '-1'});
          datasets.push({label: key || metric, data: group.map(r => at(r, 'mean')), borderColor: color,
                         backgroundColor: color, pointRadius: 3, borderWidth: 1.8});
        });
        chart(grid, `${metric} against ${ax}`, {
          type: 'line', data: {datasets: datasets},
          options: {parsing: false, scales: {x: axis(ax + (logX ? ' (log)' : ''), {type: logX ? 'logarithmic' : 'linear'}), y: axis(metric)},
                    plugins: {legend: {labels: {filter: item => !item.text.startsWith('_')}}}}
        });
      }
    }
    if (data.boundaries && data.boundaries.rows.length) {
      const b = data.boundaries;
      const bc = name => b.columns.indexOf(name);
      const estimate = b.columns[bc('metric') + 4];
      add(root, 'h2', 'Boundaries found by --find');
      table(root, b.columns, b.rows.map(r => r.map(x => x === null ? '' : x)));
      const bAxes = b.columns.slice(1, bc('metric'));
      const grid = add(root, 'div', null, 'grid');
      for (const ax of bAxes) {
        const found = b.rows.filter(r => r[bc('status')] === 'found').sort((p, q) => p[bc(ax)] - q[bc(ax)]);
        chart(grid, `Frontier: ${estimate} where ${found.length ? found[0][bc('metric')] + ' ' + found[0][bc('condition')] : 'the condition'} flips, against ${ax}`, {
          type: 'line', data: {datasets: [
            {label: '_low', data: found.map(r => ({x: r[bc(ax)], y: r[bc('metric') + 2]})), borderWidth: 0, pointRadius: 0, backgroundColor: '#1f77b433'},
            {label: '_high', data: found.map(r => ({x: r[bc(ax)], y: r[bc('metric') + 3]})), borderWidth: 0, pointRadius: 0, backgroundColor: '#1f77b433', fill: '-1'},
            {label: 'boundary', data: found.map(r => ({x: r[bc(ax)], y: r[bc('metric') + 4]})), borderColor: palette[0], backgroundColor: palette[0], pointRadius: 3}]},
          options: {parsing: false, scales: {x: axis(ax, {type: 'linear'}), y: axis(estimate)},
                    plugins: {legend: {labels: {filter: item => !item.text.startsWith('_')}}}}
        });
      }
    }
    const d = add(root, 'details');
    add(d, 'summary', 'Every point (points.csv)');
    table(d, pts.columns, pts.rows.map(r => r.map(x => x === null ? '' : x)));
  }

  if (data.kind === 'sweep') sweepReport(); else runReport();
  window.shsimCharts = charts;
  document.body.dataset.ready = 'true';
})();
