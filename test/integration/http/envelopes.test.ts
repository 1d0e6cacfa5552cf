import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';

let server: TestServer;
let guest: { userId: number; token: string };
let anchor: { userId: number; token: string };

beforeAll(async () => {
  server = await startTestServer('envelopes');
  guest = await server.createUser({ role: 'guest', nickname: 'Li', diamond: 500 });
  anchor = await server.createUser({ role: 'anchor', nickname: 'Mei', unitPrice: 40 });
});
afterAll(() => server.close());

describe('paid-call envelope', () => {
  it('answers success as {code: 0, message} with the documented fields beside them', async () => {
    const response = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: { token: guest.token },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ code: 0, message: 'success', diamond: '500', display: 0 });
  });

  it('takes the token from a form body, a query parameter or a Bearer header', async () => {
    const form = await server.request('POST', '/app/user/getCurrentUserInfo', {
      form: { token: anchor.token },
    });
    expect(form.body).toEqual({ code: 0, message: 'success', unitPrice: '40' });
    const query = await server.request('POST', `/app/user/getCurrentUserInfo?token=${anchor.token}`, {
      body: {},
    });
    expect(query.body.code).toBe(0);
    const header = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: {},
      headers: { authorization: `Bearer ${anchor.token}` },
    });
    expect(header.body.code).toBe(0);
  });

  it('coerces numeric strings, in JSON and in forms', async () => {
    const json = await server.request('POST', '/app/user/updateDisplay', {
      body: { token: guest.token, display: '1' },
    });
    expect(json.body).toEqual({ code: 0, message: 'success', display: 1 });
    const form = await server.request('POST', '/app/user/updateUnitPrice', {
      form: { token: anchor.token, unitPrice: '55' },
    });
    expect(form.body).toEqual({ code: 0, message: 'success', unitPrice: 55 });
  });

  it('answers a missing or unknown token with 401', async () => {
    const missing = await server.request('POST', '/app/user/getCurrentUserInfo', { body: {} });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: 401, message: 'token is required' });
    const unknown = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: { token: 'f'.repeat(40) },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe(401);
  });

  it('answers bad input with 400 naming the field', async () => {
    const notANumber = await server.request('POST', '/app/user/updateDisplay', {
      body: { token: guest.token, display: 'abc' },
    });
    expect(notANumber.status).toBe(400);
    expect(notANumber.body).toMatchObject({ code: 400, field: 'display' });
    const missing = await server.request('POST', '/app/user/updateUnitPrice', {
      body: { token: anchor.token },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 400, field: 'unitPrice' });
    const outOfBounds = await server.request('POST', '/app/user/updateUnitPrice', {
      body: { token: anchor.token, unitPrice: 10_000_000 },
    });
    expect(outOfBounds.status).toBe(400);
    expect(outOfBounds.body).toMatchObject({ field: 'unitPrice' });
  });

  it('answers a wrong role with 403', async () => {
    const response = await server.request('POST', '/app/user/updateUnitPrice', {
      body: { token: guest.token, unitPrice: 20 },
    });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe(403);
  });

  it('answers broken JSON with a 400 envelope, not an HTML page or a stack trace', async () => {
    const response = await fetch(`${server.url}/app/user/getCurrentUserInfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"token": ',
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toMatchObject({ code: 400 });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers an oversized body with 413', async () => {
    const response = await server.request('POST', '/app/user/getCurrentUserInfo', {
      body: { token: guest.token, padding: 'x'.repeat(100_000) },
    });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe(413);
  });

  it('answers an unknown path with a 404 envelope', async () => {
    const response = await server.request('POST', '/app/live/noSuchThing', { body: {} });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe(404);
  });
});

describe('QLive envelope', () => {
  it('refuses a request without `Authorization: QLiveToken` with 401 {detail}', async () => {
    const missing = await server.request('GET', '/wx/api/qlive/qlive_gift/');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    const wrong = await server.request('GET', '/wx/api/qlive/qlive_gift/', {
      headers: { authorization: `QLiveToken ${'0'.repeat(40)}` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ detail: 'Invalid token.' });
  });

  it('pages the gift list as {count, next, previous, results}, 8 a page, with and without the trailing slash', async () => {
    for (let i = 1; i <= 12; i++) {
      const created = await server.request('POST', '/admin/api/gifts', {
        body: { name: `gift ${i}`, imgUrl: `https://img.example/${i}.png`, cost: i * 10 },
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(created.status).toBe(201);
    }
    const auth = { authorization: `QLiveToken ${guest.token}` };
    const first = await server.request('GET', '/wx/api/qlive/qlive_gift/', { headers: auth });
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(12);
    expect(first.body.results).toHaveLength(8);
    expect(first.body.results[0]).toEqual({
      id: expect.any(Number),
      name: 'gift 1',
      image: 'https://img.example/1.png',
      gold: 10,
      effect: '',
    });
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toMatch(/\/wx\/api\/qlive\/qlive_gift\/\?page=2$/);
    const second = await server.request('GET', '/wx/api/qlive/qlive_gift?page=2', { headers: auth });
    expect(second.body.results).toHaveLength(4);
    expect(second.body.next).toBeNull();
    expect(second.body.previous).toMatch(/page=1$/);
  });

  it('answers a page past the end with 404 and bad input with 400 naming the field', async () => {
    const auth = { authorization: `QLiveToken ${guest.token}` };
    const past = await server.request('GET', '/wx/api/qlive/qlive_gift/?page=99', { headers: auth });
    expect(past.status).toBe(404);
    expect(past.body).toMatchObject({ detail: 'Invalid page.' });
    const bad = await server.request('GET', '/wx/api/qlive/qlive_gift/?page=abc', { headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'page' });
    expect(typeof bad.body.detail).toBe('string');
  });
});

describe('operations endpoints', () => {
  it('serves /healthz, /metrics and the OpenAPI document built from the route schemas', async () => {
    const health = await server.request('GET', '/healthz');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', postgres: 'up', redis: 'up' } });
    const metrics = await fetch(`${server.url}/metrics`);
    expect(await metrics.text()).toContain('http_request_duration_seconds');
    const openapi = await server.request('GET', '/docs/json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/app/user/getCurrentUserInfo',
        '/wx/api/qlive/qlive_gift/',
        '/admin/api/users',
      ]),
    );
    const ui = await fetch(`${server.url}/docs`);
    expect(ui.status).toBe(200);
  });

  it('answers every request with an x-request-id header', async () => {
    const response = await server.request('GET', '/healthz');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
