/**
 * Looking a user up: profile, balance per currency, ban state, the call and room he is in, his
 * recent calls, and the admin's warn / ban / unban forms. Never shows a token (the API has none).
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

function lookupForm(current) {
  const input = h('input', {
    id: 'lookup-user',
    name: 'user',
    inputmode: 'numeric',
    pattern: '[0-9]+',
    required: true,
    placeholder: 'user id',
    value: current ?? '',
  });
  return h(
    'form',
    {
      class: 'filters',
      onsubmit: (event, element) => {
        event.preventDefault();
        location.hash = `#/users/${element.elements.user.value.trim()}`;
      },
    },
    h('label', null, 'User ', input),
    h('button', { type: 'submit' }, 'Look up'),
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
        moderationForms(user, draw),
      ),
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
  return () => {};
}
