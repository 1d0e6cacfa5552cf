import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptCall, liveCall, ringingCall, startCall } from '../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { copyArchivedCall } from '../helpers/archive-fixtures.js';
import { connectClient } from '../helpers/clients.js';
import { START_COMMANDS, TEST_CHROMIUM } from '../helpers/services.js';

/** Debian's chromium (`apt-get install chromium`, see .ci/run) or TEST_CHROMIUM, driven by playwright-core. */
const CHROMIUM = TEST_CHROMIUM;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT = path.resolve('test/output');
const SCREENSHOTS = path.resolve('docs/screenshots');

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: ${START_COMMANDS.chromium} (or set TEST_CHROMIUM)`);
  server = await startTestServer('admin_panel');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  await mkdir(OUTPUT, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPanel(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(10_000);
  await page.goto(`${server.url}/admin`);
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.locator('#admin-token').fill(token);
  await page.locator('#sign-in-form button[type=submit]').click();
}

/** Saves a screenshot under test/output/ (gitignored); `UPDATE_SCREENSHOTS=1` also refreshes the README's copies. */
async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(OUTPUT, name);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(SCREENSHOTS, { recursive: true });
    await copyFile(file, path.join(SCREENSHOTS, name));
  }
}

/** Clicks a destructive button, types the reason into the confirmation and confirms. */
async function confirmWithReason(page: Page, button: string, reason: string): Promise<void> {
  await page.locator(button).click();
  await page.locator('#confirm-reason').fill(reason);
  await page.locator('#confirm-submit').click();
}

const stateOfRow = (page: Page, callId: string) =>
  page.locator(`#active-machines tr[data-key="call:${callId}"] .state-badge`);

describe('admin panel in Chromium', () => {
  it('shows the sign-in again for a wrong token, and for a stale one left in the tab', async () => {
    const page = await openPanel();
    await expect.poll(() => page.locator('#sign-in').isVisible()).toBe(true);
    await signIn(page, 'this-is-not-the-admin-token');
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('refused');
    expect(await page.locator('#main').isVisible()).toBe(false);
    expect(await page.evaluate('sessionStorage.getItem("adminToken")')).toBeNull();

    await page.evaluate('sessionStorage.setItem("adminToken", "stale-token-from-yesterday")');
    await page.reload();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('refused');
    expect(await page.locator('#nav').isVisible()).toBe(false);
    await page.close();
  });

  it('watches a call appear and change state live, opens it, sees the chart, hangs it up and sees the settlement', async () => {
    const page = await openPanel();
    await signIn(page, server.adminToken);
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('live');
    await page.evaluate('window.__sameDocument = true');

    // A QLive room opens (its machine created as the rooms service does) and shows up too.
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Hongniang' });
    await server.context.runtime.create(
      'room',
      '77',
      {
        roomId: '77',
        matchmakerId: matchmaker.userId,
        roomName: 'Friday',
        groupId: 'g77',
        graceMs: 30_000,
        at: Date.now(),
      },
      { actor: String(matchmaker.userId) },
    );
    await expect
      .poll(() => page.locator('#active-machines tr[data-key="room:77"] .state-badge').textContent())
      .toBe('live');

    // The test drives the call through the apps' API; the table follows over Socket.IO.
    const call = await ringingCall(server);
    await expect.poll(() => stateOfRow(page, call.callId).textContent()).toBe('ringing');
    await acceptCall(server, call);
    await expect.poll(() => stateOfRow(page, call.callId).textContent()).toBe('accepted');
    await startCall(server, call);
    await expect.poll(() => stateOfRow(page, call.callId).textContent()).toBe('live');
    const row = page.locator(`#active-machines tr[data-key="call:${call.callId}"]`);
    expect(await row.textContent()).toContain(`guest ${call.guest.userId}`);
    expect(await row.locator('.last-event').textContent()).toBe(`started by ${call.anchor.userId}`);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await screenshot(page, 'admin-live-table.png');

    // The filters: a state the call is not in hides it; its own user shows it.
    await page.locator('#filter-state').fill('ringing');
    await page.locator('#active-filters button[type=submit]').click();
    await expect.poll(() => row.count()).toBe(0);
    await page.locator('#filter-state').fill('');
    await page.locator('#filter-user').fill(String(call.anchor.userId));
    await page.locator('#active-filters button[type=submit]').click();
    await expect.poll(() => row.count()).toBe(1);

    await row.locator('a.machine-link').click();
    const current = page.locator('#state-chart g.state.current');
    await expect.poll(() => current.getAttribute('data-state')).toBe('call.live');
    expect(await page.locator('#state-chart g.state').count()).toBe(5);
    expect(await page.locator('#history li').count()).toBe(3);
    expect(await page.locator('#ledger').textContent()).toContain(`call:${call.callId}:minute:1`);

    await screenshot(page, 'admin-call-live.png');

    // Cancelling the confirmation sends nothing.
    await page.locator('#hangup').click();
    await page.locator('#confirm-cancel').click();
    expect(await page.locator('#confirm-dialog').isVisible()).toBe(false);
    expect(await current.getAttribute('data-state')).toBe('call.live');

    await confirmWithReason(page, '#hangup', 'guest reported abuse on the stream');
    await expect.poll(() => page.locator('#settlement').textContent()).toContain('hangup_server');
    await expect.poll(() => current.getAttribute('data-state')).toBe('call.settled');
    const settlement = await page.locator('#settlement').textContent();
    expect(settlement).toContain('60 diamonds');
    expect(settlement).toContain('30 points');
    expect(await page.locator('#hangup').isDisabled()).toBe(true);
    await screenshot(page, 'admin-call-settled.png');

    const html = await page.content();
    for (const secret of [call.guest.token, call.anchor.token]) expect(html).not.toContain(secret);
    await page.close();
  });

  it('looks a user up with balances, bans and recent calls, and bans him from there', async () => {
    const page = await openPanel();
    await signIn(page, server.adminToken);
    const call = await ringingCall(server);
    await page.goto(`${server.url}/admin#/users/${call.guest.userId}`);
    await expect.poll(() => page.locator('#balances').textContent()).toContain('diamond1000');
    expect(await page.locator('#profile').textContent()).toContain(`call ${call.callId}`);

    await page.locator('#ban-form input[name=message]').fill('Fake profile');
    await page.locator('#ban-form select[name=type]').selectOption('account');
    await confirmWithReason(page, '#ban-form button[type=submit]', 'photos taken from a model agency');
    await expect.poll(() => page.locator('#ban-state').textContent()).toContain('account: Fake profile');
    await expect
      .poll(() => page.locator('#admin-actions').textContent())
      .toContain('photos taken from a model agency');
    await expect.poll(() => page.locator('#recent-calls').textContent()).toContain('banned');
    expect(await page.content()).not.toContain(call.guest.token);
    await page.close();
  });
});

describe('the archive and the search box in Chromium', () => {
  it('pages through 1,000 finished calls with end reason, minutes, money and duration, and filters them', async () => {
    const template = await liveCall(server);
    await server.request('POST', `/admin/api/calls/${template.callId}/hangup`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      body: { reason: 'fixture' },
    });
    await expect
      .poll(async () => {
        const client = new pg.Client({ connectionString: server.databaseUrl });
        await client.connect();
        try {
          const { rowCount } = await client.query('select 1 from machine_archives where id = $1', [
            template.callId,
          ]);
          return rowCount;
        } finally {
          await client.end();
        }
      })
      .toBe(1);
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await copyArchivedCall(client, template.callId, 1000, 7_000_000);
    } finally {
      await client.end();
    }

    const page = await openPanel();
    await signIn(page, server.adminToken);
    await page.goto(`${server.url}/admin#/?kind=call&limit=200`);
    const rows = page.locator('#finished-machines tbody tr[data-key]');
    await expect.poll(() => rows.count()).toBe(200);
    const first = page.locator(`#finished-machines tr[data-key="call:${template.callId}"]`);
    expect(await first.locator('.end-reason').textContent()).toBe('hangup_server');
    expect(await first.locator('.minutes').textContent()).toBe('1');
    expect(await first.locator('.money').textContent()).toBe('60 diamonds / 30 points');
    expect(await first.locator('.duration').textContent()).toMatch(/^\d+s$/);
    // Finished machines do not keep counting time in their state.
    expect(await page.locator('#finished-machines td.ago').count()).toBe(0);
    await screenshot(page, 'admin-archive.png');

    const seen = new Set<string>();
    for (let pageNumber = 1; ; pageNumber++) {
      await expect.poll(() => page.locator('#archive-page').textContent()).toBe(`page ${pageNumber}`);
      await expect.poll(() => rows.count()).toBeGreaterThan(0);
      for (const key of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key'))))
        seen.add(String(key));
      if (await page.locator('#archive-older').isDisabled()) break;
      await page.locator('#archive-older').click();
    }
    const copies = [...seen].filter((key) => /^call:7\d{6}$/.test(key));
    expect(copies).toHaveLength(1000);

    // Back one page, then filtered by end reason: only those rows are left.
    await page.locator('#archive-newer').click();
    await expect.poll(() => page.locator('#archive-page').textContent()).not.toBe('page 1');
    await page.locator('#filter-end-reason').selectOption('banned');
    await page.locator('#archive-filters button[type=submit]').click();
    await expect.poll(() => page.locator('#archive-page').textContent()).toBe('page 1');
    await expect
      .poll(() => page.locator('#finished-machines .end-reason').allTextContents())
      .not.toContain('hangup_server');
    await page.close();
  });

  it('finds a call by call_<id> and a user by nickname or openid from the search box', async () => {
    const call = await ringingCall(server);
    const page = await openPanel();
    await signIn(page, server.adminToken);
    await page.locator('#search-input').fill(`call_${call.callId}`);
    await page.locator('#search-form button[type=submit]').click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/machines/call/${call.callId}`);
    await expect
      .poll(() => page.locator('.instance-header h1').textContent())
      .toContain(`call ${call.callId}`);

    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await client.query(
        "update users set nickname = 'Linghu Chong', wechat_openid = 'oPanelSearch123' where id = $1",
        [call.guest.userId],
      );
    } finally {
      await client.end();
    }
    await page.locator('#search-input').fill('linghu');
    await page.locator('#search-form button[type=submit]').click();
    await expect.poll(() => page.evaluate('location.hash')).toBe(`#/users/${call.guest.userId}`);
    await page.locator('#search-input').fill('oPanelSearch123');
    await page.locator('#search-form button[type=submit]').click();
    await expect.poll(() => page.locator('#profile').textContent()).toContain('Linghu Chong');
    await page.locator('#search-input').fill('nobody-has-this-name');
    await page.locator('#search-form button[type=submit]').click();
    await expect.poll(() => page.locator('#search-results').textContent()).toBe('Nothing matches.');
    await page.close();
  });
});

describe('the call and room pages in Chromium', () => {
  const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });

  it('shows a live call’s money and timers with their BullMQ jobs, and its ledger as totals plus pages', async () => {
    const call = await liveCall(server, 10_000);
    const gift = await server.request('POST', '/admin/api/gifts', {
      headers: asAdmin(),
      body: { name: 'Rose', imgUrl: 'https://example.com/rose.png', cost: 10 },
    });
    for (let n = 0; n < 24; n++) {
      const sent = await server.request('POST', '/app/live/sendGift', {
        body: { token: call.guest.token, giftId: gift.body.giftId },
      });
      expect(sent.body.code).toBe(0);
    }
    const page = await openPanel();
    await signIn(page, server.adminToken);
    await page.goto(`${server.url}/admin#/machines/call/${call.callId}`);
    const summary = page.locator('#live-summary');
    await expect.poll(() => summary.textContent()).toContain('Minutes charged1');
    expect(await summary.textContent()).toContain('Diamonds spent300');
    expect(await summary.textContent()).toMatch(/Paid untilin \d+s/);
    const timers = page.locator('#timers');
    expect(await timers.textContent()).toContain(`call-${call.callId}-minute-2`);
    expect(await timers.textContent()).toContain('billing minute 2');
    expect(await timers.textContent()).toContain('delayed');

    expect(await page.locator('#ledger-totals').textContent()).toContain('25 movements');
    expect(await page.locator('#ledger-totals').textContent()).toContain(
      `user:${call.guest.userId} -300 diamond`,
    );
    const ledgerRows = page.locator('#ledger-rows tbody tr');
    expect(await ledgerRows.count()).toBe(20);
    await page.locator('#ledger-older').click();
    await expect.poll(() => ledgerRows.count()).toBe(25);
    expect(await page.locator('#ledger-older').count()).toBe(0);
    expect(await ledgerRows.last().textContent()).toContain(`call:${call.callId}:minute:1`);
    await page.close();
  });

  it('travels back through a call’s history: the path so far, the context then and what changed', async () => {
    const call = await liveCall(server);
    const page = await openPanel();
    await signIn(page, server.adminToken);
    await page.goto(`${server.url}/admin#/machines/call/${call.callId}`);
    await expect.poll(() => page.locator('#history li').count()).toBe(3);
    // Friendly names and local times, not xstate's names and epoch milliseconds.
    expect(await page.locator('#history').textContent()).toContain('created');
    expect(await page.locator('#history').textContent()).toContain('started');
    expect(await page.locator('#history').textContent()).not.toMatch(/\d{13}/);
    expect(await page.locator('#context-now').textContent()).not.toMatch(/\d{13}/);
    expect(await page.locator('#context-now').textContent()).toMatch(
      /"startedAt": "\d{4}-\d\d-\d\d \d\d:\d\d/,
    );

    await page.locator('#history li[data-version="2"] a.version').click();
    await expect.poll(() => page.locator('#time-travel').textContent()).toContain('version 2 of 3');
    const state = (id: string) => page.locator(`#state-chart g.state[data-state="${id}"]`);
    await expect.poll(() => state('call.accepted').getAttribute('class')).toContain('current');
    expect(await state('call.ringing').getAttribute('class')).toContain('visited');
    expect(await state('call.live').getAttribute('class')).toContain('unvisited');
    expect(await page.locator('#state-chart g.edge.taken').count()).toBe(1);
    expect(await page.locator('#version-changes').textContent()).toContain('acceptedAt');
    expect(await page.locator('#history li.selected').getAttribute('data-version')).toBe('2');

    await page.locator('#history li[data-version="3"] a.version').click();
    await expect.poll(() => page.locator('#version-changes').textContent()).toContain('minutesStarted');
    expect(await page.locator('#version-changes').textContent()).toContain('startedAt');
    await screenshot(page, 'admin-time-travel.png');

    await page.locator('#back-to-now').click();
    await expect.poll(() => page.locator('#time-travel').count()).toBe(0);
    expect(await state('call.live').getAttribute('class')).toContain('current');
    await page.close();
  });

  it('shows a room’s members and seats and takes one off the mic, removes another, each after a reason', async () => {
    const matchmaker = await server.createUser({ role: 'matchmaker', nickname: 'Hongniang' });
    const roomId = '88';
    const { runtime, roomIndex } = server.context;
    await runtime.create(
      'room',
      roomId,
      {
        roomId,
        matchmakerId: matchmaker.userId,
        roomName: 'Saturday',
        groupId: 'g88',
        graceMs: 30_000,
        at: Date.now(),
      },
      { actor: String(matchmaker.userId) },
    );
    for (const [userId, gender] of [
      [801, 1],
      [802, 2],
    ] as const) {
      await runtime.send('room', roomId, { type: 'ENTER', userId, gender }, { actor: String(userId) });
      await roomIndex.join(userId, roomId);
    }
    await runtime.send('room', roomId, { type: 'APPLY', userId: 801 }, { actor: '801' });
    await runtime.send(
      'room',
      roomId,
      { type: 'ACCEPT_SEAT', userId: 801 },
      { actor: String(matchmaker.userId) },
    );

    const page = await openPanel();
    await signIn(page, server.adminToken);
    await page.goto(`${server.url}/admin#/machines/room/${roomId}`);
    const member = (userId: number) => page.locator(`#members tr[data-member="${userId}"]`);
    await expect.poll(() => member(801).textContent()).toContain('on the mic');
    expect(await member(801).textContent()).toContain('male');
    expect(await member(802).textContent()).toContain('audience');
    expect(await member(802).locator('[data-member-action=removeFromMic]').isDisabled()).toBe(true);
    expect(await page.locator('#live-summary').textContent()).toContain('Male seat801');
    await screenshot(page, 'admin-room.png');

    await confirmWithReason(
      page,
      '#members tr[data-member="801"] [data-member-action=removeFromMic]',
      'mic feedback',
    );
    await expect.poll(() => member(801).textContent()).toContain('audience');
    await confirmWithReason(
      page,
      '#members tr[data-member="802"] [data-member-action=remove]',
      'insulting guests',
    );
    await expect.poll(() => member(802).count()).toBe(0);
    await expect.poll(() => page.locator('#admin-actions').textContent()).toContain('insulting guests');
    expect(await page.locator('#admin-actions').textContent()).toContain('mic feedback');
    await page.close();
  });

  it('works at phone width: the chart scrolls at full size and tables stack', async () => {
    const call = await liveCall(server);
    const page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}/admin`);
    await signIn(page, server.adminToken);
    await page.goto(`${server.url}/admin#/machines/call/${call.callId}`);
    await expect
      .poll(() => page.locator('#state-chart g.state.current').getAttribute('data-state'))
      .toBe('call.live');
    // The chart keeps its own width (readable labels) and its box scrolls sideways.
    const chart = (await page.evaluate(`(() => {
      const box = document.getElementById('state-chart');
      const svg = box.querySelector('svg');
      return {
        drawn: svg.getBoundingClientRect().width,
        natural: Number(svg.getAttribute('width')),
        scrolls: box.scrollWidth > box.clientWidth,
      };
    })()`)) as { drawn: number; natural: number; scrolls: boolean };
    expect(chart.drawn).toBe(chart.natural);
    expect(chart.scrolls).toBe(true);
    // Nothing else is wider than the phone.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // Table rows are cards of "label value" lines.
    const cell = page.locator('#ledger-rows tbody td').first();
    expect(
      await cell.evaluate((td) => td.ownerDocument.defaultView?.getComputedStyle(td, '::before').content),
    ).toBe('"Time"');
    expect(await page.locator('#ledger-rows thead').isVisible()).toBe(false);
    await screenshot(page, 'admin-phone-call.png');

    await page.goto(`${server.url}/admin#/`);
    await expect.poll(() => page.locator('#finished-machines tbody tr').count()).toBeGreaterThan(0);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.close();
  });
});

describe('admin panel in Chromium, while a call is billed every 1.5 s', () => {
  let billing: TestServer;
  beforeAll(async () => {
    billing = await startTestServer('admin_panel_ticks', { BILLING_INTERVAL_MS: '1500' });
  });
  afterAll(() => billing?.close());

  const historyLength = (page: Page) => page.locator('#history li').count();

  it('keeps a user page live: balance moving with billing, presence and sockets coming and going', async () => {
    const call = await liveCall(billing);
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${billing.url}/admin`);
    await signIn(page, billing.adminToken);
    await page.goto(`${billing.url}/admin#/users/${call.guest.userId}`);
    await expect.poll(() => page.locator('#presence').textContent()).toContain('busy');
    expect(await page.locator('#profile').textContent()).toContain(`call ${call.callId}`);
    await page.evaluate('window.__samePage = true');
    const diamonds = async () =>
      Number((await page.locator('#balances').textContent())?.match(/diamond(\d+)/)?.[1]);
    const before = await diamonds();
    // The next billing tick lowers the balance on the open page, without a reload.
    await expect.poll(diamonds, { timeout: 15_000 }).toBeLessThan(before);
    expect(await page.evaluate('window.__samePage')).toBe(true);

    const socket = await connectClient(billing, call.anchor.token);
    try {
      await page.goto(`${billing.url}/admin#/users/${call.anchor.userId}`);
      await expect
        .poll(() => page.locator(`#sockets tr[data-socket="${socket.socket.id}"]`).count(), {
          timeout: 15_000,
        })
        .toBe(1);
      await screenshot(page, 'admin-user-page.png');
    } finally {
      socket.close();
    }
    await expect
      .poll(() => page.locator('#sockets').textContent(), { timeout: 15_000 })
      .toBe('No open socket.');
    await billing.request('POST', `/admin/api/calls/${call.callId}/hangup`, {
      headers: { authorization: `Bearer ${billing.adminToken}` },
    });
    await expect
      .poll(() => page.locator('#recent-calls').textContent(), { timeout: 15_000 })
      .toContain('hangup_server');
    await page.close();
  });

  it('keeps typed text, focus, an open section and the scroll through billing ticks, and a typed reason too', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 700 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${billing.url}/admin`);
    await signIn(page, billing.adminToken);
    const call = await liveCall(billing);
    await page.goto(`${billing.url}/admin#/machines/call/${call.callId}`);
    await expect
      .poll(() => page.locator('#state-chart g.state.current').getAttribute('data-state'))
      .toBe('call.live');

    await page.locator('#persisted-snapshot summary').click();
    await page.locator('#machine-ban-form select[name=type]').selectOption('account');
    await page.locator('#ban-message').fill('Asking guests for money outside the app');
    await page.evaluate('document.getElementById("ban-message").marked = true; window.scrollTo(0, 300)');
    const ticksBefore = await historyLength(page);
    await expect.poll(() => historyLength(page), { timeout: 15_000 }).toBeGreaterThan(ticksBefore);

    // Patched, not rebuilt: the very same input, still focused, with the text; the rest as left.
    expect(await page.locator('#ban-message').inputValue()).toBe('Asking guests for money outside the app');
    expect(await page.evaluate('document.activeElement.id')).toBe('ban-message');
    expect(await page.evaluate('document.getElementById("ban-message").marked')).toBe(true);
    expect(await page.locator('#machine-ban-form select[name=type]').inputValue()).toBe('account');
    expect(await page.locator('#persisted-snapshot details').getAttribute('open')).not.toBeNull();
    expect(await page.evaluate('window.scrollY')).toBe(300);

    // The reason typed into the confirmation survives a tick as well, and lands in the audit log.
    await page.locator('#machine-ban-form button[type=submit]').click();
    await page.locator('#confirm-reason').fill('second report this week');
    const ticksWhileTyping = await historyLength(page);
    await expect.poll(() => historyLength(page), { timeout: 15_000 }).toBeGreaterThan(ticksWhileTyping);
    expect(await page.locator('#confirm-reason').inputValue()).toBe('second report this week');
    await page.locator('#confirm-submit').click();
    await expect
      .poll(() => page.locator('#state-chart g.state.current').getAttribute('data-state'))
      .toBe('call.settled');
    await expect.poll(() => page.locator('#settlement').textContent()).toContain('banned');
    const audit = await billing.request('GET', `/admin/api/users/${call.guest.userId}`, {
      headers: { authorization: `Bearer ${billing.adminToken}` },
    });
    expect(audit.body.adminActions[0]).toMatchObject({
      action: 'user.ban',
      payload: {
        type: 'account',
        message: 'Asking guests for money outside the app',
        reason: 'second report this week',
      },
    });
    await page.close();
  });
});
