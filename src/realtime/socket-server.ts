import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server, type Socket } from 'socket.io';
import { banPolicy } from '../moderation/ban-policy.js';
import type { RedisClient } from '../redis/connection.js';
import type { Authenticated } from '../users/authenticator.js';
import {
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SocketData,
  tokenRoom,
  userRoom,
} from './events.js';

export type AppSocketServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface SocketServerOptions {
  /** Client used by the Redis Streams adapter (it duplicates it for its blocking reads). */
  redis: RedisClient;
  prefix: string;
  authenticate(token: string): Promise<Authenticated | null>;
}

/** How long Socket.IO keeps a disconnected socket's session (rooms, missed packets) for it to recover. */
export const RECOVERY_WINDOW_MS = 2 * 60 * 1000;

interface HandshakeAuth {
  token?: unknown;
  pid?: unknown;
  offset?: unknown;
}

/** The namespace's private socket factory, which restores a session (rooms, data, missed packets) before any middleware runs. */
interface SocketFactory {
  _createSocket(client: unknown, auth: HandshakeAuth): Promise<AppSocket>;
}

/**
 * Socket.IO, made before the services that push through it and attached to the app's HTTP server
 * later (`io.attach`); domains add their handlers with `io.on('connection')`. The Redis Streams
 * adapter makes several processes act as one and, unlike the pub/sub adapter, supports connection
 * state recovery across a reconnect.
 */
export function createSocketServer(options: SocketServerOptions): AppSocketServer {
  const io: AppSocketServer = new Server({
    adapter: createAdapter(options.redis, {
      streamName: `${options.prefix}socket.io`,
      channelPrefix: `${options.prefix}socket.io`,
      sessionKeyPrefix: `${options.prefix}sio:session:`,
      onlyPlaintext: true,
    }),
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: false },
    cors: { origin: true },
  });
  const ownerKey = (pid: string) => `${options.prefix}sio:owner:${pid}`;

  // Socket.IO restores a session (its rooms, data and missed packets) from the `pid` the client
  // presents, before any middleware runs and whoever presents it. So the pid is honoured only when
  // the token in the same handshake belongs to the user who opened that session; otherwise the
  // client gets a fresh session of its own.
  const factory = io.of('/') as unknown as SocketFactory;
  const createSocket = factory._createSocket.bind(factory);
  factory._createSocket = async (client, auth) => {
    if (typeof auth?.pid !== 'string') return createSocket(client, auth);
    const { pid, offset, ...fresh } = auth;
    const [owner, caller] = await Promise.all([
      options.redis.get(ownerKey(pid)).catch(() => null),
      typeof auth.token === 'string' ? options.authenticate(auth.token).catch(() => null) : null,
    ]);
    const mine = caller !== null && owner === String(caller.user.id);
    return createSocket(client, mine ? { ...fresh, pid, offset } : fresh);
  };

  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as HandshakeAuth | undefined)?.token;
    try {
      const caller = typeof token === 'string' && token ? await options.authenticate(token) : null;
      if (!caller) return next(new Error('unauthorized'));
      if (!banPolicy.maySignIn(caller.user)) return next(new Error('banned'));
      socket.data.userId = caller.user.id;
      socket.data.tokenHash = caller.identity.tokenHash;
      next();
    } catch {
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    void socket.join([userRoom(socket.data.userId), tokenRoom(socket.data.tokenHash)]);
    const pid = (socket as unknown as { pid?: string }).pid;
    if (pid) {
      const owned = () =>
        options.redis
          .set(ownerKey(pid), String(socket.data.userId), 'PX', 2 * RECOVERY_WINDOW_MS)
          .catch(() => {});
      void owned();
      socket.on('disconnect', () => void owned());
    }
  });

  return io;
}
