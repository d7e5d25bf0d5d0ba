// Hearth run dashboard: polls /api/status and /api/leaderboard and redraws. Everything from the server is
// written with textContent (node ids are chosen by strangers), never parsed as HTML.

// How sizes and credits read: the same as the app, `hearth status` and the log (dev.hearth.node.api.Units).
// Sizes are binary with IEC symbols (45,356 bytes is "44 KiB"; one decimal below 10 of a unit); credits have one
// decimal and thousands grouped ("40,960.0"). Node.js loads this part alone in DashboardServerTest.
const HearthUnits = (function () {
  'use strict';
  const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  // en-US grouping, as the app's Locale.ROOT formatter: the page must not read "40.960,0" on a German browser
  const CREDITS = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  function bytes(n) {
    n = Number(n);
    if (!(n >= 0)) return 'unknown';
    if (n < 1024) return n + ' B';
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < BYTE_UNITS.length - 1) { value /= 1024; unit++; }
    // 1023.96 KiB would round to "1024 KiB": show it as the next unit instead
    if (Math.round(value) >= 1024 && unit < BYTE_UNITS.length - 1) { value /= 1024; unit++; }
    return (value < 9.95 ? value.toFixed(1) : value.toFixed(0)) + ' ' + BYTE_UNITS[unit];
  }
  function credits(c) {
    const n = Number(c);
    return Number.isNaN(n) ? '—' : CREDITS.format(n);
  }
  function count(n) { return COUNT.format(Number(n)); }
  return { bytes: bytes, credits: credits, count: count };
})();
if (typeof module !== 'undefined') module.exports = HearthUnits;

(function () {
  'use strict';
  if (typeof document === 'undefined') return; // loaded by Node.js for its formatting only
  const POLL_MS = 5000;
  const $ = (id) => document.getElementById(id);
  const lossChart = echarts.init($('lossChart'), 'dark');
  const durationChart = echarts.init($('durationChart'), 'dark');
  window.addEventListener('resize', () => { lossChart.resize(); durationChart.resize(); });

  const base = {
    backgroundColor: 'transparent',
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 32, bottom: 32 },
    xAxis: { type: 'value', name: 'version', minInterval: 1 },
  };
  lossChart.setOption(Object.assign({}, base, {
    legend: { data: ['training', 'validation'] },
    yAxis: { type: 'value', scale: true },
    series: [
      { name: 'training', type: 'line', showSymbol: false, connectNulls: true, data: [] },
      { name: 'validation', type: 'line', showSymbol: true, connectNulls: true, data: [] },
    ],
  }));
  durationChart.setOption(Object.assign({}, base, {
    yAxis: { type: 'value', min: 0 },
    series: [{ name: 'duration', type: 'bar', data: [] }],
  }));

  const bytes = HearthUnits.bytes;
  const count = HearthUnits.count;

  function showStatus(s) {
    document.title = 'Hearth · ' + s.name;
    $('name').textContent = s.name;
    $('runid').textContent = 'run ' + s.runId;
    $('phase').textContent = s.phase.replace(/_/g, ' ').toLowerCase();
    $('version').textContent = count(s.version) + ' / ' + count(s.totalRounds);
    $('round').textContent = count(s.round);
    $('nodes').textContent = count(s.nodesOnline);
    $('tokens').textContent = count(s.tokens);
    $('bytesIn').textContent = bytes(s.bytesIn);
    $('bytesOut').textContent = bytes(s.bytesOut);
    $('sample').textContent = s.sample || '(no sample yet)';
    // what each node trains on, in its own words (GPU and micro-batch, or the CPU and why)
    $('devices').textContent = (s.devices && s.devices.length) ? s.devices.join('\n') : '(no node connected)';
    $('fault').hidden = !s.fault;
    $('fault').textContent = s.fault ? 'The run is not advancing: ' + s.fault : '';
    lossChart.setOption({ series: [
      { data: s.history.map((p) => [p.version, p.meanLoss]) },
      { data: s.history.filter((p) => p.valLoss !== null).map((p) => [p.version, p.valLoss]) },
    ] });
    durationChart.setOption({ series: [{ data: s.history.map((p) => [p.version, p.durationMillis / 1000]) }] });
  }

  function showLeaderboard(rows) {
    const body = $('leaderboard');
    body.replaceChildren();
    rows.forEach((r, i) => {
      const tr = document.createElement('tr');
      const cells = [String(i + 1), r.nodeId + (r.quarantined ? ' (quarantined)' : ''), HearthUnits.credits(r.credits),
        count(r.rounds)];
      cells.forEach((text, c) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (c === 1) { td.className = 'node'; td.title = text; } // cut with an ellipsis; the whole id on hover
        if (c >= 2) td.className = 'num';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  async function poll() {
    try {
      const [status, board] = await Promise.all([
        fetch('/api/status', { cache: 'no-store' }).then((r) => r.json()),
        fetch('/api/leaderboard', { cache: 'no-store' }).then((r) => r.json()),
      ]);
      showStatus(status);
      showLeaderboard(board);
      $('error').textContent = '';
    } catch (e) {
      $('error').textContent = 'coordinator unreachable (' + e.message + ')';
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }
  poll();
})();
