/** A tiny DOM builder: text always goes in as text, never as markup. */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key.startsWith('on') && typeof value === 'function')
      element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

export function formatTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const date = new Date(ms);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function formatAgo(ms, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/** `live`, or `parent.child` for a nested state value. */
export function stateName(value) {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return String(value);
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) return '';
  return child === undefined ? key : `${key}.${stateName(child)}`;
}

export function stateBadge(state, final = false) {
  return h(
    'span',
    { class: `state-badge state-${state.replace(/[^a-z0-9_-]/gi, '_')}${final ? ' final' : ''}` },
    state,
  );
}

export function userLink(userId, label) {
  return h('a', { href: `#/users/${userId}`, class: 'user-link' }, label ?? String(userId));
}

export function machineLink(kind, id) {
  return h('a', { href: `#/machines/${kind}/${id}`, class: 'machine-link' }, `${kind} ${id}`);
}

export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

export function section(title, ...children) {
  return h('section', { class: 'panel-section' }, h('h2', null, title), ...children);
}

export function table(headers, rows, props = {}) {
  return h(
    'table',
    props,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((header) => h('th', null, header)),
      ),
    ),
    h('tbody', null, rows),
  );
}

/** The two kinds of ban the API takes (`type`), as the call page and the user page both offer them. */
export function banTypeSelect() {
  return h(
    'select',
    { name: 'type' },
    h('option', { value: 'stream', title: '禁播: may not broadcast' }, 'stream ban'),
    h('option', { value: 'account', title: '封号: account closed' }, 'account ban'),
  );
}

/** The `admin_actions` rows of a machine or a user: when, who, what, and its payload. */
export function adminActionsTable(actions, payloadHeader) {
  return table(
    ['Time', 'Admin', 'Action', payloadHeader],
    actions.map((action) =>
      h(
        'tr',
        null,
        h('td', null, formatTime(Date.parse(action.createdAt))),
        h('td', null, action.actor),
        h('td', null, action.action),
        h('td', null, JSON.stringify(action.payload)),
      ),
    ),
  );
}
