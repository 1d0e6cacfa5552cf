import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ringingCall } from '../../e2e/moderation/call-driver.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';
import { connectClient, type TestClient } from '../../helpers/clients.js';

let server: TestServer;
const sockets: Socket[] = [];
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await startTestServer('admin_socket');
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  for (const client of clients) client.close();
  await server.close();
});

function openAdmin(token: unknown): Socket {
  const socket = connect(`${server.url}/admin`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  sockets.push(socket);
  return socket;
}

const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });

describe('the /admin Socket.IO namespace', () => {
  it('refuses a wrong, missing or user token', async () => {
    const user = await server.createUser({ role: 'guest' });
    for (const token of ['wrong-admin-token-0123456789', undefined, user.token]) {
      const socket = openAdmin(token);
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toBe('unauthorized');
      expect(socket.connected).toBe(false);
    }
  });

  it('pushes every machine transition to the admin, and none to the users', async () => {
    const admin = openAdmin(server.adminToken);
    await connected(admin);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pushes: Record<string, unknown>[] = [];
    admin.on('admin:machine', (push) => pushes.push(push));
    const bystander = await connectClient(server, (await server.createUser({ role: 'guest' })).token);
    clients.push(bystander);

    const call = await ringingCall(server);
    await expect
      .poll(() => pushes.find((push) => push.id === call.callId), { timeout: 5_000 })
      .toMatchObject({
        kind: 'call',
        id: call.callId,
        version: 1,
        event: 'xstate.init',
        actor: String(call.guest.userId),
        from: null,
        to: 'ringing',
        final: false,
        view: {
          roomInstanceId: Number(call.callId),
          guestId: call.guest.userId,
          anchorId: call.anchor.userId,
        },
      });
    expect(bystander.received.filter((entry) => entry.event === 'admin:machine')).toEqual([]);
  });
});
