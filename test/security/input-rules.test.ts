import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

let server: TestServer;
let anchor: { userId: number; token: string };
let guest: { userId: number; token: string };
let giftId: number;

beforeAll(async () => {
  server = await startTestServer('input_rules');
  anchor = await server.createUser({ role: 'anchor', unitPrice: 30 });
  guest = await server.createUser({ role: 'guest', diamond: 5_000 });
  const gift = await server.request('POST', '/admin/api/gifts', {
    headers: asAdmin(),
    body: { name: 'rose', imgUrl: 'https://example.com/rose.png', cost: 1 },
  });
  giftId = gift.body.giftId;
});
afterAll(async () => {
  await server.close();
});

const asAdmin = () => ({ authorization: `Bearer ${server.adminToken}` });
const post = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  server.request('POST', path, { body, headers });
const raw = (path: string, text: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: text,
  }).then(async (response) => ({ status: response.status, body: await response.json() }));
const diamonds = async () =>
  (await post('/app/user/getCurrentUserInfo', { token: guest.token })).body.diamond as string;

/** Numbers that are not a finite, safe integer written in decimal, as JSON values and as strings. */
const NOT_DECIMAL_INTEGERS: unknown[] = [
  'Infinity',
  '-Infinity',
  '+Infinity',
  '1e309',
  '-1e309',
  '9'.repeat(400),
  '0x10',
  '0b1',
  '0o7',
  '1e3',
  '1.5',
  ' 5',
  '',
  true,
  false,
  [5],
  { value: 5 },
  2 ** 53,
  1.5,
];

describe('numbers at the edge', () => {
  it.each(NOT_DECIMAL_INTEGERS.map((value) => [JSON.stringify(value), value]))(
    'updateUnitPrice refuses %s with a 400 naming unitPrice',
    async (_label, value) => {
      const answer = await post('/app/user/updateUnitPrice', { token: anchor.token, unitPrice: value });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, field: 'unitPrice' });
    },
  );

  it('weChatVersion (no token needed) refuses "Infinity" and a 400-digit version with a 400 naming the field', async () => {
    for (const version of ['Infinity', '1e309', '9'.repeat(400)]) {
      const answer = await post('/app/login/weChatVersion', { version, terminalType: 3 });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, field: 'version' });
    }
  });

  it('a JSON number too large for a double (1e309) is a 400, not Infinity', async () => {
    const answer = await raw('/app/user/updateUnitPrice', `{"token":"${anchor.token}","unitPrice":1e309}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 400, field: 'unitPrice' });
  });

  it('an integer field without a documented range must fit 32 bits', async () => {
    const answer = await post('/app/login/weChatVersion', { version: 1, terminalType: 2 ** 40 });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 400, field: 'terminalType' });
  });

  it('sendGift amount "1e3" is refused and charges nothing', async () => {
    const before = await diamonds();
    const answer = await post('/app/live/sendGift', {
      token: guest.token,
      giftId,
      amount: '1e3',
      targetUserId: anchor.userId,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('amount');
    expect(await diamonds()).toBe(before);
  });

  it('decimal strings still work where the apps send numbers as strings', async () => {
    const answer = await post('/app/user/updateUnitPrice', { token: anchor.token, unitPrice: '45' });
    expect(answer.body).toMatchObject({ code: 0, unitPrice: 45 });
    const form = await server.request('POST', '/app/user/updateUnitPrice', {
      form: { token: anchor.token, unitPrice: '46' },
    });
    expect(form.body).toMatchObject({ code: 0, unitPrice: 46 });
  });

  it('an enumeration of integers (display 0/1, reply 1/2) refuses true, "1.0" and [1], and still takes "1"', async () => {
    for (const display of [true, false, '1.0', [1]]) {
      const answer = await post('/app/user/updateDisplay', { token: guest.token, display });
      expect(answer.status, JSON.stringify(display)).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, field: 'display' });
    }
    const reply = await post('/app/live/callReplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
      reply: true,
    });
    expect(reply.body).toMatchObject({ code: 400, field: 'reply' });
    const like = await server.request('POST', '/wx/api/qlive/qlive_like/', {
      headers: { authorization: `QLiveToken ${guest.token}` },
      body: { user_id: anchor.userId, like_state: '1.0' },
    });
    expect(like).toMatchObject({ status: 400, body: { field: 'like_state' } });
    const shown = await post('/app/user/updateDisplay', { token: guest.token, display: '1' });
    expect(shown.body).toMatchObject({ code: 0, display: 1 });
  });

  it('QLive query numbers: "0x10" and "Infinity" are a 400 with detail and field', async () => {
    for (const page of ['0x10', 'Infinity', '1e3']) {
      const answer = await server.request(
        'GET',
        `/wx/api/qlive/qlive_gift/?page=${encodeURIComponent(page)}`,
        {
          headers: { authorization: `QLiveToken ${guest.token}` },
        },
      );
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ detail: expect.any(String), field: 'page' });
    }
  });
});

describe('text fields', () => {
  const HOSTILE_TEXT = ['a\u0000b', '\uD800', 'x\uDC00', '\uDBFF\uDBFF'];

  it.each(HOSTILE_TEXT.map((text) => [JSON.stringify(text), text]))(
    'refuse %s with a 400 naming the field, in each API’s envelope',
    async (_label, text) => {
      const form = await post('/app/live/messageForm', { token: anchor.token, formId: text });
      expect(form.status).toBe(400);
      expect(form.body).toMatchObject({ code: 400, field: 'formId' });

      const profile = await server.request('POST', '/wx/api/qlive/qlive_user/update_userinfo/', {
        headers: { authorization: `QLiveToken ${guest.token}` },
        body: { nickname: text },
      });
      expect(profile.status).toBe(400);
      expect(profile.body).toMatchObject({ detail: expect.any(String), field: 'nickname' });

      const created = await post('/admin/api/users', { role: 'guest', nickname: text }, asAdmin());
      expect(created.status).toBe(400);
      expect(created.body).toMatchObject({ message: expect.any(String), field: 'nickname' });

      const warned = await post(`/admin/api/users/${guest.userId}/warn`, { message: text }, asAdmin());
      expect(warned.status).toBe(400);
      expect(warned.body.field).toBe('message');
    },
  );

  it('accepts a properly paired surrogate (an emoji) and Chinese text', async () => {
    const answer = await post('/admin/api/users', { role: 'guest', nickname: '小美😀' }, asAdmin());
    expect(answer.status).toBe(201);
  });
});

describe('nesting', () => {
  it('a deeply nested body on an Idempotency-Key route is a 400 before anything walks it', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const answer = await raw('/app/live/startCall', `{"token":"${anchor.token}","targetUserId":${deep}}`, {
      'idempotency-key': 'deep-1',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 400, message: expect.stringMatching(/nested/) });
  });

  it('the same on QLive (its own JSON parser) and the admin API', async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const qlive = await fetch(`${server.url}/wx/api/qlive/qlive_pay/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `QLiveToken ${guest.token}`,
        'idempotency-key': 'k',
      },
      body: deep,
    });
    expect(qlive.status).toBe(400);
    expect(await qlive.json()).toMatchObject({ detail: expect.stringMatching(/nested/) });
    const admin = await raw(`/admin/api/users/${guest.userId}/grants`, deep, {
      ...asAdmin(),
      'idempotency-key': 'deep-2',
    });
    expect(admin.status).toBe(400);
  });

  it('a few levels are fine', async () => {
    const answer = await post('/app/user/getCurrentUserInfo', {
      token: guest.token,
      extra: [[[{ a: [1] }]]],
    });
    expect(answer.status).toBe(200);
  });
});

describe('URLs', () => {
  it('a path parameter too long for the router is a 414 in the API’s envelope, with the server’s headers and without the path echoed', async () => {
    const answer = await server.app.inject({
      method: 'GET',
      url: `/admin/api/users/${'9'.repeat(400)}`,
      headers: asAdmin(),
    });
    expect(answer.statusCode).toBe(414);
    expect(answer.json()).toEqual({ error: 'bad_request', message: 'a path parameter is too long' });
    expect(answer.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('a path parameter that does not decode is a 400 in the API’s envelope', async () => {
    const answer = await server.app.inject({
      method: 'POST',
      url: '/admin/api/users/%E0%A4%A/warn',
      headers: { ...asAdmin(), 'content-type': 'application/json' },
      payload: '{"message":"hi"}',
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toEqual({
      error: 'bad_request',
      message: 'the URL is not valid (a path parameter does not decode)',
    });
  });
});
