// app.js: the hash router. Each page's render(main, ...) returns an
// optional cleanup run when the page is left.

import { hooks, post } from './api.js';
import * as recordings from './recordings.js';
import * as player from './player.js';
import * as calls from './calls.js';
import * as admin from './admin.js';
import * as login from './login.js';

const main = document.getElementById('main');
const logout = document.getElementById('logout');
let cleanup = null;

function route() {
  if (cleanup) { try { cleanup(); } catch { /* page gone */ } cleanup = null; }
  const raw = location.hash.replace(/^#\/?/, '') || 'recordings';
  const [path, qs] = raw.split('?');
  const params = new URLSearchParams(qs || '');
  const parts = path.split('/').map(decodeURIComponent);
  const name = parts[0];
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  let r;
  switch (name) {
    case 'recordings': r = parts[1] ? player.render(main, parts[1]) : recordings.render(main, params); break;
    case 'calls': r = calls.render(main); break;
    case 'routes': r = admin.routes(main); break;
    case 'users': r = admin.users(main); break;
    case 'login': r = login.render(main, params, checkSession); break;
    default: main.textContent = 'No such page.';
  }
  Promise.resolve(r).then((c) => { cleanup = c || null; });
  document.title = `callrec – ${name}`;
  if (name !== 'login' && document.activeElement === document.body) main.focus({ preventScroll: true });
}

hooks.onUnauthorized = () => {
  if (!location.hash.startsWith('#/login')) location.hash = '#/login?next=' + encodeURIComponent(location.hash || '#/recordings');
};

logout.addEventListener('click', async () => {
  try { await post('/api/logout'); } catch { /* already out */ }
  logout.hidden = true;
  location.hash = '#/login';
});

// The logout button shows once the API says we are logged in.
// (The dev flag's anonymous admin has nothing to log out of.)
export function checkSession() {
  fetch('/api/session', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null))
    .then((p) => { logout.hidden = !p || p.via !== 'session'; logout.title = p && p.name ? `Logged in as ${p.name}` : ''; })
    .catch(() => {});
}
checkSession();

window.addEventListener('hashchange', route);
route();
