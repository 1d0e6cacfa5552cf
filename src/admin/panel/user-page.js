/**
 * A user, live: profile, presence and open sockets, balance per currency, ban state, the call and
 * room he is in, his recent calls and orders, and the admin's warn / ban / unban forms. Re-read on
 * every push about a machine he takes part in (a billing tick moves his balance) and every few
 * seconds (sockets come and go without a machine moving). Never shows a token (the API has none).
 */
import { ApiError, api, runAction } from './api.js';
import {
  adminActionsTable,
  banTypeSelect,
  forgetEdits,
  formatTime,
  h,
  machineLink,
  patch,
  section,
  table,
} from './dom.js';
import { onMachine, onResync } from './live.js';

/** Looks a user up by id, or (anything else) goes to the search: nickname, openid. */
function lookupForm(current) {
  return h(
    'form',
    {
      class: 'filters',
      id: 'lookup-form',
      onsubmit: (event, element) => {
        event.preventDefault();
        const value = element.elements.user.value.trim();
        location.hash = /^[0-9]+$/.test(value)
          ? `#/users/${value}`
          : `#/search?q=${encodeURIComponent(value)}`;
      },
    },
    h(
      'label',
      null,
      'User ',
      h('input', {
        id: 'lookup-user',
        name: 'user',
        required: true,
        maxlength: 128,
        placeholder: 'id, nickname or openid',
        value: current ?? '',
      }),
    ),
    h('button', { type: 'submit' }, 'Look up'),
  );
}

const PRESENCE = { online: 'online', busy: 'busy (in a call)', offline: 'offline' };

function socketsBlock(sockets) {
  if (!sockets.length) return h('p', { class: 'hint', id: 'sockets' }, 'No open socket.');
  return table(
    ['Socket', 'Connected', 'Address', 'Rooms', 'Client'],
    sockets.map((socket) =>
      h(
        'tr',
        { 'data-socket': socket.id },
        h('td', null, h('code', null, socket.id)),
        h('td', null, formatTime(socket.connectedAt)),
        h('td', null, socket.address),
        h('td', null, socket.rooms.join(', ')),
        h('td', { class: 'user-agent' }, socket.userAgent || '—'),
      ),
    ),
    { id: 'sockets' },
  );
}

function ordersBlock(orders) {
  if (!orders.length) return h('p', { class: 'hint', id: 'recent-orders' }, 'No orders.');
  return table(
    ['Order', 'Amount', 'Price', 'Status', 'Placed', 'Paid'],
    orders.map((order) =>
      h(
        'tr',
        null,
        h('td', null, h('code', null, order.outTradeNo)),
        h('td', null, `${order.amount} ${order.currency}`),
        h('td', null, `¥${(order.priceFen / 100).toFixed(2)}`),
        h('td', null, order.status),
        h('td', null, formatTime(order.createdAt)),
        h('td', null, formatTime(order.paidAt)),
      ),
    ),
    { id: 'recent-orders' },
  );
}

function moderationForms(user, reload) {
  const act = (button, label, path, body, confirm) => runAction(button, label, path, body, reload, confirm);
  const id = user.profile.userId;
  const submitOf = (form) => form.querySelector('button[type=submit]');
  return h(
    'div',
    { class: 'actions' },
    h(
      'form',
      {
        class: 'inline-form',
        id: 'warn-form',
        onsubmit: async (event, element) => {
          event.preventDefault();
          const form = element;
          const done = await act(submitOf(form), 'Warn', `/users/${id}/warn`, {
            message: form.elements.message.value,
          });
          if (done) forgetEdits(form);
        },
      },
      h('input', {
        name: 'message',
        required: true,
        maxlength: 500,
        placeholder: 'warning shown in the app',
      }),
      h('button', { type: 'submit' }, 'Warn'),
    ),
    h(
      'form',
      {
        class: 'inline-form',
        id: 'ban-form',
        onsubmit: async (event, element) => {
          event.preventDefault();
          const form = element;
          const { type, message } = form.elements;
          const done = await act(
            submitOf(form),
            'Ban',
            `/users/${id}/ban`,
            { type: type.value, message: message.value },
            {
              title: `Ban user ${id} (${type.value})?`,
              detail: `Shown to the user: “${message.value}”. A call or room he is in ends or drops him.`,
            },
          );
          if (done) forgetEdits(form);
        },
      },
      banTypeSelect(),
      h('input', { name: 'message', required: true, maxlength: 500, placeholder: 'why (shown to the user)' }),
      h('button', { type: 'submit', class: 'danger' }, 'Ban'),
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'unban',
        disabled: user.ban.state === 'none',
        onclick: (_event, element) => act(element, 'Unban', `/users/${id}/unban`),
      },
      'Unban',
    ),
  );
}

function facts(rows, props) {
  return h(
    'dl',
    { class: 'facts', ...props },
    rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
}

export function renderUser(main, userId) {
  let left = false;
  let pending = null;
  /** Coalesces pushes (a billing tick moves several machines' and users' numbers) into one read. */
  function schedule() {
    pending ??= new Promise((resolve) => setTimeout(resolve, 150)).then(async () => {
      pending = null;
      if (!left) await draw();
    });
    return pending;
  }

  async function draw() {
    if (!userId) {
      patch(main, section('Look up a user', lookupForm()));
      return;
    }
    let user;
    try {
      user = await api(`/users/${encodeURIComponent(userId)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) {
        patch(main, section('Look up a user', lookupForm(userId), h('p', { class: 'error' }, error.message)));
      }
      return;
    }
    const p = user.profile;
    patch(
      main,
      section('Look up a user', lookupForm(userId)),
      section(
        `User ${p.userId}`,
        facts(
          [
            ['Role', p.role],
            ['Nickname', p.nickname || '—'],
            ['Age / gender', `${p.age} / ${['unknown', 'male', 'female'][p.gender] ?? p.gender}`],
            ['Unit price', `${p.unitPrice} points a minute`],
            ['Hidden from anchors', p.display === 1 ? 'yes' : 'no'],
            ['WeChat bound', p.wechatBound ? 'yes' : 'no'],
            ['Created', formatTime(p.createdAt)],
            ['Last login', formatTime(p.lastLoginAt)],
            [
              'Presence',
              h(
                'span',
                { class: `presence presence-${user.presence.status}`, id: 'presence' },
                `${PRESENCE[user.presence.status]} · ${user.presence.sockets} socket${user.presence.sockets === 1 ? '' : 's'}`,
              ),
            ],
            ['In call', user.activeCallId ? machineLink('call', user.activeCallId) : '—'],
            ['In room', user.activeRoomId ? machineLink('room', user.activeRoomId) : '—'],
          ],
          { id: 'profile' },
        ),
      ),
      section(
        'Balances',
        facts(
          Object.entries(user.balances).map(([currency, amount]) => [currency, String(amount)]),
          { id: 'balances' },
        ),
      ),
      section(
        'Moderation',
        facts(
          [
            ['Ban', user.ban.state === 'none' ? 'not banned' : `${user.ban.state}: ${user.ban.message}`],
            ['Pending warning', user.warnMessage || '—'],
          ],
          { id: 'ban-state' },
        ),
        moderationForms(user, schedule),
      ),
      section('Open sockets', socketsBlock(user.sockets)),
      section('Recent orders', ordersBlock(user.recentOrders)),
      section(
        'Recent calls',
        user.recentCalls.length
          ? table(
              ['Call', 'As', 'With', 'Status', 'End reason', 'Minutes', 'Diamonds', 'Points', 'Ban', 'Ended'],
              user.recentCalls.map((call) =>
                h(
                  'tr',
                  null,
                  h('td', null, machineLink('call', call.callId)),
                  h('td', null, call.role),
                  h('td', null, h('a', { href: `#/users/${call.otherUserId}` }, String(call.otherUserId))),
                  h('td', null, call.status === 2 ? 'connected' : 'missed'),
                  h('td', null, call.endReason),
                  h('td', null, String(call.minutes)),
                  h('td', null, String(call.diamonds)),
                  h('td', null, String(call.points)),
                  h(
                    'td',
                    null,
                    call.banStreamStatus === null ? '' : `${call.banTitle} (${call.banStreamStatus})`,
                  ),
                  h('td', null, formatTime(call.endedAt)),
                ),
              ),
              { id: 'recent-calls' },
            )
          : h('p', { class: 'hint' }, 'No calls yet.'),
      ),
      section(
        'Admin actions taken',
        user.adminActions.length
          ? adminActionsTable(user.adminActions, 'Details')
          : h('p', { class: 'hint', id: 'no-admin-actions' }, 'None.'),
      ),
    );
  }
  void draw();
  if (!userId) return () => {};
  const mentions = (view) =>
    view && Object.entries(view).some(([key, value]) => /Id$/.test(key) && String(value) === String(userId));
  const unsubscribe = [
    onMachine((push) => {
      if (mentions(push.view) || JSON.stringify(push.view?.seats ?? {}).includes(`:${userId}`))
        void schedule();
    }),
    onResync(() => void schedule()),
  ];
  const poll = setInterval(() => void schedule(), 5000);
  return () => {
    left = true;
    clearInterval(poll);
    for (const off of unsubscribe) off();
  };
}
