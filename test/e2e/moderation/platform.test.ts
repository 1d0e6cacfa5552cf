import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer('moderation_platform');
});
afterAll(() => server.close());

const post = (path: string, body: Record<string, unknown>) => server.request('POST', path, { body });
const setConfig = (key: string, value: unknown) =>
  server.request('PUT', `/admin/api/configs/${key}`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
    body: { value },
  });

describe('getShareInfo', () => {
  it('answers the default share card on a fresh install, then what the operator set', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const fresh = await post('/app/user/getShareInfo', { token: guest.token });
    expect(fresh.body).toEqual({ code: 0, message: 'success', title: '邀请你来视频聊天', imgUrl: '' });

    await setConfig('share_info', { title: '一起视频吧', imgUrl: 'https://cdn.example.com/share.png' });
    const set = await server.request('POST', '/app/user/getShareInfo', { form: { token: guest.token } });
    expect(set.body).toEqual({
      code: 0,
      message: 'success',
      title: '一起视频吧',
      imgUrl: 'https://cdn.example.com/share.png',
    });
    expect((await post('/app/user/getShareInfo', {})).status).toBe(401);
  });
});

describe('weChatVersion', () => {
  it('answers the feature switches of a build: defaults, overridden by the rules that match it', async () => {
    const fresh = await post('/app/login/weChatVersion', { version: 12, terminalType: 3 });
    expect(fresh.body).toEqual({
      code: 0,
      message: 'success',
      version: 12,
      terminalType: 3,
      review: 0,
      switches: {},
    });

    const stored = await setConfig('wechat_version', {
      switches: { pay: true, call: true, share: true },
      rules: [
        { terminalType: 3, minVersion: 20, review: true, switches: { pay: false } },
        { maxVersion: 9, switches: { call: false } },
      ],
    });
    expect(stored.status).toBe(200);
    const guest = await server.createUser({ role: 'guest' });
    const inReview = await post('/app/login/weChatVersion', {
      token: guest.token,
      version: '21',
      terminalType: '3',
    });
    expect(inReview.body).toMatchObject({
      code: 0,
      version: 21,
      review: 1,
      switches: { pay: false, call: true, share: true },
    });
    const old = await post('/app/login/weChatVersion', { version: 5, terminalType: 3 });
    expect(old.body).toMatchObject({ review: 0, switches: { pay: true, call: false, share: true } });
    const otherTerminal = await post('/app/login/weChatVersion', { version: 21, terminalType: 1 });
    expect(otherTerminal.body).toMatchObject({ review: 0, switches: { pay: true, call: true, share: true } });

    const missing = await post('/app/login/weChatVersion', { terminalType: 3 });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 400, field: 'version' });
    const badRule = await setConfig('wechat_version', { switches: {}, rules: [{ minVersion: 'new' }] });
    expect(badRule.status).toBe(400);
  });
});

describe('messageForm', () => {
  it("stores a form id per user and module with WeChat's 7-day expiry", async () => {
    const guest = await server.createUser({ role: 'guest' });
    const before = Date.now();
    const stored = await post('/app/live/messageForm', {
      token: guest.token,
      formId: 'wx-form-123',
      moduleName: 'pay',
    });
    expect(stored.body).toEqual({ code: 0, message: 'success' });
    await post('/app/live/messageForm', { token: guest.token, formId: 'wx-form-124', moduleName: 'main' });

    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    const { rows } = await db.query(
      'select module_name, form_id, expires_at, created_at from message_forms where user_id = $1 order by id',
      [guest.userId],
    );
    await db.end();
    expect(rows.map((row) => [row.module_name, row.form_id])).toEqual([
      ['pay', 'wx-form-123'],
      ['main', 'wx-form-124'],
    ]);
    const week = 7 * 24 * 60 * 60 * 1000;
    expect(rows[0].expires_at.getTime() - rows[0].created_at.getTime()).toBe(week);
    expect(rows[0].created_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('refuses an unknown moduleName or a missing formId with 400 naming the field', async () => {
    const guest = await server.createUser({ role: 'guest' });
    const badModule = await post('/app/live/messageForm', {
      token: guest.token,
      formId: 'f',
      moduleName: 'home',
    });
    expect(badModule.status).toBe(400);
    expect(badModule.body).toMatchObject({ code: 400, field: 'moduleName' });
    const noForm = await post('/app/live/messageForm', { token: guest.token, moduleName: 'login' });
    expect(noForm.status).toBe(400);
    expect(noForm.body).toMatchObject({ code: 400, field: 'formId' });
    expect((await post('/app/live/messageForm', { formId: 'f', moduleName: 'login' })).status).toBe(401);
  });
});
