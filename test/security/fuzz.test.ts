import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';

/**
 * Hostile input against every documented endpoint, found from the OpenAPI document the routes'
 * own schemas produce (so a new endpoint is fuzzed without editing this file): random and
 * malformed bodies, wrong types, huge and negative numbers, unicode, oversized strings, other
 * users' ids. Never a 5xx (the test server's close() also fails on any), always the envelope of
 * the API the path belongs to, and the victim's balances never change.
 */
let server: TestServer;
let attacker: { userId: number; token: string };
let victim: { userId: number; token: string };
let routes: { method: string; path: string }[] = [];
let cases = 0;

beforeAll(async () => {
  server = await startTestServer('fuzz', { RATE_LIMIT_PER_MINUTE: '1000000' });
  attacker = await server.createUser({ role: 'guest', diamond: 50, gold: 50 });
  victim = await server.createUser({ role: 'anchor', diamond: 500, point: 500, gold: 500 });
  const openapi = await server.request('GET', '/docs/json');
  routes = Object.entries(openapi.body.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path })),
  );
});
afterAll(async () => {
  console.log(`fuzz: ${cases} requests over ${routes.length} endpoints`);
  await server.close();
});

const hostileValue = fc.oneof(
  fc.integer(),
  fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, 0.5),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '🇨🇳', '../../etc/passwd', "' or 1=1 --", '<script>', 'x'.repeat(5000), '\u0000'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const fieldName = fc.constantFrom(
  'targetUserId',
  'guestId',
  'masterId',
  'roomInstanceId',
  'recordId',
  'giftId',
  'amount',
  'reply',
  'unitPrice',
  'display',
  'userID',
  'roomID',
  'live_id',
  'user_id',
  'gift_id',
  'num',
  'page',
  'gender',
  'block_id',
  'like_state',
  'code',
  'appId',
  'role',
  'nickname',
  'version',
  'formId',
  'moduleName',
);

function envelopeOf(path: string, status: number, body: unknown): void {
  expect(typeof body, `${path} answered ${status} with a non-JSON body`).toBe('object');
  if (status < 400) return;
  const answer = body as Record<string, unknown>;
  if (path.startsWith('/wx/api/qlive')) expect(typeof answer.detail, `${path} ${status}`).toBe('string');
  else if (path.startsWith('/admin/api')) expect(typeof answer.message, `${path} ${status}`).toBe('string');
  // RoomService answers its own codes (tencent-roomservice.md §2), anything else the paid-call way.
  else if (path.startsWith('/weapp/'))
    expect([1, 2, 3, 4, 5, 6, 7, 11, 5001, status], `${path} ${status}`).toContain(answer.code);
  else expect(answer, `${path} ${status}`).toMatchObject({ code: status, message: expect.any(String) });
}

describe('hostile input', () => {
  it('never gets a 5xx, always the envelope, and never touches another user', async () => {
    const before = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: { token: victim.token },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.dictionary(fieldName, fc.oneof(hostileValue, fc.constant(victim.userId)), { maxKeys: 5 }),
        fc.constantFrom('attacker', 'none', 'garbage'),
        async (pick, fields, who) => {
          const route = routes[pick % routes.length]!;
          const path = route.path
            .replace(/:(\w+)/g, () => String(victim.userId))
            .replace(/\{\w+\}/g, String(victim.userId));
          const token = who === 'attacker' ? attacker.token : who === 'garbage' ? 'x'.repeat(40) : undefined;
          const headers: Record<string, string> = {};
          if (path.startsWith('/wx/api/qlive') && token) headers.authorization = `QLiveToken ${token}`;
          if (path.startsWith('/admin/api')) headers.authorization = 'Bearer not-the-admin-token';
          const body = path.startsWith('/app') || path.startsWith('/weapp') ? { ...fields, token } : fields;
          const query = new URLSearchParams(
            Object.entries(fields).map(([key, value]): [string, string] => [
              key,
              typeof value === 'string' ? value : JSON.stringify(value),
            ]),
          ).toString();
          cases++;
          const response =
            route.method === 'GET'
              ? await server.request('GET', `${path}?${query}`, { headers })
              : await server.request('POST', path, { body, headers });
          expect(
            response.status,
            `${route.method} ${path} ${JSON.stringify(body).slice(0, 300)}`,
          ).toBeLessThan(500);
          envelopeOf(path, response.status, response.body);
        },
      ),
      { numRuns: 600 },
    );
    const after = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: { token: victim.token },
    });
    expect(after.body).toEqual(before.body);
  }, 120_000);

  it('answers a raw garbage body on every POST endpoint with a 4xx envelope', async () => {
    for (const route of routes.filter((candidate) => candidate.method === 'POST')) {
      const path = route.path.replace(/:(\w+)/g, '1');
      for (const [contentType, raw] of [
        ['application/json', '{"token": '],
        ['application/json', '[1,2,3]'],
        ['application/x-www-form-urlencoded', 'token=%zz&&=='],
        ['text/plain', 'hello'],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: raw,
        });
        cases++;
        expect(response.status, `${path} ${contentType} ${raw}`).toBeLessThan(500);
        const text = await response.text();
        if (response.status >= 400 && text) envelopeOf(path, response.status, JSON.parse(text));
      }
    }
  }, 60_000);
});
