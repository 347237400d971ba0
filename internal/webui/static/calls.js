// calls.js: live calls (#/calls), refreshed every 2 s, with record, stop,
// pause and resume buttons.

import { get, post, del } from './api.js';
import { h, fmtDuration, party, errorBox } from './dom.js';
import { call } from './model.js';

export function render(main) {
  const out = h('div', { 'aria-live': 'polite' });
  const body = h('tbody');
  const info = h('p', { class: 'count' });
  main.replaceChildren(h('h1', {}, 'Live calls'), info, out,
    h('table', { class: 'results' },
      h('caption', { class: 'sr-only' }, 'Calls in progress'),
      h('thead', {}, h('tr', {}, ['Caller', 'Callee', 'Duration', 'State', 'Quality (loss / jitter / MOS)', 'Recording'].map((c) => h('th', { scope: 'col' }, c)))),
      body));

  const act = async (c, method, suffix, what) => {
    const path = `/api/calls/${encodeURIComponent(c.callId)}/record${suffix}`;
    try {
      await (method === 'DELETE' ? del(path) : post(path, suffix ? undefined : {}));
      out.replaceChildren();
    } catch (err) {
      out.replaceChildren(errorBox(err, `${what} failed`));
    }
    refresh();
  };
  const quality = (q) => (q ? q.map((l, i) => (l ? `${i ? 'callee' : 'caller'} ${l.lost ?? '?'} / ${l.jitterMs !== undefined ? Number(l.jitterMs).toFixed(1) : '?'} ms / ${l.mos ? Number(l.mos).toFixed(2) : '?'}` : '')).filter(Boolean).join('; ') : '—');

  let focusKey = null;
  async function refresh() {
    // Keep keyboard focus on the same button across refreshes.
    const a = document.activeElement;
    focusKey = a && a.dataset && a.dataset.key ? a.dataset.key : null;
    try {
      const data = await get('/api/calls');
      const calls = (data.calls || data.items || []).map(call);
      info.textContent = calls.length ? `${calls.length} call${calls.length === 1 ? '' : 's'} in progress` : 'No calls in progress.';
      body.replaceChildren(...calls.map((c) => {
        const name = party('', c.caller) + ' to ' + party('', c.callee);
        const btn = (label, key, f) => h('button', { type: 'button', dataset: { key: c.callId + '|' + key }, 'aria-label': `${label} ${name}`, onclick: f }, label);
        const buttons = !c.answered ? [] : c.recording
          ? [btn('Stop', 'stop', () => act(c, 'DELETE', '', 'Stop')),
             c.paused !== true ? btn('Pause', 'pause', () => act(c, 'POST', '/pause', 'Pause')) : null,
             c.paused !== false ? btn('Resume', 'resume', () => act(c, 'POST', '/resume', 'Resume')) : null]
          : [btn('Record', 'record', () => act(c, 'POST', '', 'Record'))];
        const since = c.started;
        return h('tr', { dataset: { callId: c.callId } },
          h('td', {}, party('', c.caller)), h('td', {}, party('', c.callee)),
          h('td', { class: 'num' }, c.durationMs !== undefined ? fmtDuration(c.durationMs) : since ? fmtDuration(Date.now() - since) : ''),
          h('td', {}, (c.answered ? 'answered' : 'ringing') + (c.anchored ? ', anchored' + (c.mediaNode ? ' on ' + c.mediaNode : '') : '')),
          h('td', {}, quality(c.quality)),
          h('td', {}, h('span', { class: 'status ' + (c.recording ? (c.paused === true ? 'paused' : 'recording') : '') }, c.recording ? (c.paused === true ? 'paused' : 'recording') : 'off'), ' ', buttons));
      }));
      if (focusKey) { const b = body.querySelector(`[data-key="${CSS.escape(focusKey)}"]`); if (b) b.focus(); }
    } catch (err) {
      info.textContent = '';
      out.replaceChildren(errorBox(err, 'Cannot list calls'));
    }
  }
  refresh();
  const timer = setInterval(refresh, 2000);
  return () => clearInterval(timer);
}
