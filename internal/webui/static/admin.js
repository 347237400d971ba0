// admin.js: routes (#/routes) and users (#/users): lists with add and
// delete, in the shapes the API gives them.

import { get, post, del } from './api.js';
import { h, field, errorBox } from './dom.js';

// Secrets are never shown even when an API returns them.
const hidden = /^(ha1|ha1_sha256|password|HA1|HA1SHA256|Password)$/;

function table(items, caption, rowAction) {
  if (!items.length) return h('p', {}, `No ${caption.toLowerCase()}.`);
  const cols = [...new Set(items.flatMap((o) => Object.keys(o)))].filter((k) => !hidden.test(k));
  return h('table', { class: 'results' }, h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c.replace(/_/g, ' '))), h('th', { scope: 'col' }, ''))),
    h('tbody', {}, items.map((o) => h('tr', {}, cols.map((c) => h('td', {}, fmt(o[c]))), h('td', {}, rowAction(o))))));
}

function fmt(v) {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (v && typeof v === 'object') return JSON.stringify(v);
  return v ?? '';
}

function listPage(main, { title, path, key, itemsOf, form, toBody, idOf, pathOf }) {
  const list = h('div', { 'aria-live': 'polite' });
  const msg = h('div', { 'aria-live': 'polite' });
  const f = h('form', { class: 'filters', 'aria-label': `Add to ${title.toLowerCase()}` }, form(), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add')));
  main.replaceChildren(h('h1', {}, title), list, h('h2', {}, 'Add'), f, msg);
  async function load() {
    try {
      const data = await get(path);
      const items = itemsOf(data);
      list.replaceChildren(table(items, title, (o) => {
        const id = idOf(o);
        if (id === undefined || id === null || id === '') return '';
        return h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${key} ${id}`, onclick: async () => {
          if (!confirm(`Delete ${key} ${id}?`)) return;
          try { await del(pathOf ? pathOf(o) : `${path}/${encodeURIComponent(id)}`); msg.replaceChildren(); } catch (err) { msg.replaceChildren(errorBox(err, 'Delete failed')); }
          load();
        } }, 'Delete');
      }));
    } catch (err) {
      list.replaceChildren(errorBox(err, `Cannot list ${title.toLowerCase()}`));
    }
  }
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post(path, toBody(new FormData(f)));
      f.reset();
      msg.replaceChildren(h('p', { role: 'status' }, 'Added.'));
    } catch (err) {
      msg.replaceChildren(errorBox(err, 'Add failed'));
    }
    load();
  });
  load();
  return null;
}

export function routes(main) {
  return listPage(main, {
    title: 'Routes', path: '/api/routes', key: 'route',
    itemsOf: (d) => (Array.isArray(d) ? d : d.routes || d.items || []),
    idOf: (o) => o.id ?? o.ID,
    form: () => [
      field('Pattern', h('input', { name: 'pattern', required: true, autocomplete: 'off' }), 'number prefix, exact user or regular expression'),
      field('Kind', h('select', { name: 'kind' }, ['prefix', 'exact', 'regex'].map((k) => h('option', { value: k }, k)))),
      field('Destination', h('input', { name: 'destination', required: true, placeholder: 'sip:host:5060', autocomplete: 'off' })),
      field('Priority', h('input', { name: 'priority', type: 'number', value: '0' })),
      field('Description', h('input', { name: 'description', autocomplete: 'off' })),
    ],
    toBody: (fd) => ({ pattern: fd.get('pattern'), kind: fd.get('kind'), destination: fd.get('destination'), priority: Number(fd.get('priority') || 0), description: fd.get('description') || undefined, enabled: true }),
  });
}

export function users(main) {
  return listPage(main, {
    title: 'Users', path: '/api/users', key: 'user',
    itemsOf: (d) => (Array.isArray(d) ? d : d.users || d.items || []),
    idOf: (o) => (o.domain ? `${o.username}@${o.domain}` : o.username),
    pathOf: (o) => `/api/users/${encodeURIComponent(o.domain || '')}/${encodeURIComponent(o.username)}`,
    form: () => [
      field('Username', h('input', { name: 'username', required: true, autocomplete: 'off' })),
      field('Domain', h('input', { name: 'domain', autocomplete: 'off' })),
      field('Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' })),
      field('Display name', h('input', { name: 'display_name', autocomplete: 'off' })),
    ],
    toBody: (fd) => ({ username: fd.get('username'), domain: fd.get('domain'), password: fd.get('password'), display_name: fd.get('display_name') || undefined, enabled: true }),
  });
}
