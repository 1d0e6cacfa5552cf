/**
 * Stream names and URLs of Tencent's RoomService protocol (spec tencent-roomservice.md §4), as its
 * Java demo builds them: `[<bizid>_][<roomID>_]<userID>` streams, `bizid=` first in the query, and
 * the same anti-leech signature as every CSS URL (live-urls.ts): `txTime` upper-case hex,
 * `txSecret = md5(key + stream + txTime)`. Accelerate (low-latency play) URLs are signed with the
 * play domain's key and reuse the push URL's `txTime`, so a pusher's play URL lives as long as its
 * push URL and stays the same every time `get_pushers` lists it.
 */
import { timingSafeEqual } from 'node:crypto';
import { antiLeechParams, type Instant, txTimeOf } from './live-urls.js';

export interface RoomServiceStreamConfig {
  pushDomain: string;
  playDomain: string;
  pushKey: string;
  playKey: string;
  /** '' when the deployment has no bizid. */
  bizId: string;
}

const STREAM_PART = /^[A-Za-z0-9_-]{1,64}$/;

/** `<bizid>_<roomID>_<userID>`, each part present only when set (spec §4). */
export function roomServiceStreamName(
  config: Pick<RoomServiceStreamConfig, 'bizId'>,
  userId: string,
  roomId?: string,
) {
  const parts = [config.bizId, roomId ?? '', userId].filter((part) => part !== '');
  for (const part of parts)
    if (!STREAM_PART.test(part)) throw new TypeError(`invalid stream name part: ${part}`);
  return parts.join('_');
}

function signedQuery(config: RoomServiceStreamConfig, key: string, stream: string, txTime: string): string {
  const { txSecret } = antiLeechParams({
    key,
    streamName: stream,
    expiresAt: Number.parseInt(txTime, 16) * 1000,
  });
  const bizid = config.bizId ? `bizid=${config.bizId}&` : '';
  return `?${bizid}txSecret=${txSecret}&txTime=${txTime}`;
}

/** `rtmp://<push host>/live/<stream>?[bizid=…&]txSecret=…&txTime=…`, valid until `expiresAt`. */
export function roomServicePushUrl(
  config: RoomServiceStreamConfig,
  stream: string,
  expiresAt: Instant,
): string {
  const txTime = txTimeOf(expiresAt);
  return `rtmp://${config.pushDomain}/live/${stream}${signedQuery(config, config.pushKey, stream, txTime)}`;
}

export interface ParsedStreamUrl {
  stream: string;
  txSecret: string;
  txTime: string;
}

/** The stream (path segment after the last `/`, before `?`) and signature of a push URL; null if it has none. */
export function parseStreamUrl(url: string): ParsedStreamUrl | null {
  const [path = '', query = ''] = url.split('?', 2);
  const stream = path.slice(path.lastIndexOf('/') + 1);
  const params = new URLSearchParams(query);
  const txSecret = params.get('txSecret') ?? '';
  const txTime = params.get('txTime') ?? '';
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(stream)) return null;
  if (!/^[0-9a-f]{32}$/.test(txSecret) || !/^[0-9A-Fa-f]{1,12}$/.test(txTime)) return null;
  return { stream, txSecret, txTime };
}

/** True when the push URL's `txSecret` is ours for its stream and `txTime` (expiry is Tencent's to enforce). */
export function pushUrlIsSigned(config: RoomServiceStreamConfig, url: string): boolean {
  const parsed = parseStreamUrl(url);
  if (!parsed) return false;
  const expected = antiLeechParams({
    key: config.pushKey,
    streamName: parsed.stream,
    expiresAt: Number.parseInt(parsed.txTime, 16) * 1000,
  });
  // txTime is signed exactly as it appears in the URL; a lower-case one would re-encode differently.
  if (expected.txTime !== parsed.txTime) return false;
  return timingSafeEqual(Buffer.from(expected.txSecret), Buffer.from(parsed.txSecret));
}

/** The low-latency play URL of a pusher's stream, signed with the play key and the push URL's `txTime`. */
export function roomServiceAccelerateUrl(config: RoomServiceStreamConfig, pushUrl: string): string {
  const parsed = parseStreamUrl(pushUrl);
  if (!parsed) throw new TypeError('push URL has no stream signature');
  return `rtmp://${config.playDomain}/live/${parsed.stream}${signedQuery(config, config.playKey, parsed.stream, parsed.txTime)}`;
}

/** `http://<play host>/live/<creator's stream>.flv`: the creator's client mixes into its own stream. */
export function roomServiceMixedPlayUrl(config: RoomServiceStreamConfig, creatorStream: string): string {
  return `http://${config.playDomain}/live/${creatorStream}.flv`;
}
