import { randomUUID } from 'node:crypto';
import { createMachineActions } from './admin/machine-actions.js';
import { createMachineArchivesRepository } from './admin/machine-archives.repository.js';
import { createMachinesService } from './admin/machines.service.js';
import { createSearch } from './admin/search.js';
import { createUserLookup } from './admin/user-lookup.js';
import { createAdminGrants } from './billing/admin-grants.js';
import { type Currency, createBalances } from './billing/balances.js';
import { MinuteChargeBatcher } from './billing/minute-charge-batcher.js';
import { createOrderHistory } from './billing/order-history.js';
import { createCallIndex } from './calls/call-index.js';
import { CALL } from './calls/call-kind.js';
import { callMachineDefinition } from './calls/call-machine.definition.js';
import { createCallRecordsRepository } from './calls/call-records.repository.js';
import { createRecordScreens } from './calls/call-records.screens.js';
import { createCallsService } from './calls/calls.service.js';
import { settleLostCalls } from './calls/lost-calls.js';
import { createPresenceService } from './calls/presence.service.js';
import { createSettlementScreens } from './calls/settlement-screens.js';
import type { AppConfig } from './config/index.js';
import type { Database } from './db/client.js';
import { pushGift } from './gifts/gift-push.js';
import { createGiftSendingService } from './gifts/gift-sending.service.js';
import { createGiftsService } from './gifts/gifts.service.js';
import { createMetricsRegistry } from './http/metrics.js';
import { createAdminActionsRepository } from './moderation/admin-actions.repository.js';
import { createModerationService } from './moderation/moderation.service.js';
import { imNoticeChannel } from './notices/im-channel.js';
import type { MessageNotice, NoticeChannel, NoticeOrigin } from './notices/notice.js';
import { createSocketChannel } from './notices/socket-channel.js';
import { createPayments } from './payments/index.js';
import { createConfigsService } from './platform/configs.service.js';
import { createLostStateReconciler } from './platform/lost-state-reconciler.js';
import { createMessageFormsRepository } from './platform/message-forms.repository.js';
import { createPlatformSettings } from './platform/platform-settings.js';
import { createAdminWatchers } from './realtime/admin-watchers.js';
import { liveRoom, tokenRoom, userRoom } from './realtime/events.js';
import { pushToAdmins } from './realtime/machine-push.js';
import { openSocketsOf } from './realtime/open-sockets.js';
import { createPresence } from './realtime/presence.js';
import { createSocketServer, RECOVERY_WINDOW_MS } from './realtime/socket-server.js';
import {
  createRedisClient,
  parseRedisTarget,
  type RedisClient,
  type RedisTarget,
} from './redis/connection.js';
import { createImCallbacks } from './rooms/im-callbacks.js';
import { createQliveRoomServices } from './rooms/index.js';
import { closeLostRooms } from './rooms/lost-rooms.js';
import { createQliveIm } from './rooms/qlive-im.js';
import { createRoomIndex } from './rooms/room-index.js';
import { ROOM } from './rooms/room-kind.js';
import { roomMachineDefinition } from './rooms/room-machine.definition.js';
import { LIVE_ROOM } from './roomservice/live-room-kind.js';
import { liveRoomMachineDefinition } from './roomservice/live-room-machine.definition.js';
import { closeLostLiveRooms, lostRoomGroupDestroy } from './roomservice/lost-live-rooms.js';
import { createOpenRoomsRepository } from './roomservice/open-rooms.repository.js';
import { createRoomService, MAX_AUDIENCES, MAX_PUSHERS } from './roomservice/roomservice.service.js';
import { createStreamMixing } from './roomservice/stream-mixing.js';
import { createRoomServiceTokens } from './roomservice/tokens.js';
import {
  CLUSTER_SHARDS,
  createMachineRuntime,
  type MachineRuntime,
  type RuntimeLogger,
} from './runtime/index.js';
import { createTencentIm, IM_COMMANDS, type ImCall } from './tencent/im/index.js';
import { createLiveStreams } from './tencent/live-streams.js';
import { createAuthenticator } from './users/authenticator.js';
import { createUsersService, USERS_CHANGED_CHANNEL } from './users/users.service.js';
import { createWechatSignIn } from './users/wechat-accounts.service.js';

export interface ContextOptions {
  config: AppConfig;
  adminToken: string;
  database: Database;
  redisUrl: string;
  logger: RuntimeLogger;
}

export function redisClient(target: RedisTarget, name: string): RedisClient {
  const client = createRedisClient(target, {
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
  const redisTarget = parseRedisTarget(options.redisUrl, config.redisCluster);
  const redis = redisClient(redisTarget, 'commands');
  const prefix = config.redisPrefix;
  const metrics = createMetricsRegistry(database);
  const im = createTencentIm({
    tencent: config.tencent,
    redis,
    redisTarget,
    prefix,
    logger,
    metrics,
  });

  const users = createUsersService(db, {
    tokenTtlMs: config.tokenTtlMs,
    defaultUnitPrice: config.unitPrice.default,
    unitPriceBounds: config.unitPrice,
    rowCacheMs: config.userRowCacheMs,
  });
  let stopHearingUserChanges: (() => Promise<void>) | undefined;
  const gifts = createGiftsService(db);
  const authenticator = createAuthenticator(db, {
    cacheMs: config.authCacheMs,
    findUser: users.find,
    redis,
    prefix,
  });
  const configs = createConfigsService(db);
  const platformSettings = createPlatformSettings(configs);
  const messageForms = createMessageFormsRepository(db);
  const balances = createBalances(db);
  const orderHistory = createOrderHistory(db);
  const live = createLiveStreams(config.tencent);
  const shards = redisTarget.cluster ? CLUSTER_SHARDS : 1;
  const processId = randomUUID();
  const presence = createPresence({ redis, prefix, processId, shards });
  const adminWatchers = createAdminWatchers({
    redis,
    prefix,
    processId,
    lingerMs: RECOVERY_WINDOW_MS,
    otherProcessesAlive: async () => (await presence.liveProcesses()).some((id) => id !== processId),
  });

  // The socket server comes before every service that pushes through it; buildApp attaches it to
  // the HTTP server. A logout or an account ban closes the sockets it concerns in every process.
  const io = createSocketServer({ redis, prefix, authenticate: authenticator.authenticateFull });
  authenticator.onNotice((notice) => {
    const room = notice.type === 'token-revoked' ? tokenRoom(notice.tokenHash) : userRoom(notice.userId);
    io.in(room).disconnectSockets(true);
  });
  const pushWallet = (userId: number, wallet: Partial<Record<Currency, number>>) =>
    io.to(userRoom(userId)).emit('wallet:update', wallet);

  const callIndex = createCallIndex(redis, prefix);
  const callRecords = createCallRecordsRepository(db);
  const minuteCharges = new MinuteChargeBatcher(db);

  // A machine's messages go out on every channel, its updates to our websocket clients; no channel
  // knows what a room or a call is.
  const sockets = createSocketChannel(io);
  const noticeChannels: NoticeChannel[] = [imNoticeChannel(im.delivery, logger), sockets.messages];
  const announce = async (notice: MessageNotice, origin: NoticeOrigin) => {
    await Promise.all(noticeChannels.map((channel) => channel(notice, origin)));
  };
  const roomIndex = createRoomIndex(redis, prefix);

  // RoomService rooms get IM groups only with a real IM app: development credentials have no IM
  // server to create them on (and queued calls would retry against Tencent for ever).
  const roomServiceGroups = !config.developmentFallbacks.some((name) =>
    ['TENCENT_SDK_APP_ID', 'TENCENT_SECRET_KEY'].includes(name),
  );
  if (!roomServiceGroups)
    logger.info({}, 'RoomService rooms have no IM groups: Tencent IM is not configured');

  const runtime: MachineRuntime = createMachineRuntime({
    redis,
    prefix,
    shards,
    queue: { connection: redisTarget, concurrency: config.workerConcurrency },
    logger,
    onTransition: (notice) => {
      for (const update of notice.updates) sockets.update(update);
      if (adminWatchers.watching()) pushToAdmins(io, notice);
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

  const callMachines = runtime.of(CALL);
  const roomMachines = runtime.of(ROOM);
  const liveRoomMachines = runtime.of(LIVE_ROOM);
  // Registered after the handles exist: a kind's effects send its own and the other kinds' machines events.
  runtime.register(
    callMachineDefinition({
      db,
      callIndex,
      records: callRecords,
      chargeMinute: (charge) => minuteCharges.charge(charge),
      send: (callId, event) => callMachines.send(callId, event, { actor: 'system' }),
      context: callMachines.context,
      closeRoom: async (roomId) => {
        // A room that already closed or expired has nothing left to do.
        if (await liveRoomMachines.get(roomId))
          await liveRoomMachines.send(roomId, { type: 'CALL_ENDED' }, { actor: 'system' });
      },
    }),
  );
  const enqueueRoomServiceIm = async (call: ImCall) => {
    if (roomServiceGroups) await im.delivery.enqueue(call);
  };
  const openRoomServiceRooms = createOpenRoomsRepository(db);
  runtime.register(
    liveRoomMachineDefinition({
      streamChanged: (callId, userId, connected) => calls.streamChanged(callId, userId, connected),
      enqueueIm: enqueueRoomServiceIm,
      roomClosed: openRoomServiceRooms.closed,
    }),
  );
  runtime.register(
    roomMachineDefinition({
      db,
      roomIndex,
      context: roomMachines.context,
      playUrl: (roomId, userId) => live.playUrl('room', roomId, userId),
      update: sockets.update,
      announce,
    }),
  );

  const calls = createCallsService({
    db,
    machines: callMachines,
    callIndex,
    records: callRecords,
    users,
    chargeMinute: (charge) => minuteCharges.charge(charge),
    timings: {
      ringTimeoutMs: config.ringTimeoutMs,
      billingIntervalMs: config.billingIntervalMs,
      disconnectGraceMs: config.disconnectGraceMs,
      diamondsPerPoint: config.diamondsPerPoint,
    },
  });
  const qliveIm = createQliveIm({ db, im, machines: roomMachines, roomIndex, logger });
  const roomService = createRoomService({
    machines: liveRoomMachines,
    tokens: createRoomServiceTokens(redis, prefix),
    calls,
    authenticatePaidCall: (token) => authenticator.authenticate(token),
    findUser: (userId) => users.find(userId),
    mixing: createStreamMixing(config.roomService.mixing),
    openRooms: openRoomServiceRooms,
    createGroup: async (roomId, name) => {
      if (!roomServiceGroups) return;
      await im.client.call(IM_COMMANDS.createGroup, {
        GroupId: roomId,
        Type: 'AVChatRoom',
        Name: name,
        Owner_Account: config.tencent.im.admin,
      });
    },
    streams: {
      pushDomain: config.tencent.pushDomain,
      playDomain: config.tencent.playDomain,
      pushKey: config.tencent.pushKey,
      playKey: config.tencent.playKey,
      bizId: config.tencent.bizId,
      urlTtlSeconds: config.tencent.urlTtlSeconds,
    },
    sdkAppId: config.tencent.sdkAppId,
    secretKey: config.tencent.secretKey,
    heartbeatTimeoutMs: config.roomService.heartbeatTimeoutMs,
    emptyRoomTimeoutMs: config.roomService.emptyRoomTimeoutMs,
  });
  const presenceService = createPresenceService(db, presence, callIndex);
  const settlementScreens = createSettlementScreens({
    db,
    records: callRecords,
    users,
    snapshotOf: calls.snapshotOf,
  });
  const recordScreens = createRecordScreens({ db, records: callRecords, users });
  const adminActions = createAdminActionsRepository(db);
  const moderation = createModerationService({
    db,
    calls: callMachines,
    rooms: roomMachines,
    callIndex,
    roomIndex,
    actions: adminActions,
    pushWarning: (userId, message) => io.to(userRoom(userId)).emit('user:warn', { message }),
    lockUser: (userId) => authenticator.lockUser(userId),
  });
  const qlive = createQliveRoomServices({
    db,
    redis,
    prefix,
    machines: roomMachines,
    roomIndex,
    gifts,
    graceMs: config.disconnectGraceMs,
    pushGift: (liveId, gift) => io.to(liveRoom(String(liveId))).emit('room:gift', { ...gift }),
    pushWallet,
  });
  // Tencent IM's callbacks (logouts, members leaving a group) wait in Redis for the room work.
  const imCallbacks = createImCallbacks({
    rooms: qlive.rooms,
    prefix,
    connection: redisTarget,
    logger,
    metrics,
  });
  const wechatSignIn = createWechatSignIn({
    db,
    users,
    redis,
    prefix,
    wechat: config.wechat,
    tokenTtlMs: config.tokenTtlMs,
  });
  const payments = createPayments({
    db,
    pay: config.wechatPay,
    appId: config.wechat.appId,
    onCredited: (userId, currency, balance) => pushWallet(userId, { [currency]: balance }),
    onDevelopmentPaymentFailed: (outTradeNo, reason) =>
      logger.warn({ outTradeNo, reason }, 'the development payment notification was not taken'),
  });
  const giftSending = createGiftSendingService({
    db,
    gifts,
    users,
    calls,
    diamondsPerPoint: config.diamondsPerPoint,
    push: (sent) => pushGift(io, sent),
  });

  // The admin panel's services: machines live and archived, an operator's actions on them, users.
  const archives = createMachineArchivesRepository(db);
  const admin = {
    adminActions,
    grants: createAdminGrants({
      db,
      onGranted: (userId, currency, balance) => pushWallet(userId, { [currency]: balance }),
    }),
    machines: createMachinesService({
      db,
      runtime,
      archives,
      callRecords,
      adminActions,
    }),
    search: createSearch({ db, runtime, archives }),
    machineActions: createMachineActions({ runtime, archives, adminActions, roomIndex }),
    lookUpUser: createUserLookup({
      db,
      callIndex,
      roomIndex,
      adminActions,
      isOnline: (userId) => presence.isOnline(userId),
      socketsOf: (userId) => openSocketsOf(io, userId),
    }),
  };

  const lostState = createLostStateReconciler({
    everyMs: config.reconcileEveryMs,
    logger,
    reconcile: async () => {
      const calls = await settleLostCalls(
        {
          db,
          records: callRecords,
          callIndex,
          machineExists: callMachines.exists,
          timings: {
            ringTimeoutMs: config.ringTimeoutMs,
            billingIntervalMs: config.billingIntervalMs,
            disconnectGraceMs: config.disconnectGraceMs,
          },
          // A room machine that survived its call ends with it (its own end destroys the group).
          roomLost: async (roomId, callId) => {
            if (await liveRoomMachines.exists(roomId))
              await liveRoomMachines.send(roomId, { type: 'CALL_ENDED' }, { actor: 'system' });
            else await enqueueRoomServiceIm(lostRoomGroupDestroy(roomId, `call-${callId}`));
          },
        },
        // A live call is charged every billing interval; twice that without a charge is no live call.
        2 * config.billingIntervalMs,
      );
      const rooms = await closeLostRooms(
        {
          db,
          roomIndex,
          machineExists: roomMachines.exists,
          announce,
          archive: (roomId, snapshot) => callRecords.archive(ROOM.name, roomId, 'ended', snapshot, []),
          graceMs: config.disconnectGraceMs,
        },
        // A room's row is written just before its machine: only a room older than this can be lost.
        10_000,
      );
      const roomServiceRooms = await closeLostLiveRooms(
        {
          db,
          machineExists: liveRoomMachines.exists,
          enqueueIm: enqueueRoomServiceIm,
          archive: (roomId, snapshot) => callRecords.archive(LIVE_ROOM.name, roomId, 'closed', snapshot, []),
          limits: {
            maxPushers: MAX_PUSHERS,
            maxAudiences: MAX_AUDIENCES,
            heartbeatTimeoutMs: config.roomService.heartbeatTimeoutMs,
            emptyRoomTimeoutMs: config.roomService.emptyRoomTimeoutMs,
          },
        },
        // The row is written just after the machine; the margin covers a clock apart from Postgres's.
        10_000,
      );
      return { calls, rooms, roomServiceRooms };
    },
  });

  return {
    config,
    adminToken: options.adminToken,
    database,
    redis,
    logger,
    metrics,
    im,
    users,
    gifts,
    configs,
    platformSettings,
    messageForms,
    balances,
    orderHistory,
    live,
    presence,
    presenceService,
    callIndex,
    callRecords,
    roomIndex,
    runtime,
    callMachines,
    roomMachines,
    calls,
    settlementScreens,
    recordScreens,
    roomService,
    giftSending,
    moderation,
    qlive,
    qliveIm,
    imCallbacks,
    wechatSignIn,
    payments,
    admin,
    authenticate: authenticator.authenticate,
    /** Revokes a token everywhere (logout); use this rather than tokens.ts so this process forgets it at once. */
    revokeToken: authenticator.revoke,
    authenticator,
    /** Socket.IO, not yet attached to an HTTP server (buildApp does that). */
    io,
    /** Whether an admin panel is open anywhere (the panel's pushes are sent only then). */
    adminWatchers,
    /** Fires delayed events and re-runs effects a crashed process left behind. */
    async startBackgroundWork() {
      // Until this hears Postgres announce user changes, users' rows are read on every request.
      stopHearingUserChanges = await database.listen(USERS_CHANGED_CHANNEL, {
        notification: (userId) => users.rowChanged(Number(userId)),
        hearing: users.hearingRowChanges,
      });
      await presence.start();
      await adminWatchers.start();
      await authenticator.start();
      runtime.startWorker({ recoverEveryMs: 10_000 });
      im.delivery.start();
      imCallbacks.start();
      lostState.start();
    },
    /** Ends what Redis lost now (the periodic run does the same). */
    reconcileLostState: () => lostState.runOnce(),
    /**
     * After the HTTP server, in the reverse order of construction (each part before what it uses):
     * the worker finishes the jobs it holds (billing ticks, timeouts, their effect batches, which
     * may still push) and takes no more, then the socket server closes, and the replies still owed
     * by Redis are awaited (QUIT).
     */
    async close() {
      await lostState.stop();
      // Callback work runs room machine events: done with the ones it holds before the runtime goes.
      await imCallbacks.close();
      await runtime.close();
      // Its clients were told to reconnect and cut off when the HTTP server closed (buildApp).
      // A server never attached has no engine to close, only its adapter.
      await io.close().catch(() => {});
      await presence.stop().catch(() => {});
      await adminWatchers.stop();
      await authenticator.stop();
      await stopHearingUserChanges?.();
      await im.delivery.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export type AppContext = Awaited<ReturnType<typeof createAppContext>>;
