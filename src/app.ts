import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { adminApiRoutes } from './admin/admin-api.routes.js';
import { attachAdminNamespace } from './admin/admin-socket.js';
import { adminConsoleRoutes } from './admin/console.routes.js';
import { adminGrantRoutes } from './admin/grants.routes.js';
import { adminPanelRoutes } from './admin/panel.routes.js';
import { attachCallSocketHandlers } from './calls/call-socket-handlers.js';
import type { AppContext } from './context.js';
import { setAnswerHeaders } from './http/answer-headers.js';
import { describeError } from './http/describe-error.js';
import { enforceEdgeRules } from './http/edge-rules.js';
import { healthRoutes } from './http/health.routes.js';
import { idempotency } from './http/idempotency.js';
import { useGuardedJsonParser } from './http/json-body.js';
import { registerMetrics } from './http/metrics.js';
import { paidCallCallRoutes } from './http/paid-call/calls.routes.js';
import { paidCallEnvelope } from './http/paid-call/envelope.js';
import { paidCallGiftSendingRoutes } from './http/paid-call/gift-sending.routes.js';
import { paidCallGiftRoutes } from './http/paid-call/gifts.routes.js';
import { paidCallLoginRoutes } from './http/paid-call/login.routes.js';
import { paidCallModerationRoutes } from './http/paid-call/moderation.routes.js';
import { paidCallOrderRoutes } from './http/paid-call/orders.routes.js';
import { paidCallPlatformRoutes } from './http/paid-call/platform.routes.js';
import { paidCallPresenceRoutes } from './http/paid-call/presence.routes.js';
import { paidCallRechargeRoutes } from './http/paid-call/recharge.routes.js';
import { paidCallRecordRoutes } from './http/paid-call/records.routes.js';
import { paidCallSettlementRoutes } from './http/paid-call/settlement.routes.js';
import { paidCallUserRoutes } from './http/paid-call/users.routes.js';
import { qliveEnvelope } from './http/qlive/envelope.js';
import { qliveGiftRoutes } from './http/qlive/gifts.routes.js';
import { qliveApiRoutes } from './http/qlive/qlive-api.routes.js';
import { familyRateLimit, rateLimitCaller, sharedRedisStore } from './http/rate-limits.js';
import { roomServiceRoutes } from './http/roomservice/roomservice.routes.js';
import { frameworkErrorAnswer, notFoundAnswer, QLIVE_PREFIX } from './http/unrouted.js';
import type { AppSocketServer } from './realtime/socket-server.js';
import { attachRoomSocketHandlers } from './rooms/room-socket-handlers.js';

declare module 'fastify' {
  interface FastifyInstance {
    io: AppSocketServer;
  }
}

export interface BuildAppOptions {
  logger: Logger;
}

export { QLIVE_PREFIX } from './http/unrouted.js';

/** The root plugin: infrastructure, then the three APIs, each inside its own envelope. */
export async function buildApp(context: AppContext, options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = context;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    // A client's x-request-id is not trusted (it would be logged and echoed as ours).
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // A URL that does not decode or a path parameter past the router's length: the API's envelope.
    frameworkErrors: frameworkErrorAnswer,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('user', null);
  app.addHook('onSend', async (request, reply) => setAnswerHeaders(request, reply));

  useGuardedJsonParser(app);
  await app.register(formbody);
  enforceEdgeRules(app);
  // After authentication (preHandler), so a limit is per user; routes without a user (login) count per
  // IP. Counters live in Redis by family and caller, shared by the family's routes and every process.
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: rateLimitCaller,
    store: sharedRedisStore(context.redis, config.redisPrefix),
  });
  await app.register(idempotency, { redis: context.redis, prefix: config.redisPrefix });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Call orchestrator API',
        description: 'Paid 1-on-1 calls (/app, /weapp), QLive live rooms (/wx/api/qlive) and the admin API.',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          adminBearer: { type: 'http', scheme: 'bearer' },
          qliveToken: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: '`QLiveToken <token>`, or `Token <token>` as QLive’s original server takes it',
          },
        },
      },
    },
  });
  if (config.docsEnabled) await app.register(swaggerUi, { routePrefix: '/docs' });

  registerMetrics(app, context.metrics, config.metrics);
  await app.register(healthRoutes, {
    probes: {
      postgres: () => context.database.ping(),
      redis: async () => {
        await context.redis.ping();
      },
    },
  });

  await app.register(adminApiRoutes, {
    prefix: '/admin/api',
    adminToken: context.adminToken,
    users: context.users,
    gifts: context.gifts,
    onMatchmakerCreated: (user) => context.qliveIm.matchmakerCreated(user),
  });
  await app.register(adminGrantRoutes, {
    prefix: '/admin/api',
    adminToken: context.adminToken,
    grants: context.admin.grants,
    users: context.users,
  });
  await app.register(adminConsoleRoutes, {
    prefix: '/admin/api',
    adminToken: context.adminToken,
    machines: context.admin.machines,
    search: context.admin.search,
    machineActions: context.admin.machineActions,
    lookUpUser: context.admin.lookUpUser,
    moderation: context.moderation,
    configs: context.configs,
    adminActions: context.admin.adminActions,
  });
  await app.register(adminPanelRoutes);

  await app.register(async (paidCall) => {
    await paidCall.register(paidCallEnvelope, {
      authenticate: context.authenticate,
      onAuthenticated: (user) => context.presence.touch(user.id),
    });
    await paidCall.register(paidCallUserRoutes, { users: context.users, balances: context.balances });
    await paidCall.register(paidCallLoginRoutes, {
      wechatSignIn: context.wechatSignIn,
      rateLimit: familyRateLimit('logins', config.rateLimits),
    });
    await paidCall.register(paidCallRechargeRoutes, {
      payments: context.payments,
      rateLimit: familyRateLimit('orders', config.rateLimits),
      notifyUrl: config.wechatPay.notifyUrl,
    });
    await paidCall.register(paidCallGiftRoutes, { gifts: context.gifts });
    await paidCall.register(paidCallCallRoutes, {
      calls: context.calls,
      applyRateLimit: familyRateLimit('applies', config.rateLimits),
      startRateLimit: familyRateLimit('startCall', config.rateLimits),
    });
    await paidCall.register(paidCallPresenceRoutes, {
      presence: context.presenceService,
      users: context.users,
      diamondsPerPoint: config.diamondsPerPoint,
    });
    await paidCall.register(paidCallSettlementRoutes, { screens: context.settlementScreens });
    await paidCall.register(paidCallRecordRoutes, { screens: context.recordScreens });
    await paidCall.register(paidCallGiftSendingRoutes, {
      giftSending: context.giftSending,
      rateLimit: familyRateLimit('gifts', config.rateLimits),
    });
    await paidCall.register(paidCallOrderRoutes, { orderHistory: context.orderHistory });
    await paidCall.register(paidCallModerationRoutes, { moderation: context.moderation });
    await paidCall.register(paidCallPlatformRoutes, {
      settings: context.platformSettings,
      messageForms: context.messageForms,
    });
  });

  await app.register(
    async (qlive) => {
      await qlive.register(qliveEnvelope, { authenticate: context.authenticate });
      await qlive.register(qliveGiftRoutes, { gifts: context.gifts });
      await qlive.register(qliveApiRoutes, {
        qlive: context.qlive,
        qliveIm: context.qliveIm,
        imCallbacks: context.imCallbacks,
        live: context.live,
        wechatSignIn: context.wechatSignIn,
        configs: context.configs,
        payments: context.payments,
        revokeToken: context.revokeToken,
        appId: config.wechat.appId,
        im: { sdkAppId: config.tencent.sdkAppId, callbackToken: config.tencent.im.callbackToken },
        notifyUrl: config.wechatPay.notifyUrl,
        rateLimits: config.rateLimits,
      });
    },
    { prefix: QLIVE_PREFIX },
  );

  await app.register(roomServiceRoutes, { roomService: context.roomService });

  app.setNotFoundHandler(notFoundAnswer);
  app.setErrorHandler((error, request, reply) => {
    const described = describeError(error);
    if (described.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(described.status).send({ code: described.status, message: described.message });
  });

  // The context made the socket server (its services push through it); here it gets the HTTP
  // server and each API's socket handlers. The context closes it, after the worker's last pushes.
  app.io = context.io;
  app.io.attach(app.server);
  app.io.on('connection', (socket) => {
    attachCallSocketHandlers(socket, {
      calls: context.calls,
      presence: context.presence,
      logger: context.logger,
    });
    attachRoomSocketHandlers(socket, { rooms: context.qlive.rooms, io: app.io, logger: context.logger });
  });
  attachAdminNamespace(app.io, context.adminToken, context.adminWatchers);
  // Before the listener closes: tell this process's clients to reconnect, then close their
  // connections from the transport up. A transport close is a reason Socket.IO recovers from (the
  // client reconnects on its own and its session is restored), where `disconnectSockets(true)`
  // would tell clients not to come back, and, through the adapter, reach every process's clients.
  // The hint goes out as a local broadcast: a socket's own emit would, with connection state
  // recovery on, travel through the Redis adapter and arrive after the connection is gone.
  app.addHook('preClose', async () => {
    for (const namespace of app.io._nsps.values()) {
      namespace.local.emit('server:restart', { reconnect: true, reconnectAfterMs: 1_000 });
      for (const socket of namespace.sockets.values()) socket.conn.close();
    }
  });

  return app;
}
