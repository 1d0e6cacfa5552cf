import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { CallContext, CallSnapshot } from '../machines/call.js';
import type { RoomContext, RoomSnapshot } from '../machines/room.js';
import { createCallIndex } from './calls/call-index.js';
import { callMachineDefinition } from './calls/call-machine.definition.js';
import { createCallRecordsRepository } from './calls/call-records.repository.js';
import { createCallsService } from './calls/calls.service.js';
import { createPresenceService } from './calls/presence.service.js';
import type { AppConfig } from './config/index.js';
import type { Database } from './db/client.js';
import { createGiftsService } from './gifts/gifts.service.js';
import { createConfigsService } from './platform/configs.service.js';
import { liveRoom, userRoom } from './realtime/events.js';
import { pushTransition } from './realtime/machine-push.js';
import { createPresence } from './realtime/presence.js';
import type { AppSocketServer } from './realtime/socket-server.js';
import { createRoomIndex } from './rooms/room-index.js';
import { roomMachineDefinition } from './rooms/room-machine.definition.js';
import {
  connectionFromUrl,
  createMachineRuntime,
  type MachineKind,
  type MachineRuntime,
  type RuntimeLogger,
} from './runtime/index.js';
import { createLiveStreams } from './tencent/live-streams.js';
import { userForToken } from './users/tokens.js';
import { createUsersService } from './users/users.service.js';

export interface ContextOptions {
  config: AppConfig;
  adminToken: string;
  database: Database;
  redisUrl: string;
  logger: RuntimeLogger;
}

export function redisClient(url: string, name: string): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
  });
  // ioredis reconnects by itself; without a listener an outage would crash the process.
  client.on('error', () => {});
  return client;
}

/** Everything a running server holds: config, connections and the domain services built on them. */
export async function createAppContext(options: ContextOptions) {
  const { config, database, logger } = options;
  const { db } = database;
  const redis = redisClient(options.redisUrl, 'commands');
  const prefix = config.redisPrefix;
  let io: AppSocketServer | undefined;

  const users = createUsersService(db, {
    tokenTtlMs: config.tokenTtlMs,
    defaultUnitPrice: config.unitPrice.default,
    unitPriceBounds: config.unitPrice,
  });
  const gifts = createGiftsService(db);
  const configs = createConfigsService(db);
  const live = createLiveStreams(config.tencent);
  const presence = createPresence({ redis, prefix, processId: randomUUID() });
  const callIndex = createCallIndex(redis, prefix);
  const callRecords = createCallRecordsRepository(db);

  const callContext = async (callId: string): Promise<CallContext | null> => {
    const instance = await runtime.get('call', callId);
    return (instance?.snapshot as CallSnapshot | undefined)?.context ?? null;
  };

  const roomIndex = createRoomIndex(redis, prefix);
  const roomContext = async (roomId: string): Promise<RoomContext | null> => {
    const instance = await runtime.get('room', roomId);
    return (instance?.snapshot as RoomSnapshot | undefined)?.context ?? null;
  };

  const runtime: MachineRuntime<MachineKind> = createMachineRuntime<MachineKind>({
    redis,
    prefix,
    queue: { connection: connectionFromUrl(options.redisUrl) },
    logger,
    definitions: {
      call: callMachineDefinition({
        db,
        callIndex,
        records: callRecords,
        send: (callId, event) => runtime.send('call', callId, event, { actor: 'system' }),
        context: callContext,
        warnLowBalance: async (context, diamondsLeft) => {
          io?.to(userRoom(context.guestId)).emit('wallet:update', {
            diamond: diamondsLeft,
            lowBalance: true,
            roomInstanceId: Number(context.callId),
            unitPriceDiamond: context.unitPriceDiamonds,
          });
        },
      }),
      room: roomMachineDefinition({
        db,
        roomIndex,
        context: roomContext,
        seatChanged: async (roomId, seat, userId) => {
          io?.to(liveRoom(roomId)).emit('room:update', {
            roomId: Number(roomId),
            seatChanged: { seat, userId },
          });
        },
      }),
    },
    onTransition: (notice) => {
      if (io) pushTransition(io, notice);
    },
    onFinal: async (record) => {
      await callRecords.archive(
        record.kind,
        record.id,
        String(record.snapshot.value),
        record.snapshot,
        record.history,
      );
    },
  });

  const calls = createCallsService({
    db,
    runtime,
    callIndex,
    records: callRecords,
    users,
    timings: {
      ringTimeoutMs: config.ringTimeoutMs,
      billingIntervalMs: config.billingIntervalMs,
      disconnectGraceMs: config.disconnectGraceMs,
      diamondsPerPoint: config.diamondsPerPoint,
    },
  });
  const presenceService = createPresenceService(db, presence, callIndex);

  return {
    config,
    adminToken: options.adminToken,
    database,
    redis,
    logger,
    users,
    gifts,
    configs,
    live,
    presence,
    presenceService,
    callIndex,
    callRecords,
    roomIndex,
    roomContext,
    runtime,
    calls,
    authenticate: (token: string) => userForToken(db, token),
    attachSocketServer(server: AppSocketServer) {
      io = server;
    },
    /** Fires delayed events and re-runs effects a crashed process left behind. */
    async startBackgroundWork() {
      await presence.start();
      runtime.startWorker({ recoverEveryMs: 10_000 });
    },
    async close() {
      await runtime.close();
      await presence.stop().catch(() => {});
      redis.disconnect();
    },
  };
}

export type AppContext = Awaited<ReturnType<typeof createAppContext>>;
