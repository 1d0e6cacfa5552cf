import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { ConfigsService } from '../../platform/configs.service.js';

const Share = Type.Array(Type.Object({ title: Type.String(), src: Type.String() }));
const Background = Type.Object(
  { color: Type.String(), height: Type.Integer(), src: Type.String() },
  { additionalProperties: true },
);
const SHAPES = {
  PROGRAM_SHARE: Share,
  LIVEROOM_SHARE: Share,
  INDEX_BANNER: Type.String(),
  BACKGROUND: Background,
};

/**
 * get_configs: each top-level key is its own operator setting in app_configs under `qlive.<KEY>`
 * (e.g. `qlive.INDEX_BANNER`), so one can be changed without touching the others; a key never set
 * answers the document's example.
 */
export const QLIVE_CONFIG_DEFAULTS = {
  PROGRAM_SHARE: [
    {
      title: '优质好男人都在这里等你！',
      src: 'https://images.daqinjia.cn/qlive/7a0d0740-ba76-11e9-a743-8c89a53fe892.png',
    },
    {
      title: '单身相亲女士聚集地',
      src: 'https://images.daqinjia.cn/qlive/7a265bfe-ba76-11e9-95a3-8c89a53fe892.png',
    },
    {
      title: '介绍对象也能赚钱？',
      src: 'https://images.daqinjia.cn/qlive/7a538728-ba76-11e9-a5d8-8c89a53fe892.png',
    },
    {
      title: '一大波优质相亲者在这里等你',
      src: 'https://images.daqinjia.cn/qlive/7a452f12-ba76-11e9-acbc-8c89a53fe892.png',
    },
  ],
  LIVEROOM_SHARE: [
    {
      title: '又有一对情侣在一起了',
      src: 'https://images.daqinjia.cn/qlive/7a4d1e70-ba76-11e9-8d1e-8c89a53fe892.png',
    },
    {
      title: '介绍对象成功了',
      src: 'https://images.daqinjia.cn/qlive/7a4d1e70-ba76-11e9-8d1e-8c89a53fe892.png',
    },
    {
      title: '牵线又一次成功，你来吗？',
      src: 'https://images.daqinjia.cn/qlive/7a4d1e70-ba76-11e9-8d1e-8c89a53fe892.png',
    },
  ],
  INDEX_BANNER: 'https://images.daqinjia.cn/qlive/b91f4cdc-b8ee-11e9-a4e5-8c89a53fe892.png',
  BACKGROUND: {
    color: '#f69c9a',
    height: 1954,
    src: 'https://images.daqinjia.cn/qlive/0eace3c6-b9c2-11e9-aec7-8c89a53fe892.png',
  },
};

export const qliveConfigRoutes: FastifyPluginAsyncTypebox<{
  configs: Pick<ConfigsService, 'get'>;
}> = async (app, { configs }) => {
  app.get(
    '/get_configs/',
    {
      schema: {
        tags: ['qlive: configs'],
        security: [{ qliveToken: [] }],
        response: {
          200: Type.Object(
            {
              PROGRAM_SHARE: Share,
              LIVEROOM_SHARE: Share,
              INDEX_BANNER: Type.String(),
              BACKGROUND: Background,
            },
            { additionalProperties: true },
          ),
        },
      },
    },
    async (request) => {
      const entries = await Promise.all(
        Object.entries(QLIVE_CONFIG_DEFAULTS).map(async ([key, fallback]) => {
          const value = await configs.get<unknown>(`qlive.${key}`, fallback);
          // An operator's value of the wrong shape must not break the app's start screen.
          if (Value.Check(SHAPES[key as keyof typeof SHAPES], value)) return [key, value] as const;
          request.log.warn({ key: `qlive.${key}` }, 'app config does not fit its shape; serving the default');
          return [key, fallback] as const;
        }),
      );
      return Object.fromEntries(entries) as typeof QLIVE_CONFIG_DEFAULTS;
    },
  );
};
