/**
 * A tiny DOM builder (text always goes in as text, never as markup) and `patch`, which morphs a
 * page into its new rendering with idiomorph instead of rebuilding it, so what the operator is
 * doing survives a push: typed text, focus, the chosen option, an opened <details>, the scroll.
 */
import { Idiomorph } from '/admin/vendor/idiomorph.js';

/**
 * Handlers are registered here and named on their element by an attribute (`data-on-click="7"`),
 * with one listener per event type on the document. A morph copies attributes (idiomorph even
 * inserts clones of new elements), so the element that stays in the page always names the newest
 * rendering's handler. Handlers get `(event, element)`: they must read the page through that
 * element (`element.form`, `element.elements`), never through elements captured from their own
 * rendering, which a morph throws away.
 */
const handlers = new Map();
let nextHandler = 1;
const EVENT_TYPES = ['click', 'submit', 'change', 'input'];

for (const type of EVENT_TYPES) {
  document.addEventListener(type, (event) => {
    for (let element = event.target; element instanceof Element; element = element.parentElement) {
      const handler = handlers.get(element.getAttribute(`data-on-${type}`));
      if (handler) {
        handler(event, element);
        return;
      }
    }
  });
}

function listen(element, type, handler) {
  if (!EVENT_TYPES.includes(type)) throw new Error(`no delegated ${type} events`);
  const id = String(nextHandler++);
  handlers.set(id, handler);
  element.setAttribute(`data-on-${type}`, id);
}

/** Forgets the handlers no element names any more (after a patch replaced them). */
function pruneHandlers() {
  const named = new Set();
  for (const type of EVENT_TYPES)
    for (const element of document.querySelectorAll(`[data-on-${type}]`))
      named.add(element.getAttribute(`data-on-${type}`));
  for (const id of handlers.keys()) if (!named.has(id)) handlers.delete(id);
}

export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key.startsWith('on') && typeof value === 'function') listen(element, key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

// What the operator changed in a field is his until the form is sent (`forgetEdits`).
document.addEventListener('input', (event) => {
  if (event.target instanceof Element) event.target.setAttribute('data-edited', '');
});
document.addEventListener('change', (event) => {
  if (event.target instanceof Element) event.target.setAttribute('data-edited', '');
});

const edited = (element) =>
  element.hasAttribute?.('data-edited') ||
  (element.tagName === 'OPTION' && element.parentElement?.hasAttribute('data-edited'));

/** The fields of a form are the page's again (after it was sent): the next patch may reset them. */
export function forgetEdits(form) {
  form.reset?.();
  for (const field of form.querySelectorAll('[data-edited]')) field.removeAttribute('data-edited');
}

/** Replaces `container`'s children with `children`, keeping every element that can stay. */
export function patch(container, ...children) {
  const next = document.createElement('div');
  append(next, children);
  // An array of nodes: idiomorph morphs the container's children into exactly these.
  Idiomorph.morph(container, [...next.childNodes], {
    morphStyle: 'innerHTML',
    ignoreActiveValue: true,
    callbacks: {
      beforeNodeMorphed(oldNode, newNode) {
        if (oldNode.nodeType !== 1) return true;
        const handlers = newNode._on ?? {};
        for (const type of Object.keys(handlers)) listen(oldNode, type, handlers[type]);
        if (oldNode._on)
          for (const type of Object.keys(oldNode._on)) if (!handlers[type]) oldNode._on[type] = undefined;
        return true;
      },
      beforeAttributeUpdated(name, element) {
        if (name === 'data-edited') return false;
        // An opened <details> stays open, a closed one closed: the operator's choice.
        if (name === 'open' && element.tagName === 'DETAILS') return false;
        if ((name === 'value' || name === 'selected' || name === 'checked') && edited(element)) return false;
        return true;
      },
    },
  });
  pruneHandlers();
  return container;
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

/**
 * A table whose cells carry their column's name (`data-label`), so that at phone width the
 * stylesheet can stack each row into a card of "label: value" lines instead of cutting it off.
 */
export function table(headers, rows, props = {}) {
  const body = h('tbody', null, rows);
  for (const row of body.children) {
    [...row.children].forEach((cell, index) => {
      if (headers[index] && !cell.hasAttribute('colspan')) cell.setAttribute('data-label', headers[index]);
    });
  }
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
    body,
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
    ['Time', 'Admin', 'Action', 'Reason', payloadHeader],
    actions.map((action) => {
      const { reason, ...details } = action.payload ?? {};
      return h(
        'tr',
        null,
        h('td', null, formatTime(Date.parse(action.createdAt))),
        h('td', null, action.actor),
        h('td', null, action.action),
        h('td', { class: 'reason' }, reason ?? '—'),
        h('td', null, JSON.stringify(details)),
      );
    }),
    { id: 'admin-actions' },
  );
}

/** A duration in words: `45s`, `3m 05s`, `2h 14m`. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Time left until `at` ("in 42s", "overdue 3s"), or with `elapsed` the time since it ("1m 05s");
 * the page's ticker refreshes every `[data-deadline]` once a second between pushes.
 */
export function countdown(at, elapsed = false) {
  const now = Date.now();
  let text;
  if (elapsed) text = formatDuration(now - at);
  else text = at >= now ? `in ${formatDuration(at - now)}` : `overdue ${formatDuration(now - at)}`;
  return h('span', { class: 'countdown', 'data-deadline': at, 'data-elapsed': elapsed || null }, text);
}

/** A definition list of `[term, value, props?]` rows. */
export function facts(rows, props) {
  return h(
    'dl',
    { class: 'facts', ...props },
    rows.map(([term, value, rowProps]) => [
      h('dt', rowProps ?? null, term),
      h('dd', rowProps ?? null, value),
    ]),
  );
}
