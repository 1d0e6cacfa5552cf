import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AdminActionsRepository } from '../moderation/admin-actions.repository.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { ConfigsService } from '../platform/configs.service.js';
import { adminActionRoutes } from './actions.routes.js';
import { adminAuth } from './admin-auth.js';
import { adminConfigRoutes } from './configs.routes.js';
import type { MachineActions } from './machine-actions.js';
import { adminMachineRoutes } from './machines.routes.js';
import type { MachinesService } from './machines.service.js';
import type { Search } from './search.js';
import type { UserLookup } from './user-lookup.js';
import { adminUserRoutes } from './users.routes.js';

export interface AdminConsoleDeps {
  adminToken: string;
  machines: MachinesService;
  search: Search;
  machineActions: MachineActions;
  lookUpUser: UserLookup;
  moderation: ModerationService;
  configs: ConfigsService;
  /** Where an operator's config changes are recorded (the services record the other actions). */
  adminActions: AdminActionsRepository;
}

/**
 * The debug panel's API under /admin/api (Bearer ADMIN_TOKEN, like the rest of it): machines,
 * the admin's actions on them, users and moderation, configs.
 */
export const adminConsoleRoutes: FastifyPluginAsyncTypebox<AdminConsoleDeps> = async (app, deps) => {
  await app.register(adminAuth, { adminToken: deps.adminToken });
  await app.register(adminMachineRoutes, { machines: deps.machines, search: deps.search });
  await app.register(adminActionRoutes, { actions: deps.machineActions });
  await app.register(adminUserRoutes, { moderation: deps.moderation, lookUpUser: deps.lookUpUser });
  await app.register(adminConfigRoutes, { configs: deps.configs, adminActions: deps.adminActions });
};
