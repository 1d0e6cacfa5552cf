/**
 * `merge_stream`: forwards the client's mixing parameters to Tencent Live's stream-mixing API, the
 * `common_access` interface the RoomService demo used (`interface=mix_streamv2.start_mix_stream_advanced`,
 * `t` = now + 60 s, `sign` = md5(API key + t)). Tencent answers `{code, message, timestamp}`, which
 * becomes the answer's `result`. Not configured, or Tencent unreachable: a `result` with code -1, which
 * the client retries twice and then gives up on (spec §5); the client reads only `result.code`.
 */
import { createHash } from 'node:crypto';

export interface MixResult {
  code: number;
  message: string;
  timestamp?: number;
}

export interface StreamMixingConfig {
  apiBase: string;
  appId: string;
  apiKey: string;
}

const NOT_CONFIGURED: MixResult = { code: -1, message: '混流未配置' };

export function createStreamMixing(config: StreamMixingConfig | null, timeoutMs = 5_000) {
  return {
    async mix(mergeParams: string): Promise<MixResult> {
      if (!config) return NOT_CONFIGURED;
      const t = Math.floor(Date.now() / 1000) + 60;
      const sign = createHash('md5').update(`${config.apiKey}${t}`).digest('hex');
      const query = new URLSearchParams({
        appid: config.appId,
        interface: 'mix_streamv2.start_mix_stream_advanced',
        t: String(t),
        sign,
      });
      try {
        const response = await fetch(`${config.apiBase}/common_access?${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: mergeParams,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const answer = (await response.json()) as Partial<MixResult>;
        return {
          code: typeof answer.code === 'number' ? answer.code : -1,
          message: typeof answer.message === 'string' ? answer.message : '',
          timestamp: typeof answer.timestamp === 'number' ? answer.timestamp : Math.floor(Date.now() / 1000),
        };
      } catch {
        return { code: -1, message: '混流请求失败' };
      }
    },
  };
}

export type StreamMixing = ReturnType<typeof createStreamMixing>;
