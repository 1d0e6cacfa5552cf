/**
 * One machine instance: its state chart (generated from the machine definition by the server)
 * with the current state highlighted, the admin's buttons, the settlement and ledger of a call,
 * the events it takes now, its history and its context. Reloaded on every push about it.
 */
import { ApiError, api, chartOf, runAction } from './api.js';
import {
  adminActionsTable,
  banTypeSelect,
  forgetEdits,
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

const STREAM_STATUS = { 0: 'account banned', 2: 'broadcasting banned' };

function chartBlock(chart, detail) {
  const holder = h('div', { class: 'chart', id: 'state-chart' });
  // The SVG is generated and escaped by this server from the machine definition, not from user data.
  holder.innerHTML = chart.svg;
  const visited = new Set(detail.history.map((record) => `${chart.graph.machineId}.${stateName(record.to)}`));
  for (const node of holder.querySelectorAll('[data-state]')) {
    const id = node.getAttribute('data-state');
    node.classList.toggle('current', detail.activeStateIds.includes(id));
    node.classList.toggle('visited', visited.has(id));
  }
  return holder;
}

/** Hang up / end room and the ban form; each asks for confirmation and a reason first. */
function actionButtons(detail, reload) {
  const act = (button, label, path, body, confirm) => runAction(button, label, path, body, reload, confirm);
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
            act(
              element,
              'Hang up',
              `/calls/${detail.id}/hangup`,
              {},
              {
                title: `Hang up call ${detail.id}?`,
                detail: 'The call ends now (hangup_server) and settles the minutes already charged.',
              },
            ),
        },
        'Hang up',
      ),
    );
  } else {
    buttons.push(
      h(
        'button',
        {
          id: 'end-room',
          type: 'button',
          class: 'danger',
          disabled: !detail.adminActions.end,
          onclick: (_event, element) =>
            act(
              element,
              'End room',
              `/rooms/${detail.id}/end`,
              {},
              {
                title: `End room ${detail.id}?`,
                detail: 'The live room ends for everybody in it.',
              },
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
      onsubmit: async (event, element) => {
        event.preventDefault();
        const form = element;
        const { userId, type, message } = form.elements;
        const done = await act(
          form.querySelector('button[type=submit]'),
          'Ban',
          `/users/${userId.value}/ban`,
          { type: type.value, message: message.value },
          {
            title: `Ban user ${userId.value} (${type.value})?`,
            detail: `Shown to the user: “${message.value}”. A call or room he is in ends or drops him.`,
          },
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
  return h(
    'dl',
    { class: 'facts', id: 'settlement' },
    rows.map(([term, value]) => [h('dt', null, term), h('dd', null, String(value))]),
  );
}

function ledgerBlock(ledger) {
  if (ledger.length === 0) return h('p', { class: 'hint', id: 'ledger' }, 'No money moved.');
  return table(
    ['Time', 'Key', 'Kind', 'Legs'],
    ledger.map((movement) =>
      h(
        'tr',
        null,
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
    { id: 'ledger', class: 'ledger' },
  );
}

function historyBlock(history) {
  return h(
    'ol',
    { class: 'timeline', id: 'history' },
    history.map((record) => {
      const { type, at: _at, ...payload } = record.event;
      return h(
        'li',
        null,
        h('span', { class: 'time' }, formatTime(record.at)),
        h('span', { class: 'version' }, `v${record.version}`),
        h('code', { class: 'event' }, type),
        h('span', { class: 'actor' }, `by ${record.actor}`),
        h(
          'span',
          { class: 'move' },
          record.from === null ? '→ ' : `${stateName(record.from)} → `,
          stateName(record.to),
        ),
        Object.keys(payload).length ? h('code', { class: 'payload' }, JSON.stringify(payload)) : null,
      );
    }),
  );
}

export function renderInstance(main, kind, id) {
  let pending = null;
  let lastVersion = 0;

  async function draw() {
    let detail;
    let chart;
    try {
      [detail, chart] = await Promise.all([
        api(`/machines/${kind}/${encodeURIComponent(id)}`),
        chartOf(kind),
      ]);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) {
        patch(main, section(`${kind} ${id}`, h('p', { class: 'error' }, error.message)));
      }
      return;
    }
    lastVersion = detail.version;
    const header = h(
      'div',
      { class: 'instance-header' },
      h('h1', null, `${kind} ${id} `, stateBadge(detail.state, detail.final)),
      h(
        'p',
        { class: 'hint' },
        `${detail.source === 'live' ? 'Live from Redis' : 'From the Postgres archive'} · version ${detail.version} · in state since ${formatTime(detail.since)} · parties: `,
        detail.parties.map((party) =>
          h('span', { class: 'party' }, `${party.role} `, userLink(party.userId)),
        ),
      ),
    );
    const accepts = detail.accepts.length
      ? h(
          'ul',
          { class: 'accepts', id: 'accepts' },
          detail.accepts.map((entry) =>
            h(
              'li',
              null,
              h('code', null, entry.label),
              entry.guards.some((guard) => guard !== null)
                ? ` [${entry.guards.filter(Boolean).join(' | ')}]`
                : '',
            ),
          ),
        )
      : h('p', { class: 'hint', id: 'accepts' }, 'Takes no more events.');
    const blocks = [
      header,
      section('State chart', chartBlock(chart, detail)),
      section('Admin actions', actionButtons(detail, schedule)),
    ];
    if (kind === 'call') {
      blocks.push(
        section('Settlement', settlementBlock(detail.record)),
        section('Ledger movements', ledgerBlock(detail.ledger)),
      );
    }
    blocks.push(
      section('Events it takes now', accepts),
      section('History', historyBlock(detail.history)),
      section('Context', json(detail.context)),
      section('Public view', json(detail.view)),
      h(
        'section',
        { class: 'panel-section', id: 'persisted-snapshot' },
        h('h2', null, 'Persisted snapshot'),
        h('details', null, h('summary', null, 'as stored in Redis / the archive'), json(detail.snapshot)),
      ),
    );
    if (detail.actions.length) {
      blocks.push(section('Admin actions taken', adminActionsTable(detail.actions, 'Outcome')));
    }
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
  patch(main, h('p', { class: 'hint' }, 'Loading…'));
  void draw();
  return () => {
    for (const off of unsubscribe) off();
  };
}
