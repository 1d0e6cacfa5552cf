import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.js';
import { createAdminActionsRepository } from '../moderation/admin-actions.repository.js';
import { adminActionRoutes } from './actions.routes.js';
import { adminAuth } from './admin-auth.js';
import { adminConfigRoutes } from './configs.routes.js';
import { createMachineActions } from './machine-actions.js';
import { createMachineArchivesRepository } from './machine-archives.repository.js';
import { adminMachineRoutes } from './machines.routes.js';
import { createMachinesService } from './machines.service.js';
import { createSearch } from './search.js';
import { createUserLookup } from './user-lookup.js';
import { adminUserRoutes } from './users.routes.js';

/**
 * The debug panel's API under /admin/api (Bearer ADMIN_TOKEN, like the rest of it): machines,
 * the admin's actions on them, users and moderation, configs.
 */
export const adminConsoleRoutes: FastifyPluginAsyncTypebox<{ context: AppContext }> = async (
  app,
  { context },
) => {
  await app.register(adminAuth, { adminToken: context.adminToken });
  const { db } = context.database;
  const adminActions = createAdminActionsRepository(db);
  const archives = createMachineArchivesRepository(db);

  await app.register(adminMachineRoutes, {
    machines: createMachinesService({
      db,
      runtime: context.runtime,
      archives,
      callRecords: context.callRecords,
      adminActions,
    }),
    search: createSearch({ db, runtime: context.runtime, archives }),
  });
  await app.register(adminActionRoutes, {
    actions: createMachineActions({
      runtime: context.runtime,
      archives,
      adminActions,
      roomIndex: context.roomIndex,
    }),
  });
  await app.register(adminUserRoutes, {
    moderation: context.moderation,
    lookUpUser: createUserLookup({
      db,
      callIndex: context.callIndex,
      roomIndex: context.roomIndex,
      adminActions,
      isOnline: (userId) => context.presence.isOnline(userId),
      socketsOf: (userId) => context.socketsOf(userId),
    }),
  });
  await app.register(adminConfigRoutes, { configs: context.configs, adminActions });
};
