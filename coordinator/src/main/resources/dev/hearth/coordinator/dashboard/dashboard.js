// Hearth run dashboard: polls /api/status and /api/leaderboard and redraws. Everything from the server is
// written with textContent (node ids are chosen by strangers), never parsed as HTML.
(function () {
  'use strict';
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

  function bytes(n) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }
  function count(n) { return Number(n).toLocaleString(); }

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
      const cells = [String(i + 1), r.nodeId + (r.quarantined ? ' (quarantined)' : ''), count(r.credits), count(r.rounds)];
      cells.forEach((text, c) => {
        const td = document.createElement('td');
        td.textContent = text;
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
