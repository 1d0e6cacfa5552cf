import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userRoom } from '../../../src/realtime/events.js';
import { startTestServer, type TestServer } from '../../helpers/app.js';

let server: TestServer;
const sockets: Socket[] = [];
beforeAll(async () => {
  server = await startTestServer('socket_auth');
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await server.close();
});

function open(token: unknown): Socket {
  const socket = connect(server.url, { auth: { token }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  return socket;
}

describe('Socket.IO handshake', () => {
  it('refuses a connection with a bad or missing token', async () => {
    for (const token of ['f'.repeat(40), undefined, 42]) {
      const socket = open(token);
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toBe('unauthorized');
      expect(socket.connected).toBe(false);
    }
  });

  it("accepts a valid token and delivers what is sent to the user's room", async () => {
    const { userId, token } = await server.createUser({ role: 'guest' });
    const socket = open(token);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const received = new Promise((resolve) => socket.once('user:warn', resolve));
    // The server joins the room right after the handshake; give the join a moment to be visible to the adapter.
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.app.io.to(userRoom(userId)).emit('user:warn', { message: 'hello' });
    await expect(received).resolves.toEqual({ message: 'hello' });
  });
});
