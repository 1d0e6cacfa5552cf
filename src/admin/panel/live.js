/**
 * The panel's live feed: Socket.IO's own client (served by this server) on the `/admin` namespace,
 * authenticated with the admin token. Every machine transition arrives as `admin:machine`; pages
 * subscribe with `onMachine` and unsubscribe when they are left.
 */
import { io } from '/socket.io/socket.io.esm.min.js';
import { signOut } from './api.js';

const listeners = new Set();
const resyncListeners = new Set();
let socket = null;

function setStatus(text, online) {
  const status = document.getElementById('live-status');
  if (!status) return;
  status.textContent = text;
  status.classList.toggle('online', online);
}

export function connectLive(token) {
  disconnectLive();
  socket = io('/admin', { auth: { token }, transports: ['websocket'] });
  socket.on('connect', () => {
    setStatus('live', true);
    // Pushes missed while not connected are gone unless Socket.IO recovered the session: reload.
    if (!socket?.recovered) for (const listener of resyncListeners) listener();
  });
  socket.on('disconnect', () => setStatus('reconnecting…', false));
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') signOut('The admin token was refused. Sign in again.');
    else setStatus('offline', false);
  });
  socket.on('admin:machine', (transition) => {
    for (const listener of listeners) listener(transition);
  });
}

export function disconnectLive() {
  socket?.disconnect();
  socket = null;
  setStatus('offline', false);
}

export function onMachine(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called whenever the feed (re)connects without recovering what it missed: pages reload their data. */
export function onResync(listener) {
  resyncListeners.add(listener);
  return () => resyncListeners.delete(listener);
}
