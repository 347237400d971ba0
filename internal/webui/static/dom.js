// dom.js: a small element builder and formatting helpers.

// h builds an element: h('button', {type: 'button', onclick: f}, 'Play').
// Attributes starting with "on" become listeners; null/false are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// field is a labelled form control: a <label> wrapping text and input.
let fieldSeq = 0;
export function field(label, input, hint) {
  const id = input.id || (input.id = 'f' + (++fieldSeq));
  const parts = [h('label', { for: id }, label), input];
  if (hint) {
    const hid = id + '-hint';
    input.setAttribute('aria-describedby', hid);
    parts.push(h('small', { id: hid }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) return '';
  const s = Math.round(ms / 1000);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

export function fmtClock(sec) {
  if (!isFinite(sec)) sec = 0;
  const m = Math.floor(sec / 60), s = sec - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}

export function fmtTime(d) {
  if (!d) return '';
  const t = d instanceof Date ? d : new Date(d);
  if (isNaN(t)) return '';
  return t.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// fmtConfidence shows a confidence in [0, 1] as a percentage ('' when
// unknown).
export function fmtConfidence(c) {
  return typeof c === 'number' && c > 0 ? `${Math.round(c * 100)}%` : '';
}

export function fmtBytes(n) {
  if (!n) return '';
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

// party shows a SIP party as "Name <user>" without the scheme.
export function party(name, uri) {
  let u = (uri || '').replace(/^.*<|>.*$/g, '').replace(/^sips?:/, '').replace(/;.*$/, '');
  return name ? `${name} (${u})` : u;
}

// errorBox shows an API error in place, as an alert for screen readers.
export function errorBox(err, what) {
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, what ? `${what}: ` : 'Error: '),
    err.message || String(err),
    err.code ? h('code', {}, ` [${err.code}${err.status ? ' ' + err.status : ''}]`) : null);
}
