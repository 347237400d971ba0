// recordings.js: the recordings search page (#/recordings?filters).

import { get } from './api.js';
import { h, field, fmtDuration, fmtTime, party, errorBox } from './dom.js';
import { page } from './model.js';

const statuses = ['', 'recording', 'complete', 'interrupted', 'failed', 'deleted'];

// toQuery turns the form's values into the API's query string.
function toQuery(v) {
  const q = new URLSearchParams();
  const iso = (s) => (s ? new Date(s).toISOString() : '');
  const secs = (s) => (s === '' || s === undefined ? '' : `${Number(s)}s`);
  const add = (k, val) => { if (val) q.set(k, val); };
  add('from', iso(v.from));
  add('to', iso(v.to));
  add('party', v.party);
  add('number', v.number);
  add('min_duration', secs(v.min));
  add('max_duration', secs(v.max));
  add('status', v.status);
  add('label', v.label);
  add('event', v.event);
  add('keyword', v.keyword);
  add('call_id', v.call_id);
  add('limit', v.limit || '50');
  return q;
}

export function render(main, params) {
  const v = Object.fromEntries(params);
  const inp = (name, type, extra) => h('input', { name, type, value: v[name] || '', ...extra });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search recordings' },
    field('From', inp('from', 'datetime-local')),
    field('To', inp('to', 'datetime-local')),
    field('Party', inp('party', 'search', { placeholder: 'name or URI', autocomplete: 'off' })),
    field('Number', inp('number', 'search', { placeholder: 'starts with', autocomplete: 'off', inputmode: 'tel' })),
    field('Min. duration (s)', inp('min', 'number', { min: 0, step: 1 })),
    field('Max. duration (s)', inp('max', 'number', { min: 0, step: 1 })),
    field('Status', h('select', { name: 'status' }, statuses.map((s) => h('option', { value: s, selected: v.status === s }, s || 'any')))),
    field('Label', inp('label', 'search', { placeholder: 'name or name=value' })),
    v.call_id ? field('Call-ID', inp('call_id', 'search', { autocomplete: 'off' })) : null,
    field('Keyword', inp('keyword', 'search', { placeholder: 'spoken, e.g. refund', autocomplete: 'off' })),
    field('Event', inp('event', 'search', { placeholder: 'dtmf, keyword=refund' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
      h('button', { type: 'reset', onclick: (e) => { e.preventDefault(); location.hash = '#/recordings'; } }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, val] of new FormData(form)) if (val) q.set(k, val);
    const next = '#/recordings' + (q.toString() ? '?' + q : '');
    if (location.hash === next) load(); else location.hash = next;
  });

  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const body = h('tbody');
  const table = h('table', { class: 'results' },
    h('caption', { class: 'sr-only' }, 'Recordings, newest first'),
    h('thead', {}, h('tr', {}, ['Started', 'Caller', 'Callee', 'Duration', 'Status', 'Labels', 'Events', ''].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const out = h('div', { class: 'out' });
  main.replaceChildren(h('h1', {}, 'Recordings'), form, count, out, table, more);

  let next = '', shown = 0;
  async function load(cursor) {
    out.replaceChildren();
    const q = toQuery(v);
    if (cursor) q.set('cursor', cursor); else { body.replaceChildren(); shown = 0; }
    count.textContent = 'Searching…';
    try {
      const p = page(await get('/api/recordings?' + q));
      for (const r of p.items) body.append(row(r));
      shown += p.items.length;
      next = p.next;
      more.hidden = !next;
      count.textContent = shown ? `${shown} recording${shown === 1 ? '' : 's'}${next ? ' (more available)' : ''}` : 'No recordings match.';
    } catch (err) {
      count.textContent = '';
      out.replaceChildren(errorBox(err, 'Search failed'));
    }
  }
  more.addEventListener('click', () => load(next));
  load();
  return null;
}

function row(r) {
  const labels = Object.entries(r.labels).map(([k, v]) => h('span', { class: 'tag' }, v ? `${k}=${v}` : k));
  const kws = [...new Set(r.events.filter((e) => e.type === 'keyword').map((e) => e.value))];
  const ev = r.events.length ? [`${r.events.length} (${[...new Set(r.events.map((e) => e.type))].join(', ')})`,
    kws.map((k) => h('span', { class: 'tag kw' }, k))] : '';
  const link = h('a', { href: `#/recordings/${encodeURIComponent(r.id)}`, class: 'open', 'aria-label': `Open recording ${r.id} from ${party(r.callerName, r.caller)}` }, 'Open');
  return h('tr', { dataset: { id: r.id } },
    h('td', {}, h('time', { datetime: r.started ? r.started.toISOString() : '' }, fmtTime(r.started))),
    h('td', {}, party(r.callerName, r.caller)),
    h('td', {}, party(r.calleeName, r.callee)),
    h('td', { class: 'num' }, fmtDuration(r.durationMs)),
    h('td', {}, h('span', { class: 'status ' + r.status }, r.status)),
    h('td', {}, labels),
    h('td', {}, ev),
    h('td', {}, link));
}
