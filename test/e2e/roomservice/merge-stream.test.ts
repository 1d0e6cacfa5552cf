/**
 * merge_stream forwards the mixing parameters to Tencent Live's `common_access` mixing interface,
 * here a local stand-in that checks what Tencent checks (appid, interface, an unexpired `t` and
 * `sign` = md5(API key + t)) and answers as Tencent does.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { LiveRoomClient } from '../../helpers/liveroom-client.js';

const API_KEY = 'mix-api-key';
let server: TestServer;
let tencent: Server;
const received: { query: URLSearchParams; body: string }[] = [];

beforeAll(async () => {
  tencent = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const t = Number(url.searchParams.get('t'));
      const signed =
        url.pathname === '/common_access' &&
        url.searchParams.get('appid') === '1250000000' &&
        url.searchParams.get('interface') === 'mix_streamv2.start_mix_stream_advanced' &&
        t > Date.now() / 1000 &&
        url.searchParams.get('sign') === createHash('md5').update(`${API_KEY}${t}`).digest('hex');
      received.push({ query: url.searchParams, body: Buffer.concat(chunks).toString('utf8') });
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify(
          signed
            ? { code: 0, message: 'Success!', timestamp: Math.floor(Date.now() / 1000) }
            : { code: 4001, message: 'sign error', timestamp: Math.floor(Date.now() / 1000) },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => tencent.listen(0, '127.0.0.1', resolve));
  server = await startTestServer('roomservice_mix', {
    LIVE_API_APP_ID: '1250000000',
    LIVE_API_KEY: API_KEY,
    LIVE_API_BASE: `http://127.0.0.1:${(tencent.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  await server.close();
  await new Promise((resolve) => tencent.close(resolve));
});

describe('merge_stream', () => {
  it("forwards mergeParams, signed, and answers Tencent's result", async () => {
    const anchor = new LiveRoomClient(server, 'mixer_1');
    expect((await anchor.login()).code).toBe(0);
    const roomID = (await anchor.request('create_room', { userID: anchor.userID })).body.roomID;
    const mergeParams = JSON.stringify({
      timestamp: 1,
      eventId: 1,
      interface: { interfaceName: 'Mix_StreamV2' },
    });
    const merged = await anchor.request('merge_stream', { userID: anchor.userID, roomID, mergeParams });
    expect(merged.code).toBe(0);
    expect(merged.body.result).toMatchObject({ code: 0, message: 'Success!', timestamp: expect.any(Number) });
    expect(received.at(-1)?.body).toBe(mergeParams);
    expect(await anchor.request('merge_stream', { userID: anchor.userID, roomID })).toMatchObject({
      status: 400,
      code: 2,
    });
  });
});
