// The operations page (issue 26): the live match dashboard for the operations room.
// Plain browser JavaScript, no build step: it signs staff in, reads
// GET /admin/dashboard/match/{id}, follows the WebSocket …/live, draws the sales chart
// with uPlot and re-reads a sector's seat map SVG whenever its counts change.
(() => {
  'use strict';
  const matchId = location.pathname.split('/').filter(Boolean).at(-1);
  const TOKEN_KEY = 'hns-ops-token';
  const $ = (id) => document.getElementById(id);
  let socket = null;
  let chart = null;
  let retry = 1000;
  const sectorState = new Map();

  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const euros = (cents) => (cents / 100).toLocaleString('hr-HR', { minimumFractionDigits: 2 });
  const pct = (rate) => (rate === null ? '–' : `${(rate * 100).toFixed(1)} %`);

  async function api(path) {
    const res = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
    if (res.status === 401) {
      signOut('Your session ended, please sign in again.');
      throw new Error('unauthenticated');
    }
    return res;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (socket) socket.close();
    socket = null;
    $('board').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }

  function render(d) {
    document.title = `HNS operations · ${d.match.home_team} – ${d.match.away_team}`;
    $('title').textContent = `${d.match.home_team} – ${d.match.away_team}`;
    const t = d.totals;
    $('k-sold').textContent = t.sold;
    $('k-available').textContent = t.available;
    $('k-reserved').textContent = t.reserved.total;
    $('k-reserved-detail').textContent =
      `carts ${t.reserved.carts} · paying ${t.reserved.orders} · quota ${t.reserved.quota} · petrol ${t.reserved.petrol}`;
    $('k-revenue').textContent = euros(t.revenue);
    $('k-opm').textContent = d.pace.orders_per_minute;
    $('k-pay').textContent = pct(d.payments.success_rate);
    $('k-pay-detail').textContent = `${d.payments.succeeded} ok · ${d.payments.failed} failed`;
    $('k-queue').textContent = d.queue.waiting;
    $('k-queue-detail').textContent =
      `${d.queue.active} buying · ${d.queue.admitted_per_minute ?? 0}/min admitted`;

    const body = $('sectors').tBodies[0];
    body.replaceChildren(
      ...d.sectors.map((s) => {
        const tr = document.createElement('tr');
        tr.dataset.sector = s.code;
        const other = s.seats - s.counts.SOLD - s.counts.AVAILABLE - s.reserved.total;
        for (const v of [
          s.code,
          s.seats,
          s.counts.SOLD,
          s.counts.AVAILABLE,
          s.reserved.total,
          other,
        ]) {
          const td = document.createElement('td');
          td.textContent = v;
          tr.append(td);
        }
        return tr;
      }),
    );
    drawChart(d.pace.last_hour);
    for (const s of d.sectors) refreshMap(s);
  }

  function drawChart(points) {
    if (!window.uPlot) return;
    const data = [
      points.map((p) => Date.parse(p.minute) / 1000),
      points.map((p) => p.orders),
      points.map((p) => p.tickets),
    ];
    if (!chart) {
      chart = new window.uPlot(
        {
          width: Math.min(900, document.body.clientWidth - 40),
          height: 220,
          series: [
            {},
            { label: 'orders', stroke: '#c8102e' },
            { label: 'tickets', stroke: '#1565c0' },
          ],
        },
        data,
        $('chart'),
      );
    } else {
      chart.setData(data);
    }
  }

  async function refreshMap(sector) {
    const key = JSON.stringify(sector.counts) + JSON.stringify(sector.reserved);
    if (sectorState.get(sector.match_sector_id) === key) return;
    sectorState.set(sector.match_sector_id, key);
    let figure = document.querySelector(`figure[data-sector="${sector.match_sector_id}"]`);
    if (!figure) {
      figure = document.createElement('figure');
      figure.dataset.sector = sector.match_sector_id;
      $('maps').append(figure);
    }
    const res = await api(
      `/admin/matches/${matchId}/sectors/${sector.match_sector_id}/seat-map.svg`,
    );
    if (!res.ok) {
      figure.textContent = `Sector ${sector.code}: seat map not available (${res.status})`;
      return;
    }
    // Our own API's SVG (escaped by its renderer), shown inline: the CSP allows no blob: images.
    figure.innerHTML = await res.text();
    figure.dataset.version = String(Number(figure.dataset.version || 0) + 1);
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(
      `${proto}://${location.host}/admin/dashboard/match/${matchId}/live?access_token=${encodeURIComponent(token())}`,
    );
    socket.onopen = () => {
      retry = 1000;
      $('live').textContent = 'live';
      $('live').classList.add('on');
    };
    socket.onmessage = (event) => render(JSON.parse(event.data));
    socket.onclose = () => {
      $('live').textContent = 'offline';
      $('live').classList.remove('on');
      if (!token()) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  async function start() {
    $('login').hidden = true;
    $('board').hidden = false;
    $('logout').hidden = false;
    try {
      const res = await api(`/admin/dashboard/match/${matchId}`);
      if (!res.ok) {
        const problem = await res.json();
        $('error').textContent = `${problem.title}: ${problem.detail ?? ''}`;
        return;
      }
      render(await res.json());
      connect();
    } catch (err) {
      if (err.message !== 'unauthenticated') $('error').textContent = String(err);
    }
  }

  $('sso-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const drupal_token = new FormData(event.target).get('drupal_token');
    const res = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drupal_token, device_id: 'ops-page' }),
    });
    if (!res.ok) {
      $('login-error').textContent = (await res.json()).title;
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, (await res.json()).access_token);
    start();
  });
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, new FormData(event.target).get('access_token'));
    start();
  });
  $('logout').addEventListener('click', () => signOut());

  if (token()) start();
  else signOut();
})();
