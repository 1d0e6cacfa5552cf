import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AdminActionsRepository } from '../moderation/admin-actions.repository.js';
import type { ConfigsService } from '../platform/configs.service.js';
import { assertConfigShape } from '../platform/platform-configs.js';
import { adminActorOf } from './admin-fingerprint.js';
import { ErrorResponse } from './admin-schemas.js';

const ConfigEntry = Type.Object({ key: Type.String(), value: Type.Unknown(), updatedAt: Type.Number() });

/** Reading and setting the operator configs the apps are answered from (share card, feature switches, ...). */
export const adminConfigRoutes: FastifyPluginAsyncTypebox<{
  configs: ConfigsService;
  adminActions: AdminActionsRepository;
}> = async (app, { configs, adminActions }) => {
  const common = { tags: ['admin: configs'], security: [{ adminBearer: [] }] };

  app.get(
    '/configs',
    { schema: { ...common, response: { 200: Type.Object({ configs: Type.Array(ConfigEntry) }) } } },
    async () => ({
      configs: (await configs.list()).map((row) => ({ ...row, updatedAt: row.updatedAt.getTime() })),
    }),
  );

  app.put(
    '/configs/:key',
    {
      schema: {
        ...common,
        description:
          'Sets a config; known keys (share_info, wechat_version) must fit their documented shape.',
        params: Type.Object({ key: Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' }) }),
        body: Type.Object({ value: Type.Unknown() }, { additionalProperties: false }),
        response: { 200: Type.Object({ key: Type.String(), value: Type.Unknown() }), 400: ErrorResponse },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { value } = request.body;
      assertConfigShape(key, value);
      await configs.set(key, value);
      await adminActions.record({
        actor: adminActorOf(request),
        action: 'config.set',
        targetKind: 'config',
        targetId: key,
        payload: { value },
      });
      return { key, value };
    },
  );
};
