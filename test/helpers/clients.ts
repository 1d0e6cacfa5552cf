import { io as connect, type Socket } from 'socket.io-client';
import type { TestServer } from './app.js';

/** A socket.io client as the apps open it, recording every event it is pushed. */
export interface TestClient {
  socket: Socket;
  // biome-ignore lint/suspicious/noExplicitAny: pushes are asserted as arbitrary JSON
  received: { event: string; payload: any }[];
  /** Resolves with the first push of `event` (already received or still to come) that matches. */
  // biome-ignore lint/suspicious/noExplicitAny: see above
  next(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

export async function connectClient(server: TestServer, token: string): Promise<TestClient> {
  const socket = connect(server.url, { auth: { token }, transports: ['websocket'], reconnection: false });
  const received: TestClient['received'] = [];
  const waiters: {
    event: string;
    match: (payload: unknown) => boolean;
    resolve: (payload: unknown) => void;
  }[] = [];
  socket.onAny((event: string, payload: unknown) => {
    received.push({ event, payload });
    for (const waiter of [...waiters]) {
      if (waiter.event === event && waiter.match(payload)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(payload);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  // The server joins the user's room right after the handshake; let that land before the test acts.
  await new Promise((resolve) => setTimeout(resolve, 30));
  return {
    socket,
    received,
    next(event, match = () => true, timeoutMs = 5_000) {
      const seen = received.find((entry) => entry.event === event && match(entry.payload));
      if (seen) return Promise.resolve(seen.payload);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${event} push within ${timeoutMs} ms; got ${JSON.stringify(received)}`)),
          timeoutMs,
        );
        waiters.push({
          event,
          match,
          resolve: (payload) => {
            clearTimeout(timer);
            resolve(payload);
          },
        });
      });
    },
    close: () => socket.disconnect(),
  };
}

/** Polls until `check` returns a truthy value (state reached by a timer or another process). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined | null | false;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}
