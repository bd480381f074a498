// The page of the accelerator lab: polls GET /state, animates the ring and
// draws this run's charts. Plain Canvas 2D, no library, no build step.
'use strict';

(() => {
  const E_INJ = 450e9;
  const E_TOP = 6.8e12;
  const WINDOW_S = 30;
  const TOP_DEFICIT = 2.854;
  const POLL_MS = 200;

  const ring = document.getElementById('ring');
  const ctx = ring.getContext('2d');
  const CX = ring.width / 2;
  const CY = ring.height / 2;
  const R = 200;
  // The kick zone (RF cavity) sits at 12 o'clock; canvas angles grow clockwise.
  const KICK_AT = -Math.PI / 2;
  const KICK_HALF = 0.13;

  const $ = (id) => document.getElementById(id);
  const ui = {
    start: $('start'), abort: $('abort'), status: $('status'), duration: $('duration'),
    energy: $('energy'), gamma: $('gamma'), deficit: $('deficit'), kick: $('kick'),
    load: $('load'), loadBar: $('load-bar'), message: $('message'),
  };
  for (const el of document.querySelectorAll('.origin')) el.textContent = location.origin;

  let snap = null;          // last /state document
  let runId = null;         // run the charts belong to
  let lastElapsed = 0;      // duration shown once a run has ended
  let points = [];          // {t, e, d} of this run
  let angle = 0;            // particle position, radians from 3 o'clock
  let lastFrame = null;
  let waves = [];           // start times (ms) of red arcs leaving the kick zone
  let inflight = false;

  const hasBeam = (s) => s && (s.state === 'accelerating' || s.state === 'colliding');

  // ω = 1 + 11·(E − E_inj)/(E_top − E_inj): 1 rad/s at injection, 12 at flat-top.
  function omega(s) {
    if (!hasBeam(s)) return 0;
    const x = (s.energy_ev - E_INJ) / (E_TOP - E_INJ);
    return 1 + 11 * Math.min(Math.max(x, 0), 1);
  }

  function statusOf(s) {
    switch (s.state) {
      case 'accelerating': return ['ACCELERATING', 'busy'];
      case 'colliding': return ['COLLIDING', 'good'];
      case 'quenched': return ['QUENCHED', 'bad'];
      case 'timed_out': return ['TIMED OUT', 'bad'];
      default:
        if (s.last_outcome === 'success') return ['SUCCESS', 'good'];
        if (s.last_outcome === 'aborted') return ['ABORTED', ''];
        return ['STOPPED', ''];
    }
  }

  function fmtDeficit(d) {
    return d >= 100 ? d.toFixed(1) : d >= 10 ? d.toFixed(2) : d.toFixed(3);
  }

  function render(s) {
    const [text, cls] = statusOf(s);
    ui.status.textContent = text;
    ui.status.className = 'status' + (cls ? ' ' + cls : '');
    const beam = hasBeam(s);
    if (beam) lastElapsed = s.elapsed_seconds;
    const ramp = s.ramp_seconds != null ? `flat-top at ${s.ramp_seconds.toFixed(2)} s` : '';
    if (beam || lastElapsed > 0) {
      ui.duration.textContent = lastElapsed.toFixed(1) + ' s' + (ramp ? ` (${ramp})` : '');
    } else {
      ui.duration.textContent = ramp || '–';
    }
    ui.energy.textContent = beam ? (s.energy_ev / 1e12).toFixed(3) + ' TeV' : 'no beam';
    ui.gamma.textContent = beam ? s.gamma.toFixed(1) : '–';
    ui.deficit.textContent = beam ? fmtDeficit(s.speed_deficit_m_s) + ' m/s' : '–';
    ui.kick.textContent = s.kick_power + (s.kick_power >= 50 ? ' (over the quench limit)' : '');
    const load = s.magnet_load_ratio;
    ui.load.textContent = s.state === 'accelerating'
      ? (load * 100).toFixed(0) + ' % of limit'
      : 'idle';
    ui.loadBar.style.width = Math.min(load * 100, 100) + '%';
    ui.loadBar.classList.toggle('hot', load >= 0.9);
    ui.start.disabled = beam;
    ui.abort.disabled = !beam;
  }

  function record(s) {
    if (s.run_id !== runId) {
      runId = s.run_id;
      points = [];
      waves = [];
      angle = 0;
      lastElapsed = 0;
    }
    if (!hasBeam(s)) return;
    const last = points[points.length - 1];
    if (!last || s.elapsed_seconds > last.t) {
      points.push({ t: s.elapsed_seconds, e: s.energy_ev, d: s.speed_deficit_m_s });
    }
  }

  async function poll() {
    if (inflight) return;
    inflight = true;
    try {
      const response = await fetch('/state', { cache: 'no-store' });
      if (!response.ok) throw new Error('GET /state answered ' + response.status);
      const s = await response.json();
      record(s);
      snap = s;
      render(s);
      drawCharts();
    } catch (e) {
      ui.status.textContent = 'OFFLINE';
      ui.status.className = 'status bad';
    } finally {
      inflight = false;
    }
  }

  async function post(path) {
    ui.message.textContent = '';
    try {
      const response = await fetch(path, { method: 'POST' });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        ui.message.textContent = body.error || `${path} answered ${response.status}`;
      }
    } catch (e) {
      ui.message.textContent = 'server unreachable';
    }
    await poll();
  }

  ui.start.addEventListener('click', () => post('/start'));
  ui.abort.addEventListener('click', () => post('/abort'));

  // ---- the ring --------------------------------------------------------

  function drawRing(now) {
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, ring.width, ring.height);

    // Kick zone: an annular sector, bounded by red gate lines.
    ctx.beginPath();
    ctx.arc(CX, CY, R + 18, KICK_AT - KICK_HALF, KICK_AT + KICK_HALF);
    ctx.arc(CX, CY, R - 18, KICK_AT + KICK_HALF, KICK_AT - KICK_HALF, true);
    ctx.closePath();
    ctx.fillStyle = '#6f4040';
    ctx.fill();
    ctx.strokeStyle = '#e02020';
    ctx.lineWidth = 2;
    for (const a of [KICK_AT - KICK_HALF, KICK_AT + KICK_HALF]) {
      ctx.beginPath();
      ctx.moveTo(CX + (R - 24) * Math.cos(a), CY + (R - 24) * Math.sin(a));
      ctx.lineTo(CX + (R + 24) * Math.cos(a), CY + (R + 24) * Math.sin(a));
      ctx.stroke();
    }

    ctx.beginPath();
    ctx.arc(CX, CY, R, 0, 2 * Math.PI);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.stroke();

    // Waves: red arcs that leave the kick zone and fade out.
    waves = waves.filter((born) => now - born < 700);
    for (const born of waves) {
      const age = (now - born) / 700;
      ctx.beginPath();
      ctx.arc(CX, CY, R + 20 + age * 30, KICK_AT - 0.25, KICK_AT + 0.25);
      ctx.strokeStyle = `rgba(230, 40, 40, ${1 - age})`;
      ctx.lineWidth = 3;
      ctx.stroke();
    }

    // The particle; dimmed when the beam has been dumped.
    ctx.globalAlpha = hasBeam(snap) ? 1 : 0.3;
    ctx.beginPath();
    ctx.arc(CX + R * Math.cos(angle), CY + R * Math.sin(angle), 9, 0, 2 * Math.PI);
    ctx.fillStyle = '#869f82';
    ctx.fill();
    ctx.globalAlpha = 1;

    drawCenterText();
  }

  function drawCenterText() {
    ctx.textAlign = 'center';
    ctx.fillStyle = '#ddd';
    ctx.font = '600 30px system-ui, sans-serif';
    const beam = hasBeam(snap);
    ctx.fillText(beam ? (snap.energy_ev / 1e12).toFixed(2) + ' TeV' : '—', CX, CY - 6);
    ctx.font = '15px system-ui, sans-serif';
    ctx.fillStyle = '#999';
    const line = beam ? `v = c − ${fmtDeficit(snap.speed_deficit_m_s)} m/s` : 'no beam';
    ctx.fillText(line, CX, CY + 22);
  }

  function frame(now) {
    const dt = lastFrame === null ? 0 : Math.min((now - lastFrame) / 1000, 0.1);
    lastFrame = now;
    const before = angle;
    angle += omega(snap) * dt;
    // A wave each time the particle crosses the middle of the kick zone.
    const turnsBefore = Math.floor((before - KICK_AT) / (2 * Math.PI));
    const turnsAfter = Math.floor((angle - KICK_AT) / (2 * Math.PI));
    if (turnsAfter > turnsBefore && snap && snap.state === 'accelerating') waves.push(now);
    if (angle > 1e6) angle %= 2 * Math.PI;
    drawRing(now);
    requestAnimationFrame(frame);
  }

  // ---- the charts ------------------------------------------------------

  function chart(canvas, opts) {
    const c = canvas.getContext('2d');
    const w = canvas.width;
    const h = canvas.height;
    const pad = { l: 66, r: 14, t: 10, b: 26 };
    const pw = w - pad.l - pad.r;
    const ph = h - pad.t - pad.b;
    const tr = opts.log ? Math.log10 : (v) => v;
    const y0 = tr(opts.min);
    const y1 = tr(opts.max);
    const X = (t) => pad.l + (t / WINDOW_S) * pw;
    const Y = (v) => pad.t + ph - ((tr(Math.min(Math.max(v, opts.min), opts.max)) - y0) / (y1 - y0)) * ph;

    c.fillStyle = '#111';
    c.fillRect(0, 0, w, h);
    c.font = '11px system-ui, sans-serif';
    c.lineWidth = 1;
    c.strokeStyle = '#2c2c2c';
    c.fillStyle = '#888';
    c.textAlign = 'right';
    for (const v of opts.ticks) {
      c.beginPath();
      c.moveTo(pad.l, Y(v));
      c.lineTo(w - pad.r, Y(v));
      c.stroke();
      c.fillText(opts.label(v), pad.l - 6, Y(v) + 4);
    }
    c.textAlign = 'center';
    for (let t = 0; t <= WINDOW_S; t += 5) {
      c.beginPath();
      c.moveTo(X(t), pad.t);
      c.lineTo(X(t), pad.t + ph);
      c.stroke();
      c.fillText(t + ' s', X(t), h - 8);
    }

    c.setLineDash([6, 4]);
    c.strokeStyle = '#d8c14a';
    c.beginPath();
    c.moveTo(pad.l, Y(opts.threshold));
    c.lineTo(w - pad.r, Y(opts.threshold));
    c.stroke();
    c.setLineDash([]);

    if (points.length > 0) {
      c.strokeStyle = opts.color;
      c.lineWidth = 2;
      c.beginPath();
      points.forEach((p, i) => {
        const x = X(Math.min(p.t, WINDOW_S));
        const y = Y(opts.value(p));
        if (i === 0) c.moveTo(x, y); else c.lineTo(x, y);
      });
      c.stroke();
    }
  }

  function drawCharts() {
    chart($('energy-chart'), {
      min: 0, max: 7.5, ticks: [0, 1, 2, 3, 4, 5, 6, 7], threshold: E_TOP / 1e12,
      label: (v) => v + ' TeV', color: '#e05050', value: (p) => p.e / 1e12,
    });
    chart($('deficit-chart'), {
      log: true, min: 1, max: 1000, ticks: [1, 10, 100, 1000], threshold: TOP_DEFICIT,
      label: (v) => v + ' m/s', color: '#5a8fd8', value: (p) => p.d,
    });
  }

  drawCharts();
  poll();
  setInterval(poll, POLL_MS);
  requestAnimationFrame(frame);
})();
