/**
 * The admin API client. The token lives in sessionStorage (this tab only) and goes out as a Bearer
 * header; any 401 forgets it and sends the panel back to the sign-in form.
 */
import { confirmAction } from './confirm.js';
import { showNotice } from './notice.js';

const KEY = 'adminToken';
const signedOutListeners = new Set();

export const getToken = () => sessionStorage.getItem(KEY);
export const setToken = (token) => sessionStorage.setItem(KEY, token);

export function signOut(reason) {
  sessionStorage.removeItem(KEY);
  for (const listener of signedOutListeners) listener(reason);
}

export function onSignedOut(listener) {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${getToken() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/admin/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {}
  if (response.status === 401) {
    signOut('The admin token was refused. Sign in again.');
    throw new ApiError(401, parsed);
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** Charts depend only on the machine definition: fetched once per kind. */
const charts = new Map();
export function chartOf(kind) {
  if (!charts.has(kind)) {
    charts.set(
      kind,
      api(`/charts/${kind}`).catch((error) => {
        charts.delete(kind);
        throw error;
      }),
    );
  }
  return charts.get(kind);
}

/** The machine kinds with their states and end reasons: fetched once. */
let kinds = null;
export function kindsOf() {
  kinds ??= api('/kinds').then(
    (answer) => answer.kinds,
    (error) => {
      kinds = null;
      throw error;
    },
  );
  return kinds;
}

/**
 * Sends one admin action; the machine's answer (or its 409) is shown, then the page reloads. A
 * destructive one (`confirm: {title, detail}`) first asks for confirmation and a reason, which
 * goes with the request into the audit log; cancelling sends nothing. Resolves true when done.
 */
export async function runAction(button, label, path, body, reload, confirm) {
  let payload = body ?? {};
  if (confirm) {
    const reason = await confirmAction({ ...confirm, confirmLabel: label });
    if (reason === null) return false;
    payload = { ...payload, reason };
  }
  button.disabled = true;
  let done = false;
  try {
    await api(path, { method: 'POST', body: payload });
    showNotice(`${label}: done`);
    done = true;
  } catch (error) {
    showNotice(error instanceof ApiError ? `${label}: ${error.message}` : String(error), true);
  }
  button.disabled = false;
  await reload();
  return done;
}
