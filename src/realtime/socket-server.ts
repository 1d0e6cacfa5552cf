import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server, type Socket } from 'socket.io';
import type { User } from '../db/schema/index.js';
import type { RedisClient } from '../redis/connection.js';
import { type ClientToServerEvents, type ServerToClientEvents, type SocketData, userRoom } from './events.js';

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
  authenticate(token: string): Promise<User | null>;
  /** Lets domains attach handlers (call:sync) and track presence. */
  onConnection?(socket: AppSocket): void;
}

/**
 * Socket.IO on the app's HTTP server. The Redis Streams adapter makes several processes act as one
 * and, unlike the pub/sub adapter, supports connection state recovery across a reconnect.
 */
export function createSocketServer(httpServer: HttpServer, options: SocketServerOptions): AppSocketServer {
  const io: AppSocketServer = new Server(httpServer, {
    adapter: createAdapter(options.redis, {
      streamName: `${options.prefix}socket.io`,
      channelPrefix: `${options.prefix}socket.io`,
      sessionKeyPrefix: `${options.prefix}sio:session:`,
      onlyPlaintext: true,
    }),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: false },
    cors: { origin: true },
  });

  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    try {
      const user = typeof token === 'string' && token ? await options.authenticate(token) : null;
      if (!user) return next(new Error('unauthorized'));
      socket.data.userId = user.id;
      next();
    } catch {
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    void socket.join(userRoom(socket.data.userId));
    options.onConnection?.(socket);
  });

  return io;
}
