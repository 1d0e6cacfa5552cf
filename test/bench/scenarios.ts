import http from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';
import { percentile } from './load.js';

export interface BenchUser {
  userId: number;
  token: string;
}

// One keep-alive pool for the simulated clients: fetch costs the bench process several times the
// CPU of node:http per request, and on two cores that CPU is taken from the server under test.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function post(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON
): Promise<{ status: number; body: any }> {
  const target = new URL(path, baseUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: 'POST',
        agent: keepAlive,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            });
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

export async function createUsers(
  baseUrl: string,
  adminToken: string,
  count: number,
  body: Record<string, unknown>,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  const batch = 20;
  for (let i = 0; i < count; i += batch) {
    const created = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, () =>
        post(baseUrl, '/admin/api/users', body, { authorization: `Bearer ${adminToken}` }),
      ),
    );
    for (const answer of created) {
      if (answer.status !== 201)
        throw new Error(`createUser: ${answer.status} ${JSON.stringify(answer.body)}`);
      users.push(answer.body as BenchUser);
    }
  }
  return users;
}

export async function openSockets(baseUrl: string, users: BenchUser[]): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < users.length; i += 100) {
    const opened = await Promise.all(
      users.slice(i, i + 100).map(
        (user) =>
          new Promise<Socket>((resolve, reject) => {
            const socket = connect(baseUrl, {
              auth: { token: user.token },
              transports: ['websocket'],
              reconnection: false,
            });
            socket.once('connect', () => resolve(socket));
            socket.once('connect_error', reject);
          }),
      ),
    );
    sockets.push(...opened);
  }
  return sockets;
}

export interface Distribution {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function distribution(samples: number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * Call setup at a fixed rate: every 1/rate s a guest applies; the latencies measured are apply →
 * the anchor's `call:update` push, and apply → the guest's `live` push (accept and start included).
 * Each pair hangs up when live and is reused after it settles.
 */
export async function callSetup(options: {
  baseUrl: string;
  pairs: { guest: BenchUser; anchor: BenchUser }[];
  rate: number;
  durationMs: number;
  /**
   * Called once every socket is open, and again when the last call has settled, before the sockets
   * close: the window between is the calls' alone (600 socket handshakes are not a call's cost).
   */
  window?: { open(): Promise<void>; close(): Promise<void> };
}): Promise<{
  offered: number;
  completed: number;
  failed: number;
  toCalleePush: Distribution;
  setup: Distribution;
}> {
  const { baseUrl, pairs, rate, durationMs } = options;
  const anchorSockets = await openSockets(
    baseUrl,
    pairs.map((pair) => pair.anchor),
  );
  const guestSockets = await openSockets(
    baseUrl,
    pairs.map((pair) => pair.guest),
  );
  await options.window?.open();
  const free = pairs.map((_, index) => index);
  const toCalleePush: number[] = [];
  const setup: number[] = [];
  let offered = 0;
  let failed = 0;
  const inflight: Promise<void>[] = [];

  const waitFor = (socket: Socket, predicate: (view: { state: string; roomInstanceId: number }) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.off('call:update', listener);
        reject(new Error('push timeout'));
      }, 10_000);
      const listener = (view: { state: string; roomInstanceId: number }) => {
        if (!predicate(view)) return;
        clearTimeout(timer);
        socket.off('call:update', listener);
        resolve();
      };
      socket.on('call:update', listener);
    });

  async function oneCall(index: number): Promise<void> {
    const { guest, anchor } = pairs[index]!;
    const anchorSocket = anchorSockets[index]!;
    const guestSocket = guestSockets[index]!;
    const started = performance.now();
    const rung = waitFor(anchorSocket, (view) => view.state === 'ringing');
    const live = waitFor(guestSocket, (view) => view.state === 'live');
    const settled = waitFor(guestSocket, (view) => view.state === 'settled');
    try {
      const applied = await post(baseUrl, '/app/live/callApplyGirl', {
        token: guest.token,
        targetUserId: anchor.userId,
      });
      if (applied.status !== 200) throw new Error(`apply ${applied.status}`);
      await rung;
      toCalleePush.push(performance.now() - started);
      const accepted = await post(baseUrl, '/weapp/live_room/create_room', {
        token: anchor.token,
        guestId: guest.userId,
      });
      if (accepted.status !== 200) throw new Error(`create_room ${accepted.status}`);
      const begun = await post(baseUrl, '/app/live/startCall', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      if (begun.status !== 200) throw new Error(`startCall ${begun.status}`);
      await live;
      setup.push(performance.now() - started);
      await post(baseUrl, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId });
      await settled;
    } catch {
      failed++;
      await post(baseUrl, '/app/live/hangUpGirl', { token: guest.token, targetUserId: anchor.userId }).catch(
        () => {},
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      free.push(index);
    }
  }

  const deadline = performance.now() + durationMs;
  const interval = 1000 / rate;
  let next = performance.now();
  while (performance.now() < deadline) {
    const index = free.shift();
    if (index === undefined) {
      failed++;
    } else {
      offered++;
      inflight.push(oneCall(index));
    }
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.allSettled(inflight);
  await options.window?.close();
  for (const socket of [...anchorSockets, ...guestSockets]) socket.disconnect();
  return {
    offered,
    completed: setup.length,
    failed,
    toCalleePush: distribution(toCalleePush),
    setup: distribution(setup),
  };
}
