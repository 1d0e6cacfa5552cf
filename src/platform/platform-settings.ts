import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { ConfigsService } from './configs.service.js';
import { type FeatureSwitches, switchesFor } from './feature-switches.js';
import {
  DEFAULT_SHARE_INFO,
  DEFAULT_WECHAT_VERSION,
  SHARE_INFO_KEY,
  type ShareInfo,
  ShareInfoSchema,
  WECHAT_VERSION_KEY,
  type WeChatVersionConfig,
  WeChatVersionConfigSchema,
} from './platform-configs.js';

/** The paid-call apps' platform settings, read from configs (a value that does not fit its shape answers the default). */
export function createPlatformSettings(configs: ConfigsService) {
  async function read<T>(key: string, shape: TSchema, fallback: T): Promise<T> {
    const value = await configs.get<unknown>(key, fallback);
    return Value.Check(shape, value) ? (value as T) : fallback;
  }
  return {
    shareInfo: () => read<ShareInfo>(SHARE_INFO_KEY, ShareInfoSchema, DEFAULT_SHARE_INFO),
    async featureSwitches(version: number, terminalType: number): Promise<FeatureSwitches> {
      const config = await read<WeChatVersionConfig>(
        WECHAT_VERSION_KEY,
        WeChatVersionConfigSchema,
        DEFAULT_WECHAT_VERSION,
      );
      return switchesFor(config, version, terminalType);
    },
  };
}

export type PlatformSettings = ReturnType<typeof createPlatformSettings>;
