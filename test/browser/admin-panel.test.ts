import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptCall, liveCall, ringingCall, startCall } from '../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../helpers/app.js';
import { copyArchivedCall } from '../helpers/archive-fixtures.js';
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
    await screenshot(page, 'admin-user-page.png');
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

describe('admin panel in Chromium, while a call is billed every 1.5 s', () => {
  let billing: TestServer;
  beforeAll(async () => {
    billing = await startTestServer('admin_panel_ticks', { BILLING_INTERVAL_MS: '1500' });
  });
  afterAll(() => billing?.close());

  const historyLength = (page: Page) => page.locator('#history li').count();

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
