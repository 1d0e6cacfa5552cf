/**
 * The admin panel: sign-in with the admin token, then hash routes —
 * `#/` live machines table, `#/machines/<kind>/<id>` one instance, `#/users/<id>` a user.
 */
import { ApiError, api, getToken, onSignedOut, setToken, signOut } from './api.js';
import { renderInstance } from './instance-page.js';
import { connectLive, disconnectLive } from './live.js';
import { renderMachines } from './machines-page.js';
import { renderSearch } from './search-page.js';
import { renderUser } from './user-page.js';

const $ = (id) => document.getElementById(id);
let leavePage = () => {};

function showSignIn(message) {
  leavePage();
  leavePage = () => {};
  disconnectLive();
  $('main').hidden = true;
  $('nav').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').hidden = !message;
  $('sign-in-error').textContent = message ?? '';
  $('admin-token').value = '';
  $('admin-token').focus();
}

function route() {
  if (!getToken()) return showSignIn();
  leavePage();
  const main = $('main');
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/';
  const instance = path.match(/^\/machines\/([a-z][a-z0-9_]*)\/([A-Za-z0-9_.-]+)$/);
  const user = path.match(/^\/users(?:\/(\d+))?$/);
  if (instance) leavePage = renderInstance(main, instance[1], instance[2]);
  else if (path === '/search') leavePage = renderSearch(main);
  else if (user) leavePage = renderUser(main, user[1]);
  else leavePage = renderMachines(main);
}

function showApp() {
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('main').hidden = false;
  connectLive(getToken());
  route();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  setToken($('admin-token').value.trim());
  try {
    // Any admin call tells whether the token is good; a 401 signs out with the reason.
    await api('/machines?kind=room');
    showApp();
  } catch (error) {
    // A 401 has already signed out with its reason.
    if (!(error instanceof ApiError && error.status === 401))
      signOut('The server did not answer; try again.');
  }
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = $('search-input').value.trim();
  if (!q) return;
  const target = `#/search?q=${encodeURIComponent(q)}`;
  // The same search again (after the data changed) runs again.
  if (location.hash === target) route();
  else location.hash = target;
});
$('sign-out').addEventListener('click', () => signOut());
onSignedOut((reason) => showSignIn(reason));
window.addEventListener('hashchange', () => {
  if (getToken()) route();
});

if (getToken()) showApp();
else showSignIn();
