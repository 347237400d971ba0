// login.js: the login page (#/login?next=...), POST /api/login.

import { post } from './api.js';
import { h, field, errorBox } from './dom.js';

export function render(main, params, onLogin) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true });
  const domain = h('input', { name: 'domain', autocomplete: 'off' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div');
  const f = h('form', { class: 'login', 'aria-label': 'Log in' },
    field('User', user), field('Password', pass), field('Domain (optional)', domain, 'when several users share the name'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Log in')), msg);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/api/login', { user: user.value, password: pass.value, domain: domain.value || undefined });
      onLogin();
      location.hash = params.get('next') || '#/recordings';
    } catch (err) {
      msg.replaceChildren(errorBox(err, 'Login failed'));
      pass.select();
    }
  });
  main.replaceChildren(h('h1', {}, 'Log in'), f);
  user.focus();
  return null;
}
