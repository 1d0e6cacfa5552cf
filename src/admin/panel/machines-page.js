/**
 * The live table: every active call and room, kept current by `admin:machine` pushes (no reload),
 * filtered by kind, state and user; below it, the recently finished ones.
 */
import { api, chartOf } from './api.js';
import {
  clear,
  formatAgo,
  formatTime,
  h,
  machineLink,
  section,
  stateBadge,
  stateName,
  userLink,
} from './dom.js';
import { onMachine, onResync } from './live.js';

/** Who takes part, from a machine's public view (the same parties the API lists). */
function partiesOf(kind, view) {
  if (!view) return [];
  if (kind === 'call') {
    return [
      { role: 'guest', userId: view.guestId },
      { role: 'anchor', userId: view.anchorId },
    ];
  }
  const parties = [{ role: 'matchmaker', userId: view.matchmakerId }];
  if (view.seats?.male != null) parties.push({ role: 'male seat', userId: view.seats.male });
  if (view.seats?.female != null) parties.push({ role: 'female seat', userId: view.seats.female });
  return parties;
}

function readFilter() {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return { kind: params.get('kind') ?? '', state: params.get('state') ?? '', user: params.get('user') ?? '' };
}

function matches(filter, row) {
  if (filter.kind && row.kind !== filter.kind) return false;
  if (filter.state && row.state !== filter.state) return false;
  if (filter.user && !row.parties.some((party) => String(party.userId) === filter.user)) return false;
  return true;
}

function query(filter, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra })) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function renderMachines(main) {
  const filter = readFilter();
  const active = new Map();
  const finished = new Map();
  const versions = new Map();
  const key = (kind, id) => `${kind}:${id}`;

  const kindSelect = h(
    'select',
    { id: 'filter-kind', name: 'kind' },
    h('option', { value: '' }, 'calls and rooms'),
    h('option', { value: 'call', selected: filter.kind === 'call' }, 'calls'),
    h('option', { value: 'room', selected: filter.kind === 'room' }, 'rooms'),
  );
  const stateList = h('datalist', { id: 'known-states' });
  const stateInput = h('input', {
    id: 'filter-state',
    name: 'state',
    list: 'known-states',
    placeholder: 'any state',
    value: filter.state,
  });
  const userInput = h('input', {
    id: 'filter-user',
    name: 'user',
    inputmode: 'numeric',
    pattern: '[0-9]*',
    placeholder: 'any user id',
    value: filter.user,
  });
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/${query({ kind: kindSelect.value, state: stateInput.value.trim(), user: userInput.value.trim() })}`;
      },
    },
    h('label', null, 'Kind ', kindSelect),
    h('label', null, 'State ', stateInput, stateList),
    h('label', null, 'User ', userInput),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: '#/', class: 'reset' }, 'reset'),
  );
  const activeBody = h('tbody');
  const finishedBody = h('tbody');
  const counter = h('span', { class: 'count' });
  const headers = ['Kind', 'Id', 'State', 'Parties', 'In state for', 'Last event', 'Updated'];
  const head = () =>
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((title) => h('th', null, title)),
      ),
    );

  clear(main).append(
    section(
      'Active machines',
      form,
      h('p', { class: 'hint' }, 'Updated live over Socket.IO. ', counter),
      h('table', { id: 'active-machines', class: 'machines' }, head(), activeBody),
    ),
    section(
      'Recently finished',
      h('table', { id: 'finished-machines', class: 'machines' }, head(), finishedBody),
    ),
  );

  for (const kind of ['call', 'room']) {
    chartOf(kind)
      .then((chart) => {
        for (const state of chart.graph.states) stateList.append(h('option', { value: state.key }));
      })
      .catch(() => {});
  }

  function rowOf(row, now) {
    return h(
      'tr',
      { 'data-key': key(row.kind, row.id), 'data-state': row.state },
      h('td', null, row.kind),
      h('td', null, machineLink(row.kind, row.id)),
      h('td', { class: 'state-cell' }, stateBadge(row.state, row.final)),
      h(
        'td',
        null,
        row.parties.map((party) => h('span', { class: 'party' }, `${party.role} `, userLink(party.userId))),
      ),
      h(
        'td',
        { class: 'ago', title: formatTime(row.since), 'data-since': row.since },
        formatAgo(row.since, now),
      ),
      h(
        'td',
        { class: 'last-event' },
        row.lastEvent ? [h('code', null, row.lastEvent.type), ` by ${row.lastEvent.actor}`] : '—',
      ),
      h('td', null, formatTime(row.updatedAt)),
    );
  }

  function draw() {
    const now = Date.now();
    const rows = [...active.values()]
      .filter((row) => matches(filter, row))
      .sort((a, b) => b.updatedAt - a.updatedAt);
    clear(activeBody).append(
      ...(rows.length
        ? rows.map((row) => rowOf(row, now))
        : [h('tr', { class: 'empty' }, h('td', { colspan: 7 }, 'Nothing running.'))]),
    );
    counter.textContent = `${rows.length} active`;
    const done = [...finished.values()]
      .filter((row) => matches(filter, row))
      .sort((a, b) => b.updatedAt - a.updatedAt);
    clear(finishedBody).append(
      ...(done.length
        ? done.slice(0, 50).map((row) => rowOf(row, now))
        : [h('tr', { class: 'empty' }, h('td', { colspan: 7 }, 'Nothing finished yet.'))]),
    );
  }

  async function load() {
    const [live, archived] = await Promise.all([
      api(`/machines${query(filter)}`),
      api(`/archives${query({ kind: filter.kind, user: filter.user }, { limit: '50' })}`),
    ]);
    active.clear();
    for (const row of live.machines) {
      const k = key(row.kind, row.id);
      // A push newer than this answer may already be in: keep it.
      if ((versions.get(k) ?? 0) > row.version) continue;
      versions.set(k, row.version);
      active.set(k, row);
    }
    for (const row of archived.machines)
      if (!finished.has(key(row.kind, row.id))) finished.set(key(row.kind, row.id), row);
    draw();
  }

  function apply(push) {
    const k = key(push.kind, push.id);
    // Pushes of one instance can arrive out of order (effects of two transitions in two processes).
    if ((versions.get(k) ?? 0) > push.version) return;
    versions.set(k, push.version);
    const previous = active.get(k);
    const state = stateName(push.to);
    const changed = push.from === null || stateName(push.from) !== state;
    const row = {
      kind: push.kind,
      id: push.id,
      version: push.version,
      state,
      final: push.final,
      parties: partiesOf(push.kind, push.view),
      since: changed || !previous ? push.at : previous.since,
      updatedAt: push.at,
      lastEvent: { type: push.event, at: push.at, actor: push.actor ?? '' },
    };
    if (push.final) {
      active.delete(k);
      finished.set(k, row);
    } else active.set(k, row);
    draw();
  }

  const unsubscribe = [onMachine(apply), onResync(() => load().catch(() => {}))];
  // Only the "in state for" cells tick: redrawing rows every second would swallow clicks.
  const ticker = setInterval(() => {
    for (const cell of main.querySelectorAll('td.ago'))
      cell.textContent = formatAgo(Number(cell.dataset.since));
  }, 1000);
  load().catch(() => {});
  return () => {
    clearInterval(ticker);
    for (const off of unsubscribe) off();
  };
}
