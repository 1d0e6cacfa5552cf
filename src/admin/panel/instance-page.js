/**
 * One machine instance: a live summary (money, timers with their BullMQ jobs), its state chart
 * with the path it took, the admin's actions (per member for a room), a call's settlement and
 * ledger (totals and pages of rows), the events it takes now, its history — each entry opens the
 * instance as it was at that version (chart, context, and what changed) — and its context.
 * Re-read on every push about it, and patched into the page.
 */
import { ApiError, api, chartOf, runAction } from './api.js';
import {
  adminActionsTable,
  banTypeSelect,
  clear,
  countdown,
  facts,
  forgetEdits,
  formatDuration,
  formatTime,
  h,
  json,
  patch,
  section,
  stateBadge,
  stateName,
  table,
  userLink,
} from './dom.js';
import { onMachine, onResync } from './live.js';
import { eventDetails, eventLabel, readable, readableField, timerLabel } from './names.js';

const STREAM_STATUS = { 0: 'account banned', 2: 'broadcasting banned' };
const LEDGER_PAGE = 20;

function chartBlock(chart, { activeStateIds, path, edges }) {
  const holder = h('div', { class: 'chart', id: 'state-chart' });
  // The SVG is generated and escaped by this server from the machine definition, not from user data.
  holder.innerHTML = chart.svg;
  const visited = new Set(path);
  const taken = new Set(edges.map((edge) => `${edge.from}>${edge.to}`));
  for (const node of holder.querySelectorAll('g.state[data-state]')) {
    const id = node.getAttribute('data-state');
    node.classList.toggle('current', activeStateIds.includes(id));
    node.classList.toggle('visited', visited.has(id) && !activeStateIds.includes(id));
    node.classList.toggle('unvisited', !visited.has(id));
  }
  for (const edge of holder.querySelectorAll('g.edge[data-from]')) {
    edge.classList.toggle(
      'taken',
      taken.has(`${edge.getAttribute('data-from')}>${edge.getAttribute('data-to')}`),
    );
  }
  return holder;
}

/** The path the instance took, from its history (state ids in the chart's naming). */
function pathOf(chart, history) {
  const id = (value) => `${chart.graph.machineId}.${stateName(value)}`;
  const path = [];
  const edges = [];
  for (const record of history) {
    const to = id(record.to);
    if (path[path.length - 1] !== to) path.push(to);
    if (record.from !== null) edges.push({ from: id(record.from), to });
  }
  return { path, edges };
}

function destructive(button, label, path, body, reload, title, detail) {
  return runAction(button, label, path, body, reload, { title, detail });
}

/** Hang up / end room and the ban form; each asks for confirmation and a reason first. */
function actionButtons(detail, reload) {
  const buttons = [];
  if (detail.kind === 'call') {
    buttons.push(
      h(
        'button',
        {
          id: 'hangup',
          type: 'button',
          class: 'danger',
          disabled: !detail.adminActions.hangup,
          onclick: (_event, element) =>
            destructive(
              element,
              'Hang up',
              `/calls/${detail.id}/hangup`,
              {},
              reload,
              `Hang up call ${detail.id}?`,
              'The call ends now (hangup_server) and settles the minutes already charged.',
            ),
        },
        'Hang up',
      ),
    );
  } else if (detail.kind === 'room') {
    buttons.push(
      h(
        'button',
        {
          id: 'end-room',
          type: 'button',
          class: 'danger',
          disabled: !detail.adminActions.end,
          onclick: (_event, element) =>
            destructive(
              element,
              'End room',
              `/rooms/${detail.id}/end`,
              {},
              reload,
              `End room ${detail.id}?`,
              'The live room ends for everybody in it.',
            ),
        },
        'End room',
      ),
    );
  }
  const banForm = h(
    'form',
    {
      class: 'inline-form',
      id: 'machine-ban-form',
      onsubmit: async (event, form) => {
        event.preventDefault();
        const { userId, type, message } = form.elements;
        const done = await destructive(
          form.querySelector('button[type=submit]'),
          'Ban',
          `/users/${userId.value}/ban`,
          { type: type.value, message: message.value },
          reload,
          `Ban user ${userId.value} (${type.value})?`,
          `Shown to the user: “${message.value}”. A call or room he is in ends or drops him.`,
        );
        if (done) forgetEdits(form);
      },
    },
    'Ban ',
    h(
      'select',
      { name: 'userId', id: 'ban-user' },
      detail.parties.map((p) => h('option', { value: p.userId }, `${p.role} ${p.userId}`)),
    ),
    banTypeSelect(),
    h('input', {
      name: 'message',
      id: 'ban-message',
      required: true,
      maxlength: 500,
      placeholder: 'message shown to the user',
    }),
    h('button', { type: 'submit', class: 'danger', disabled: detail.status !== 'active' }, 'Ban'),
  );
  return h('div', { class: 'actions' }, buttons, banForm);
}

function summaryBlock(detail) {
  const rows = detail.summary.map((fact) => {
    let value = fact.value;
    if (fact.format === 'time') value = formatTime(fact.value);
    if (fact.format === 'deadline') value = countdown(fact.value);
    if (fact.format === 'duration') value = formatDuration(fact.value);
    return [fact.label, value ?? '—', { 'data-fact': fact.key }];
  });
  return facts(rows, { id: 'live-summary', class: 'facts summary' });
}

function timersBlock(timers) {
  if (!timers.length) return h('p', { class: 'hint', id: 'timers' }, 'No timer armed.');
  return table(
    ['Timer', 'Fires in', 'Due', 'BullMQ job', 'Job state'],
    timers.map((timer) =>
      h(
        'tr',
        { 'data-timer': timer.sendId },
        h('td', { title: timer.sendId }, timerLabel(timer.sendId)),
        h('td', null, timer.dueAt === null ? '—' : countdown(timer.dueAt)),
        h('td', null, formatTime(timer.dueAt)),
        h('td', null, h('code', null, timer.jobId)),
        h('td', { class: `job-state job-${timer.state}` }, timer.state),
      ),
    ),
    { id: 'timers', class: 'stack' },
  );
}

function membersBlock(detail, reload) {
  if (!detail.members.length) return h('p', { class: 'hint', id: 'members' }, 'Nobody in the room.');
  const action = (member, key, label, path, title, detail2) =>
    h(
      'button',
      {
        type: 'button',
        class: 'danger small',
        'data-member-action': key,
        disabled: !member.actions[key],
        onclick: (_event, element) => destructive(element, label, path, {}, reload, title, detail2),
      },
      label,
    );
  return table(
    ['User', 'Role', 'Seat', 'Joined', 'Connection', 'Actions'],
    detail.members.map((member) =>
      h(
        'tr',
        { 'data-member': member.userId },
        h('td', null, userLink(member.userId)),
        h('td', null, member.role),
        h('td', null, member.seat ?? '—'),
        h('td', null, formatTime(member.joinedAt)),
        h('td', null, member.disconnected ? 'gone (grace period)' : 'connected'),
        h(
          'td',
          { class: 'member-actions' },
          action(
            member,
            'removeFromMic',
            'Off the mic',
            `/rooms/${detail.id}/members/${member.userId}/remove-from-mic`,
            `Take user ${member.userId} off the mic?`,
            'He stays in the room as audience.',
          ),
          action(
            member,
            'remove',
            'Remove',
            `/rooms/${detail.id}/members/${member.userId}/remove`,
            `Remove user ${member.userId} from room ${detail.id}?`,
            'He leaves the room (and the mic). He may come back unless banned.',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              'data-member-action': 'ban',
              disabled: !member.actions.ban,
              onclick: (_event, element) =>
                destructive(
                  element,
                  'Ban',
                  `/users/${member.userId}/ban`,
                  { type: 'account', message: 'Banned by an operator' },
                  reload,
                  `Ban user ${member.userId} (account)?`,
                  'His account is closed and he is dropped from the room. Shown to him: “Banned by an operator”.',
                ),
            },
            'Ban',
          ),
        ),
      ),
    ),
    { id: 'members', class: 'stack' },
  );
}

function settlementBlock(record) {
  if (!record) return h('p', { class: 'hint', id: 'settlement' }, 'Not settled yet.');
  const rows = [
    ['Status', record.status === 2 ? 'connected' : 'missed'],
    ['End reason', record.endReason],
    ['Ended by', record.endedBy ?? '—'],
    ['Minutes', record.minutes],
    ['Guest paid', `${record.diamonds} diamonds`],
    ['Anchor earned', `${record.points} points`],
    ['Price', `${record.unitPricePoints} points / ${record.unitPriceDiamonds} diamonds a minute`],
    ['Ended at', formatTime(record.endedAt)],
  ];
  if (record.banStreamStatus !== null && record.banStreamStatus !== undefined) {
    rows.push([
      'Ban',
      `${record.banTitle ?? ''} — streamStatus ${record.banStreamStatus}, ${STREAM_STATUS[record.banStreamStatus] ?? ''}`,
    ]);
  }
  return facts(
    rows.map(([term, value]) => [term, String(value)]),
    { id: 'settlement' },
  );
}

function ledgerBlock(ledger, olderPages, loadOlder) {
  if (ledger.totals.movements === 0) return h('p', { class: 'hint', id: 'ledger' }, 'No money moved.');
  const rows = [...ledger.movements, ...olderPages.flatMap((page) => page.movements)];
  const nextBefore = olderPages.length ? olderPages[olderPages.length - 1].nextBefore : ledger.nextBefore;
  return h(
    'div',
    { id: 'ledger' },
    h(
      'p',
      { class: 'ledger-totals', id: 'ledger-totals' },
      `${ledger.totals.movements} movements · `,
      ledger.totals.byAccount.map((leg) =>
        h(
          'span',
          { class: `total ${leg.amount < 0 ? 'debit' : 'credit'}` },
          `${leg.account} ${leg.amount > 0 ? '+' : ''}${leg.amount} ${leg.currency}`,
        ),
      ),
    ),
    table(
      ['Time', 'Key', 'Kind', 'Legs'],
      rows.map((movement) =>
        h(
          'tr',
          { 'data-transaction': movement.transactionId },
          h('td', null, formatTime(movement.at)),
          h('td', null, h('code', null, movement.key)),
          h('td', null, movement.kind),
          h(
            'td',
            null,
            movement.legs.map((leg) =>
              h(
                'div',
                { class: leg.amount < 0 ? 'debit' : 'credit' },
                `${leg.account} ${leg.amount > 0 ? '+' : ''}${leg.amount} ${leg.currency}`,
              ),
            ),
          ),
        ),
      ),
      { id: 'ledger-rows', class: 'ledger stack' },
    ),
    h(
      'p',
      { class: 'pager' },
      h('span', { class: 'hint' }, `showing the last ${rows.length} of ${ledger.totals.movements} `),
      nextBefore === null
        ? null
        : h(
            'button',
            { type: 'button', id: 'ledger-older', class: 'secondary', onclick: () => loadOlder(nextBefore) },
            'Older movements',
          ),
    ),
  );
}

function historyBlock(detail, selected) {
  const base = `#/machines/${detail.kind}/${encodeURIComponent(detail.id)}`;
  return h(
    'ol',
    { class: 'timeline', id: 'history' },
    [...detail.history].reverse().map((record) =>
      h(
        'li',
        { class: record.version === selected ? 'selected' : null, 'data-version': record.version },
        h(
          'a',
          {
            href: `${base}?v=${record.version}`,
            class: 'version',
            title: 'the instance as it was at this version',
          },
          `v${record.version}`,
        ),
        h('span', { class: 'time', title: new Date(record.at).toISOString() }, formatTime(record.at)),
        h('span', { class: 'event', title: record.event.type }, eventLabel(record.event.type)),
        eventDetails(record.event, record.actor).map((text) => h('span', { class: 'payload' }, text)),
        h('span', { class: 'actor' }, `by ${record.actor}`),
        h(
          'span',
          { class: 'move' },
          record.from === null ? '→ ' : `${stateName(record.from)} → `,
          stateName(record.to),
        ),
      ),
    ),
  );
}

function changesBlock(changes) {
  if (!changes.length) return h('p', { class: 'hint', id: 'version-changes' }, 'The context did not change.');
  const show = (path, value) => {
    if (value === undefined) return '—';
    const shown = readableField(path, value);
    return typeof shown === 'string' ? shown : JSON.stringify(shown);
  };
  return table(
    ['Field', 'Before', 'After'],
    changes.map((change) =>
      h(
        'tr',
        null,
        h('td', null, h('code', null, change.path || '(all)')),
        h('td', { class: 'debit' }, show(change.path, change.before)),
        h('td', { class: 'credit' }, show(change.path, change.after)),
      ),
    ),
    { id: 'version-changes', class: 'stack' },
  );
}

function versionParam() {
  const value = new URLSearchParams(location.hash.split('?')[1] ?? '').get('v');
  return value && /^[0-9]+$/.test(value) ? Number(value) : null;
}

export function renderInstance(main, kind, id) {
  let pending = null;
  let lastVersion = 0;
  const selected = versionParam();
  let olderLedger = [];
  let current = null;
  const base = `/machines/${kind}/${encodeURIComponent(id)}`;

  async function loadOlder(before) {
    const page = await api(`${base}/ledger?before=${before}&limit=${LEDGER_PAGE}`);
    olderLedger = [...olderLedger, page];
    await draw();
  }

  async function draw() {
    let detail;
    let chart;
    let version = null;
    try {
      [detail, chart, version] = await Promise.all([
        api(base),
        chartOf(kind),
        selected === null ? null : api(`${base}/versions/${selected}`),
      ]);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) {
        patch(main, section(`${kind} ${id}`, h('p', { class: 'error' }, error.message)));
      }
      return;
    }
    current = detail;
    lastVersion = detail.version;
    const live = detail.source === 'live' && !detail.final;
    const header = h(
      'div',
      { class: 'instance-header' },
      h('h1', null, `${kind} ${id} `, stateBadge(detail.state, detail.final)),
      h(
        'p',
        { class: 'hint' },
        `${detail.source === 'live' ? 'Live from Redis' : 'From the Postgres archive'} · version ${detail.version} · `,
        detail.final
          ? `ended ${formatTime(detail.since)}`
          : ['in this state for ', countdown(detail.since, true), ` (since ${formatTime(detail.since)})`],
        ' · parties: ',
        detail.parties.map((party) =>
          h('span', { class: 'party' }, `${party.role} `, userLink(party.userId)),
        ),
      ),
    );
    const chartState = version
      ? { activeStateIds: version.activeStateIds, path: version.path, edges: version.edges }
      : { activeStateIds: detail.activeStateIds, ...pathOf(chart, detail.history) };
    const accepts = detail.accepts.length
      ? h(
          'ul',
          { class: 'accepts', id: 'accepts' },
          detail.accepts.map((entry) =>
            h(
              'li',
              null,
              h('span', { title: entry.event }, eventLabel(entry.event)),
              entry.guards.some((guard) => guard !== null && guard !== 'inline')
                ? ` [${entry.guards.filter((guard) => guard && guard !== 'inline').join(' | ')}]`
                : entry.guards.some((guard) => guard === 'inline')
                  ? ' (if allowed)'
                  : '',
            ),
          ),
        )
      : h('p', { class: 'hint', id: 'accepts' }, 'Takes no more events.');
    const banner = version
      ? h(
          'div',
          { class: 'time-travel', id: 'time-travel' },
          h(
            'strong',
            null,
            `As it was at version ${version.version} of ${detail.version}: `,
            stateBadge(version.state),
            ` after “${eventLabel(version.transition.event.type)}” by ${version.transition.actor}, ${formatTime(version.transition.at)}`,
          ),
          version.exact
            ? null
            : h('p', { class: 'error' }, 'Replayed from a partial history: the context may be off.'),
          h('a', { href: `#${base}`, id: 'back-to-now' }, 'back to now'),
        )
      : null;
    const blocks = [header];
    if (live || detail.summary.length) blocks.push(section('Live summary', summaryBlock(detail)));
    if (live) blocks.push(section('Timers', timersBlock(detail.timers)));
    blocks.push(
      banner,
      section(
        version ? `State chart at version ${version.version}` : 'State chart',
        chartBlock(chart, chartState),
      ),
    );
    if (version) {
      blocks.push(
        section(`What changed at version ${version.version}`, changesBlock(version.changes)),
        section(`Context at version ${version.version}`, json(readable(version.context))),
      );
    }
    blocks.push(section('Admin actions', actionButtons(detail, schedule)));
    if (detail.members) blocks.push(section('Members and seats', membersBlock(detail, schedule)));
    if (kind === 'call') blocks.push(section('Settlement', settlementBlock(detail.record)));
    blocks.push(
      section(
        'Ledger',
        ledgerBlock(detail.ledger, olderLedger, (before) => void loadOlder(before)),
      ),
      section('Events it takes now', accepts),
      section('History (newest first; open a version to travel back)', historyBlock(detail, selected)),
      section('Context now', h('div', { id: 'context-now' }, json(readable(detail.context)))),
      section('Public view', json(readable(detail.view))),
      h(
        'section',
        { class: 'panel-section', id: 'persisted-snapshot' },
        h('h2', null, 'Persisted snapshot'),
        h('details', null, h('summary', null, 'as stored in Redis / the archive'), json(detail.snapshot)),
      ),
      section(
        'Admin actions taken',
        detail.actions.length
          ? adminActionsTable(detail.actions, 'Outcome')
          : h('p', { class: 'hint' }, 'None.'),
      ),
    );
    patch(main, ...blocks);
  }

  /** Coalesces a burst of pushes (ended → settled) into one reload. */
  function schedule() {
    pending ??= new Promise((resolve) => setTimeout(resolve, 80)).then(async () => {
      pending = null;
      await draw();
    });
    return pending;
  }

  const unsubscribe = [
    onMachine((push) => {
      if (push.kind === kind && push.id === id && push.version > lastVersion) void schedule();
    }),
    onResync(() => void schedule()),
  ];
  // Countdowns tick between pushes; the page itself is re-read only when the machine moves.
  const ticker = setInterval(() => {
    if (current)
      for (const element of main.querySelectorAll('[data-deadline]'))
        element.textContent = countdown(
          Number(element.dataset.deadline),
          element.hasAttribute('data-elapsed'),
        ).textContent;
  }, 1000);
  if (!main.querySelector('.instance-header')) clear(main).append(h('p', { class: 'hint' }, 'Loading…'));
  void draw();
  return () => {
    clearInterval(ticker);
    for (const off of unsubscribe) off();
  };
}
