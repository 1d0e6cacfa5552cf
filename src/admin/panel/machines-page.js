/**
 * The machines page: every active call and room, kept current by `admin:machine` pushes (no
 * reload), filtered by kind, state and user; below it the archive of finished ones, paged by
 * cursor through any number of them, filtered by time, end reason, kind and user.
 */
import { api, kindsOf } from './api.js';
import {
  clear,
  formatAgo,
  formatDuration,
  formatTime,
  h,
  machineLink,
  patch,
  section,
  stateBadge,
  stateName,
  table,
  userLink,
} from './dom.js';
import { onMachine, onResync } from './live.js';
import { eventLabel } from './names.js';

/** Who takes part, from a machine's public view (the same parties the API lists). */
function partiesOf(kind, view) {
  if (!view) return [];
  if (kind === 'call') {
    return [
      { role: 'guest', userId: view.guestId },
      { role: 'anchor', userId: view.anchorId },
    ];
  }
  if (kind === 'live_room') {
    // RoomService users are IM ids; the numeric ones are paid-call users.
    const ids = [view.roomCreator, ...(view.pushers ?? []).map((pusher) => pusher.userID)];
    return [...new Set(ids)]
      .filter((id) => /^[1-9][0-9]*$/.test(String(id)))
      .map((id) => ({ role: id === view.roomCreator ? 'creator' : 'pusher', userId: Number(id) }));
  }
  const parties = [];
  if (view.matchmakerId != null) parties.push({ role: 'matchmaker', userId: view.matchmakerId });
  if (view.seats?.male != null) parties.push({ role: 'male seat', userId: view.seats.male });
  if (view.seats?.female != null) parties.push({ role: 'female seat', userId: view.seats.female });
  return parties;
}

const FILTER_KEYS = ['kind', 'state', 'user', 'endReason', 'from', 'to', 'cursor', 'limit'];

function readFilter() {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? '']));
}

function matches(filter, row) {
  if (filter.kind && row.kind !== filter.kind) return false;
  if (filter.state && row.state !== filter.state) return false;
  if (filter.user && !row.parties.some((party) => String(party.userId) === filter.user)) return false;
  return true;
}

function query(values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `datetime-local` values are the operator's local time; the API takes epoch ms. */
const toEpoch = (local) => (local ? String(new Date(local).getTime()) : '');

const parties = (row) =>
  row.parties.map((party) => h('span', { class: 'party' }, `${party.role} `, userLink(party.userId)));

function activeRow(row, now) {
  return h(
    'tr',
    { 'data-key': `${row.kind}:${row.id}`, 'data-state': row.state, id: `active-${row.kind}-${row.id}` },
    h('td', null, row.kind),
    h('td', null, machineLink(row.kind, row.id)),
    h('td', { class: 'state-cell' }, stateBadge(row.state, row.final)),
    h('td', null, parties(row)),
    h(
      'td',
      { class: 'ago', title: formatTime(row.since), 'data-since': row.since },
      formatAgo(row.since, now),
    ),
    h(
      'td',
      { class: 'last-event' },
      row.lastEvent
        ? [
            h('span', { title: row.lastEvent.type }, eventLabel(row.lastEvent.type)),
            ` by ${row.lastEvent.actor}`,
          ]
        : '—',
    ),
    h('td', null, formatTime(row.updatedAt)),
  );
}

function money(row) {
  if (row.diamonds === null && row.points === null) return '—';
  return `${row.diamonds ?? 0} diamonds / ${row.points ?? 0} points`;
}

function archiveRow(row) {
  return h(
    'tr',
    { 'data-key': `${row.kind}:${row.id}`, id: `archived-${row.kind}-${row.id}` },
    h('td', null, row.kind),
    h('td', null, machineLink(row.kind, row.id)),
    h('td', { class: 'state-cell' }, stateBadge(row.state, true)),
    h('td', { class: 'end-reason' }, row.endReason ?? '—'),
    h('td', null, parties(row)),
    h('td', { class: 'minutes' }, row.minutes === null ? '—' : String(row.minutes)),
    h('td', { class: 'money' }, money(row)),
    h('td', { class: 'duration' }, row.durationMs === null ? '—' : formatDuration(row.durationMs)),
    h('td', { class: 'ended' }, formatTime(row.endedAt)),
  );
}

export function renderMachines(main) {
  const filter = readFilter();
  const active = new Map();
  const versions = new Map();
  let archive = { machines: [], nextCursor: null };
  let kinds = [];
  /** Cursors of the pages before this one, for "Newer" (the URL holds only the current one). */
  const previous = JSON.parse(sessionStorage.getItem('archivePages') ?? '[]');
  const key = (kind, id) => `${kind}:${id}`;

  const go = (values) => {
    location.hash = `#/${query(values)}`;
  };

  function filterForm() {
    return h(
      'form',
      {
        class: 'filters',
        id: 'active-filters',
        onsubmit: (event, form) => {
          event.preventDefault();
          const { kind, state, user } = form.elements;
          sessionStorage.removeItem('archivePages');
          go({ ...filter, cursor: '', kind: kind.value, state: state.value.trim(), user: user.value.trim() });
        },
      },
      h(
        'label',
        null,
        'Kind ',
        h(
          'select',
          { id: 'filter-kind', name: 'kind' },
          h('option', { value: '' }, 'every kind'),
          kinds.map((entry) =>
            h('option', { value: entry.kind, selected: filter.kind === entry.kind }, entry.kind),
          ),
        ),
      ),
      h(
        'label',
        null,
        'State ',
        h('input', {
          id: 'filter-state',
          name: 'state',
          list: 'known-states',
          placeholder: 'any state',
          value: filter.state,
        }),
        h(
          'datalist',
          { id: 'known-states' },
          [...new Set(kinds.flatMap((entry) => entry.states))].map((state) => h('option', { value: state })),
        ),
      ),
      h(
        'label',
        null,
        'User ',
        h('input', {
          id: 'filter-user',
          name: 'user',
          inputmode: 'numeric',
          pattern: '[0-9]*',
          placeholder: 'any user id',
          value: filter.user,
        }),
      ),
      h('button', { type: 'submit' }, 'Filter'),
      h('a', { href: '#/', class: 'reset' }, 'reset'),
    );
  }

  function archiveForm() {
    const localOf = (ms) => {
      if (!ms) return '';
      const date = new Date(Number(ms));
      const pad = (n) => String(n).padStart(2, '0');
      return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
    };
    return h(
      'form',
      {
        class: 'filters',
        id: 'archive-filters',
        onsubmit: (event, form) => {
          event.preventDefault();
          const { endReason, from, to, limit } = form.elements;
          sessionStorage.removeItem('archivePages');
          go({
            ...filter,
            cursor: '',
            endReason: endReason.value.trim(),
            from: toEpoch(from.value),
            to: toEpoch(to.value),
            limit: limit.value,
          });
        },
      },
      h(
        'label',
        null,
        'End reason ',
        h(
          'select',
          { id: 'filter-end-reason', name: 'endReason' },
          h('option', { value: '' }, 'any'),
          [...new Set(kinds.flatMap((entry) => entry.endReasons))].map((reason) =>
            h('option', { value: reason, selected: filter.endReason === reason }, reason),
          ),
        ),
      ),
      h(
        'label',
        null,
        'From ',
        h('input', { id: 'filter-from', name: 'from', type: 'datetime-local', value: localOf(filter.from) }),
      ),
      h(
        'label',
        null,
        'To ',
        h('input', { id: 'filter-to', name: 'to', type: 'datetime-local', value: localOf(filter.to) }),
      ),
      h(
        'label',
        null,
        'Per page ',
        h(
          'select',
          { id: 'filter-limit', name: 'limit' },
          ['50', '100', '200'].map((n) =>
            h('option', { value: n, selected: (filter.limit || '50') === n }, n),
          ),
        ),
      ),
      h('button', { type: 'submit' }, 'Show'),
    );
  }

  function pager() {
    return h(
      'div',
      { class: 'pager', id: 'archive-pager' },
      h(
        'button',
        {
          type: 'button',
          id: 'archive-newest',
          class: 'secondary',
          disabled: !filter.cursor,
          onclick: () => {
            sessionStorage.removeItem('archivePages');
            go({ ...filter, cursor: '' });
          },
        },
        'Newest',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'archive-newer',
          class: 'secondary',
          disabled: !filter.cursor,
          onclick: () => {
            const back = previous.pop() ?? '';
            sessionStorage.setItem('archivePages', JSON.stringify(previous));
            go({ ...filter, cursor: back });
          },
        },
        '← Newer',
      ),
      h('span', { class: 'hint', id: 'archive-page' }, `page ${previous.length + 1}`),
      h(
        'button',
        {
          type: 'button',
          id: 'archive-older',
          disabled: !archive.nextCursor,
          onclick: () => {
            sessionStorage.setItem('archivePages', JSON.stringify([...previous, filter.cursor]));
            go({ ...filter, cursor: archive.nextCursor });
          },
        },
        'Older →',
      ),
    );
  }

  function draw() {
    const now = Date.now();
    const rows = [...active.values()]
      .filter((row) => matches(filter, row))
      .sort((a, b) => b.updatedAt - a.updatedAt);
    patch(
      main,
      section(
        'Active machines',
        filterForm(),
        h(
          'p',
          { class: 'hint' },
          'Updated live over Socket.IO. ',
          h('span', { class: 'count' }, `${rows.length} active`),
        ),
        table(
          ['Kind', 'Id', 'State', 'Parties', 'In state for', 'Last event', 'Updated'],
          rows.length
            ? rows.map((row) => activeRow(row, now))
            : h('tr', { class: 'empty' }, h('td', { colspan: 7 }, 'Nothing running.')),
          { id: 'active-machines', class: 'machines stack' },
        ),
      ),
      section(
        'Archive',
        archiveForm(),
        table(
          ['Kind', 'Id', 'Final state', 'End reason', 'Parties', 'Minutes', 'Money', 'Duration', 'Ended'],
          archive.machines.length
            ? archive.machines.map(archiveRow)
            : h('tr', { class: 'empty' }, h('td', { colspan: 9 }, 'Nothing finished matches.')),
          { id: 'finished-machines', class: 'machines stack' },
        ),
        pager(),
      ),
    );
  }

  async function loadArchive() {
    archive = await api(
      `/archives${query({
        kind: filter.kind,
        user: filter.user,
        endReason: filter.endReason,
        from: filter.from,
        to: filter.to,
        cursor: filter.cursor,
        limit: filter.limit || '50',
      })}`,
    );
  }

  async function load() {
    const [live] = await Promise.all([
      api(`/machines${query({ kind: filter.kind, state: filter.state, user: filter.user })}`),
      loadArchive(),
      kindsOf().then((list) => {
        kinds = list;
      }),
    ]);
    active.clear();
    for (const row of live.machines) {
      const k = key(row.kind, row.id);
      // A push newer than this answer may already be in: keep it.
      if ((versions.get(k) ?? 0) > row.version) continue;
      versions.set(k, row.version);
      active.set(k, row);
    }
    draw();
  }

  let archiveReload = null;
  function apply(push) {
    const k = key(push.kind, push.id);
    // Pushes of one instance can arrive out of order (effects of two transitions in two processes).
    if ((versions.get(k) ?? 0) > push.version) return;
    versions.set(k, push.version);
    const previousRow = active.get(k);
    const state = stateName(push.to);
    const changed = push.from === null || stateName(push.from) !== state;
    if (push.final) {
      active.delete(k);
      // The newest page of the archive shows it once it is written there.
      if (!filter.cursor) {
        clearTimeout(archiveReload);
        archiveReload = setTimeout(() => loadArchive().then(draw, () => {}), 700);
      }
    } else {
      active.set(k, {
        kind: push.kind,
        id: push.id,
        version: push.version,
        state,
        final: false,
        parties: partiesOf(push.kind, push.view),
        since: changed || !previousRow ? push.at : previousRow.since,
        updatedAt: push.at,
        lastEvent: { type: push.event, at: push.at, actor: push.actor ?? '' },
      });
    }
    draw();
  }

  const unsubscribe = [onMachine(apply), onResync(() => load().catch(() => {}))];
  // Only the "in state for" cells of running machines tick.
  const ticker = setInterval(() => {
    for (const cell of main.querySelectorAll('#active-machines td.ago'))
      cell.textContent = formatAgo(Number(cell.dataset.since));
  }, 1000);
  clear(main).append(h('p', { class: 'hint' }, 'Loading…'));
  load().catch(() => {});
  return () => {
    clearInterval(ticker);
    clearTimeout(archiveReload);
    for (const off of unsubscribe) off();
  };
}
