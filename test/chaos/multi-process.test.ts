import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/clients.js';
import { type Cluster, postTo, startCluster } from '../helpers/cluster.js';

const BILLING_INTERVAL_MS = 700;
let cluster: Cluster;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startCluster('multi_process', 3, {
    BILLING_INTERVAL_MS: String(BILLING_INTERVAL_MS),
    RING_TIMEOUT_MS: '2500',
  });
}, 120_000);
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await cluster?.close();
});

async function createUser(body: Record<string, unknown>) {
  const response = await postTo(cluster.processes[0]!, '/admin/api/users', body, {
    authorization: `Bearer ${cluster.adminToken}`,
  });
  return response.body as { userId: number; token: string };
}

// biome-ignore lint/suspicious/noExplicitAny: pushes are arbitrary JSON
async function socketOn(url: string, token: string): Promise<{ socket: Socket; pushes: any[] }> {
  const socket = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const pushes: any[] = [];
  socket.on('call:update', (view) => pushes.push(view));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { socket, pushes };
}

async function minuteKeys(callId: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: cluster.databaseUrl });
  await client.connect();
  try {
    const rows = await client.query(
      'select idempotency_key from ledger_transactions where reference = $1 order by idempotency_key',
      [`call:${callId}`],
    );
    return rows.rows.map((row: { idempotency_key: string }) => row.idempotency_key);
  } finally {
    await client.end();
  }
}

describe('three server processes act as one', () => {
  it('pushes across processes, answers the same everywhere, and bills on after the scheduling process dies', async () => {
    const [p0, p1, p2] = cluster.processes as [
      Cluster['processes'][0],
      Cluster['processes'][0],
      Cluster['processes'][0],
    ];
    const guest = await createUser({ role: 'guest', diamond: 10_000 });
    const anchor = await createUser({ role: 'anchor', unitPrice: 10 });
    const guestApp = await socketOn(p1.url, guest.token);
    const anchorApp = await socketOn(p2.url, anchor.token);

    const applied = await postTo(p0, '/app/live/callApplyGirl', {
      token: guest.token,
      targetUserId: anchor.userId,
    });
    const callId = applied.body.roomInstanceId;
    await eventually(async () =>
      anchorApp.pushes.some((view) => view.roomInstanceId === callId && view.state === 'ringing'),
    );

    const answers = await Promise.all(
      [p0, p1, p2].map((server) =>
        postTo(server, '/app/live/getMatchInfo', { token: anchor.token, targetUserId: guest.userId }),
      ),
    );
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body).toMatchObject({ roomInstanceId: callId, matchStatus: 2 });

    await postTo(p2, '/weapp/live_room/create_room', { token: anchor.token, guestId: guest.userId });
    // p1 takes startCall, so p1 charges minute 1 and schedules minute 2 — then dies.
    const started = await postTo(p1, '/app/live/startCall', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    expect(started.body.state).toBe('live');
    await eventually(async () => guestApp.pushes.some((view) => view.state === 'live'));
    await p1.kill();

    // Minutes 2 and 3 are run by the surviving processes.
    await eventually(async () => (await minuteKeys(callId)).length >= 3, 15_000);
    const hungUp = await postTo(p0, '/app/live/hangUpMan', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    expect(hungUp.body.state).toBe('ended');
    const keys = await minuteKeys(callId);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(
      Array.from({ length: keys.length }, (_, i) => `call:${callId}:minute:${i + 1}`).sort(),
    );
    const settled = await eventually(async () => {
      const match = await postTo(p2, '/app/live/getMatchInfo', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      return match.body.state === 'settled' ? match.body : null;
    });
    expect(settled.reason).toBe('hangup_anchor');
    await eventually(async () => anchorApp.pushes.some((view) => view.state === 'settled'));
  }, 60_000);

  it('fires the ring timeout of a call whose process was killed while it rang', async () => {
    const survivor = cluster.processes.find(
      (server) => server.child.exitCode === null && server.child.signalCode === null,
    )!;
    const doomed = await cluster.spawn();
    const guest = await createUser({ role: 'guest', diamond: 100 });
    const anchor = await createUser({ role: 'anchor' });
    const applied = await postTo(doomed, '/app/live/callApplyMan', {
      token: anchor.token,
      targetUserId: guest.userId,
    });
    expect(applied.body.state).toBe('ringing');
    await doomed.kill();
    const ended = await eventually(async () => {
      const match = await postTo(survivor, '/app/live/getMatchInfo', {
        token: anchor.token,
        targetUserId: guest.userId,
      });
      return match.body.state === 'settled' ? match.body : null;
    }, 15_000);
    expect(ended).toMatchObject({
      reason: 'missed',
      matchStatus: 3,
      roomInstanceId: applied.body.roomInstanceId,
    });
  }, 60_000);

  it('shuts down gracefully on SIGTERM, telling its clients to reconnect elsewhere', async () => {
    const extra = await cluster.spawn();
    const user = await createUser({ role: 'guest' });
    const { socket } = await socketOn(extra.url, user.token);
    const hint = new Promise((resolve) => socket.once('server:restart', resolve));
    const reason = new Promise((resolve) => socket.once('disconnect', resolve));
    expect(await extra.terminate()).toBe(0);
    expect(await hint).toEqual({ reconnect: true, reconnectAfterMs: 1_000 });
    // A transport close, not 'io server disconnect': the client's own reconnection takes over.
    expect(await reason).toBe('transport close');
  }, 60_000);
});
