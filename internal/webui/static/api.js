// api.js: fetch wrapper for callrec's JSON API. Errors come back as
// ApiError with the API's structured {"error":{"code","message"}} (or
// the older {"error":"..."}) and the HTTP status.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// onUnauthorized is called on any 401 (the app shows the login page).
export const hooks = { onUnauthorized: null };

export async function api(method, path, body) {
  const opt = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, opt);
  } catch (e) {
    throw new ApiError(0, 'network', 'cannot reach the server: ' + e.message);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!resp.ok) {
    let code = 'http_' + resp.status, msg = resp.statusText || 'request failed';
    const e = data && data.error;
    if (e && typeof e === 'object') { code = e.code || code; msg = e.message || msg; }
    else if (typeof e === 'string') { msg = e; }
    else if (text && !data) { msg = text.trim().slice(0, 200); }
    if (resp.status === 404 && !data) { code = 'not_available'; msg = `${path.split('?')[0]} is not available on this server (${msg})`; }
    const err = new ApiError(resp.status, code, msg);
    if (resp.status === 401 && hooks.onUnauthorized && !path.startsWith('/api/login')) hooks.onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b);
export const del = (p) => api('DELETE', p);
