// calls.js: live calls (#/calls), refreshed every 2 s, with record, stop,
// pause and resume buttons. Rows are updated in place, and rebuilt only
// when a call's state changes, so focus and clicks survive refreshes.
// Keywords spotted in the calls arrive as they are found, over
// server-sent events (GET /api/events), newest first.

import { get, post, del } from './api.js';
import { h, fmtDuration, fmtClock, fmtConfidence, party, errorBox } from './dom.js';
import { call, detection } from './model.js';

// maxDetections bounds the list of keywords shown.
const maxDetections = 200;

// The recording controls: method, path and what the result is called.
const actions = {
  record: ['POST', (id) => `/api/calls/${id}/record`, 'Recording started'],
  stop: ['DELETE', (id) => `/api/calls/${id}/record`, 'Recording stopped'],
  pause: ['POST', (id) => `/api/calls/${id}/record/pause`, 'Recording paused'],
  resume: ['POST', (id) => `/api/calls/${id}/record/resume`, 'Recording resumed'],
};

function quality(q) {
  if (!q) return '—';
  return q.map((l, i) => (l ? `${i ? 'callee' : 'caller'} ${l.lost ?? '?'} lost, ${l.jitterMs !== undefined ? Number(l.jitterMs).toFixed(1) : '?'} ms, MOS ${l.mos ? Number(l.mos).toFixed(2) : '?'}` : ''))
    .filter(Boolean).join('; ');
}

export function render(main) {
  const out = h('div', { class: 'out', role: 'status' });
  const body = h('tbody');
  const info = h('p', { class: 'count' });
  const kwState = h('p', { class: 'kw-state' }, 'Connecting…');
  const kwList = h('ol', { class: 'detections', 'aria-live': 'polite', 'aria-relevant': 'additions', hidden: true });
  main.replaceChildren(h('h1', {}, 'Live calls'), info, out,
    h('table', { class: 'results' },
      h('caption', { class: 'sr-only' }, 'Calls in progress'),
      h('thead', {}, h('tr', {}, ['Caller', 'Callee', 'Duration', 'State', 'Quality', 'Recording'].map((c) => h('th', { scope: 'col' }, c)))),
      body),
    h('section', { 'aria-labelledby': 'h-keywords' }, h('h2', { id: 'h-keywords' }, 'Keywords spotted'), kwState, kwList));

  const act = async (c, action) => {
    const [method, path, done] = actions[action];
    const url = path(encodeURIComponent(c.callId));
    const name = `${party('', c.caller)} to ${party('', c.callee)}`;
    try {
      await (method === 'DELETE' ? del(url) : post(url, action === 'record' ? {} : undefined));
      out.replaceChildren(h('p', { class: 'done' }, `${done}: ${name}.`));
    } catch (err) {
      out.replaceChildren(errorBox(err, `${action[0].toUpperCase() + action.slice(1)} failed`));
    }
    refresh();
  };

  const rows = new Map(); // call id -> {tr, state, cells}
  function build(c) {
    const name = `${party('', c.caller)} to ${party('', c.callee)}`;
    const btn = (label, f) => h('button', { type: 'button', 'aria-label': `${label} recording of ${name}`, onclick: f }, label);
    const buttons = !c.answered ? [] : c.recording
      ? [btn('Stop', () => act(c, 'stop')),
         c.paused !== true ? btn('Pause', () => act(c, 'pause')) : null,
         c.paused !== false ? btn('Resume', () => act(c, 'resume')) : null]
      : [btn('Record', () => act(c, 'record'))];
    const rec = c.recording ? (c.paused === true ? 'paused' : 'recording') : 'off';
    const cells = { dur: h('td', { class: 'num' }), q: h('td', {}) };
    const tr = h('tr', { dataset: { callId: c.callId } },
      h('td', {}, party('', c.caller)), h('td', {}, party('', c.callee)), cells.dur,
      h('td', {}, (c.answered ? 'answered' : 'ringing') + (c.anchored ? ', anchored' + (c.mediaNode ? ' on ' + c.mediaNode : '') : '')),
      cells.q,
      h('td', { class: 'rec' }, h('span', { class: 'status ' + rec }, rec), ' ', buttons));
    return { tr, cells };
  }

  async function refresh() {
    try {
      const data = await get('/api/calls');
      const calls = (data.calls || data.items || []).map(call);
      info.textContent = calls.length ? `${calls.length} call${calls.length === 1 ? '' : 's'} in progress` : 'No calls in progress.';
      const seen = new Set();
      let prev = null;
      for (const c of calls) {
        seen.add(c.callId);
        const state = [!!c.answered, c.anchored, c.recording, c.paused, c.mediaNode].join('|');
        let r = rows.get(c.callId);
        if (!r || r.state !== state) {
          const had = r && r.tr.contains(document.activeElement) ? [...r.tr.querySelectorAll('button')].indexOf(document.activeElement) : -1;
          const nr = { ...build(c), state };
          if (r) r.tr.replaceWith(nr.tr);
          r = nr;
          rows.set(c.callId, r);
          if (had >= 0) { const bs = r.tr.querySelectorAll('button'); (bs[Math.min(had, bs.length - 1)] || r.tr).focus?.(); }
        }
        r.cells.dur.textContent = c.durationMs !== undefined ? fmtDuration(c.durationMs) : c.started ? fmtDuration(Date.now() - c.started) : '';
        r.cells.q.textContent = quality(c.quality);
        if (r.tr.previousElementSibling !== prev || r.tr.parentNode !== body) {
          if (prev) prev.after(r.tr); else body.prepend(r.tr);
        }
        prev = r.tr;
      }
      for (const [id, r] of rows) if (!seen.has(id)) { r.tr.remove(); rows.delete(id); }
    } catch (err) {
      info.textContent = '';
      out.replaceChildren(errorBox(err, 'Cannot list calls'));
    }
  }
  refresh();
  const timer = setInterval(refresh, 2000);
  const es = listen(kwState, kwList);
  return () => { clearInterval(timer); es.close(); };
}

// listen shows the keywords GET /api/events streams in list, newest
// first. EventSource reconnects by itself after a network error; an
// answer other than 200 (501: no spotting here, 401) ends it.
function listen(state, list) {
  const es = new EventSource('/api/events');
  const waiting = 'Listening: keywords appear here as they are spoken.';
  es.addEventListener('open', () => { if (!list.children.length) state.textContent = waiting; });
  es.addEventListener('error', () => {
    state.textContent = es.readyState === EventSource.CLOSED
      ? 'Live keyword detections are not available on this server.'
      : 'Connection lost, reconnecting…';
  });
  es.addEventListener('dropped', (m) => {
    let n = 0;
    try { n = JSON.parse(m.data).dropped; } catch { /* keep 0 */ }
    state.textContent = `${n} detection${n === 1 ? ' was' : 's were'} missed (the page fell behind).`;
  });
  es.addEventListener('keyword', (m) => {
    let d;
    try { d = detection(JSON.parse(m.data)); } catch { return; }
    const who = d.party === 'caller' ? party('', d.caller) || 'caller' : d.party === 'callee' ? party('', d.callee) || 'callee' : d.party;
    const conf = fmtConfidence(d.confidence);
    const li = h('li', { dataset: { callId: d.callId } },
      h('time', { datetime: d.time ? d.time.toISOString() : '' }, d.time ? d.time.toLocaleTimeString() : ''),
      h('span', { class: 'kw' }, d.keyword), ` said by ${who || 'a party'}`,
      ` at ${fmtClock(d.atMs / 1000)} of the call ${party('', d.caller)} to ${party('', d.callee)}`,
      conf ? ` (confidence ${conf})` : '', ' ',
      h('a', { href: `#/recordings?call_id=${encodeURIComponent(d.callId)}` }, 'recording'));
    list.prepend(li);
    while (list.children.length > maxDetections) list.lastElementChild.remove();
    list.hidden = false;
    state.textContent = waiting;
  });
  return es;
}
