import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { createCode2Session } from '../../../src/wechat/code2session.js';
import { type FakeWeChatServer, startFakeWeChatServer } from '../../helpers/fake-wechat-server.js';

let wechat: FakeWeChatServer;
beforeAll(async () => {
  wechat = await startFakeWeChatServer({ appId: 'wxtestapp', appSecret: 's3cret' });
});
afterAll(() => wechat.close());

const login = () => createCode2Session({ apiBase: wechat.url, appId: 'wxtestapp', appSecret: 's3cret' });

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** A throwaway server answering every request with `handler`. */
async function withServer(
  handler: Parameters<typeof createServer>[1],
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('code2session', () => {
  it('exchanges a code for openid and session key', async () => {
    wechat.registerCode('c-ok', { openid: 'o-1', sessionKey: 'sk-1' });
    wechat.registerCode('c-union', { openid: 'o-2', sessionKey: 'sk-2', unionid: 'u-2' });
    await expect(login()('c-ok')).resolves.toEqual({ openid: 'o-1', sessionKey: 'sk-1' });
    await expect(login()('c-union')).resolves.toEqual({ openid: 'o-2', sessionKey: 'sk-2', unionid: 'u-2' });
  });

  it('maps an unknown or reused code to 400 on `code`', async () => {
    const unknown = await failure(login()('never-registered'));
    expect([unknown.statusCode, unknown.field]).toEqual([400, 'code']);

    wechat.registerCode('c-once', { openid: 'o-3', sessionKey: 'sk-3' });
    await login()('c-once');
    const reused = await failure(login()('c-once'));
    expect([reused.statusCode, reused.field]).toEqual([400, 'code']);
    expect(reused.message).toMatch(/already been used/);
  });

  it('maps WeChat errcodes to domain errors', async () => {
    const cases: [number, number][] = [
      [45011, 429],
      [40226, 403],
      [-1, 503],
      [40125, 503],
    ];
    for (const [errcode, status] of cases) {
      wechat.registerCode(`c${errcode}`, { errcode, errmsg: 'x' });
      expect((await failure(login()(`c${errcode}`))).statusCode).toBe(status);
    }
    wechat.registerCode('c-other', { errcode: 48001, errmsg: 'something odd' });
    const other = await failure(login()('c-other'));
    expect(other.statusCode).toBe(400);
    expect(other.message).toContain('something odd');
  });

  it('maps a wrong secret to 503 (server misconfiguration), without leaking the secret', async () => {
    const err = await failure(
      createCode2Session({ apiBase: wechat.url, appId: 'wxtestapp', appSecret: 'nope' })('c'),
    );
    expect(err.statusCode).toBe(503);
    expect(err.message).not.toContain('nope');
  });

  it('refuses an empty code without calling WeChat', async () => {
    const err = await failure(login()(''));
    expect([err.statusCode, err.field]).toEqual([400, 'code']);
  });

  it('maps network failure, timeout, non-JSON and 5xx to 503', async () => {
    const closedPort = 'http://127.0.0.1:1'; // nothing listens on port 1: connection refused
    expect(
      (await failure(createCode2Session({ apiBase: closedPort, appId: 'a', appSecret: 's' })('c')))
        .statusCode,
    ).toBe(503);

    await withServer(
      () => {}, // never answers
      async (url) => {
        const err = await failure(
          createCode2Session({ apiBase: url, appId: 'a', appSecret: 's', timeoutMs: 100 })('c'),
        );
        expect(err.statusCode).toBe(503);
        expect(err.message).toMatch(/timed out/);
      },
    );
    await withServer(
      (_req, res) => res.end('<html>gateway error</html>'),
      async (url) => {
        expect(
          (await failure(createCode2Session({ apiBase: url, appId: 'a', appSecret: 's' })('c'))).statusCode,
        ).toBe(503);
      },
    );
    await withServer(
      (_req, res) => {
        res.statusCode = 502;
        res.end('{}');
      },
      async (url) => {
        expect(
          (await failure(createCode2Session({ apiBase: url, appId: 'a', appSecret: 's' })('c'))).statusCode,
        ).toBe(503);
      },
    );
  });

  it('sends the documented query', async () => {
    let seen: URLSearchParams | undefined;
    await withServer(
      (req, res) => {
        seen = new URL(req.url ?? '', 'http://x').searchParams;
        res.end(JSON.stringify({ openid: 'o', session_key: 'k' }));
      },
      async (url) => {
        await createCode2Session({ apiBase: `${url}/`, appId: 'wxA', appSecret: 'S&=' })('c o+de');
      },
    );
    expect(Object.fromEntries(seen ?? [])).toEqual({
      appid: 'wxA',
      secret: 'S&=',
      js_code: 'c o+de',
      grant_type: 'authorization_code',
    });
  });
});
