import type { WeChatVersionConfig } from './platform-configs.js';

export interface FeatureSwitches {
  /** 1 when a matching rule says this build is under WeChat review. */
  review: 0 | 1;
  switches: Record<string, boolean>;
}

/** The switches a mini-program build gets: the defaults, then every matching rule in order. */
export function switchesFor(
  config: WeChatVersionConfig,
  version: number,
  terminalType: number,
): FeatureSwitches {
  let review = false;
  const switches = { ...config.switches };
  for (const rule of config.rules) {
    if (rule.terminalType !== undefined && rule.terminalType !== terminalType) continue;
    if (rule.minVersion !== undefined && version < rule.minVersion) continue;
    if (rule.maxVersion !== undefined && version > rule.maxVersion) continue;
    Object.assign(switches, rule.switches ?? {});
    if (rule.review !== undefined) review = rule.review;
  }
  return { review: review ? 1 : 0, switches };
}
