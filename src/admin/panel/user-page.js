/**
 * Looking a user up: profile, balance per currency, ban state, the call and room he is in, his
 * recent calls, and the admin's warn / ban / unban forms. Never shows a token (the API has none).
 */
import { ApiError, api, runAction } from './api.js';
import {
  adminActionsTable,
  banTypeSelect,
  clear,
  formatTime,
  h,
  machineLink,
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
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/users/${input.value.trim()}`;
      },
    },
    h('label', null, 'User ', input),
    h('button', { type: 'submit' }, 'Look up'),
  );
}

function moderationForms(user, reload) {
  const act = (button, label, path, body) => runAction(button, label, path, body, reload);
  const id = user.profile.userId;
  const warnMessage = h('input', {
    name: 'message',
    required: true,
    maxlength: 500,
    placeholder: 'warning shown in the app',
  });
  const warnButton = h('button', { type: 'submit' }, 'Warn');
  const banType = banTypeSelect();
  const banMessage = h('input', {
    name: 'message',
    required: true,
    maxlength: 500,
    placeholder: 'why (shown to the user)',
  });
  const banButton = h('button', { type: 'submit', class: 'danger' }, 'Ban');
  const unbanButton = h(
    'button',
    {
      type: 'button',
      id: 'unban',
      disabled: user.ban.state === 'none',
      onclick: (event) => act(event.currentTarget, 'Unban', `/users/${id}/unban`),
    },
    'Unban',
  );
  return h(
    'div',
    { class: 'actions' },
    h(
      'form',
      {
        class: 'inline-form',
        id: 'warn-form',
        onsubmit: (event) => {
          event.preventDefault();
          void act(warnButton, 'Warn', `/users/${id}/warn`, { message: warnMessage.value });
        },
      },
      warnMessage,
      warnButton,
    ),
    h(
      'form',
      {
        class: 'inline-form',
        id: 'ban-form',
        onsubmit: (event) => {
          event.preventDefault();
          void act(banButton, 'Ban', `/users/${id}/ban`, { type: banType.value, message: banMessage.value });
        },
      },
      banType,
      banMessage,
      banButton,
    ),
    unbanButton,
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
      clear(main).append(section('Look up a user', lookupForm()));
      return;
    }
    let user;
    try {
      user = await api(`/users/${encodeURIComponent(userId)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401) {
        clear(main).append(
          section('Look up a user', lookupForm(userId), h('p', { class: 'error' }, error.message)),
        );
      }
      return;
    }
    const p = user.profile;
    clear(main).append(
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
      user.adminActions.length
        ? section('Admin actions taken', adminActionsTable(user.adminActions, 'Details'))
        : null,
    );
  }
  void draw();
  return () => {};
}
