/**
 * Tencent Cloud CSS (云直播) push and play URLs with hotlink protection (防盗链):
 *   txTime   = the URL's expiry, unix seconds as UPPERCASE hex (Tencent's own samples and generator
 *              print it upper-case; their servers accept either case)
 *   txSecret = lowercase hex MD5(key + streamName + txTime)
 * Official vector: key e12c46f2612d5106e2034781ab261ca3, stream `test`, txTime 5C271099
 * → txSecret f85a2ab363fe4deaffef9754d79da6fe (see test/unit/tencent/live-urls.test.ts).
 * The push domain and the play domain each have their own key in the console.
 */
import { createHash } from 'node:crypto';

export type StreamScheme = 'rtmp' | 'http' | 'https' | 'webrtc';
/** A point in time: a Date or epoch milliseconds (as `Date.now()` gives). */
export type Instant = Date | number;

export interface AntiLeechParams {
  txSecret: string;
  txTime: string;
}

// Tencent allows letters, digits, `_` and `-` in AppName and StreamName; anything else would need
// escaping and could sign a different string than the server checks.
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
const DOMAIN_PATTERN = /^[A-Za-z0-9.-]+(:\d{1,5})?$/;

function epochMs(at: Instant): number {
  const ms = at instanceof Date ? at.getTime() : at;
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError('expiresAt must be a valid time');
  return ms;
}

/** Expiry as Tencent wants it: unix seconds in upper-case hex. */
export function txTimeOf(expiresAt: Instant): string {
  return Math.floor(epochMs(expiresAt) / 1000)
    .toString(16)
    .toUpperCase();
}

export function antiLeechParams({
  key,
  streamName,
  expiresAt,
}: {
  key: string;
  streamName: string;
  expiresAt: Instant;
}): AntiLeechParams {
  if (!key) throw new TypeError('an anti-leech key is required');
  const txTime = txTimeOf(expiresAt);
  const txSecret = createHash('md5')
    .update(key + streamName + txTime, 'utf8')
    .digest('hex');
  return { txSecret, txTime };
}

export interface StreamUrlOptions {
  scheme: StreamScheme;
  /** Host name (optionally `:port`), no scheme and no path: `push.example.com`. */
  domain: string;
  /** Tencent's AppName; `live` unless the console says otherwise. */
  app?: string;
  streamName: string;
  /** Appended to the path, not signed: `.flv`, `.m3u8`. */
  extension?: string;
}

function baseUrl({ scheme, domain, app = 'live', streamName, extension = '' }: StreamUrlOptions): string {
  if (!DOMAIN_PATTERN.test(domain)) throw new TypeError(`invalid stream domain: ${domain}`);
  if (!NAME_PATTERN.test(app)) throw new TypeError(`invalid stream app name: ${app}`);
  if (!NAME_PATTERN.test(streamName)) throw new TypeError(`invalid stream name: ${streamName}`);
  return `${scheme}://${domain}/${app}/${streamName}${extension}`;
}

/** A stream URL carrying `txSecret` and `txTime`, signed over the bare stream name. */
export function signStreamUrl(options: StreamUrlOptions & { key: string; expiresAt: Instant }): string {
  const { txSecret, txTime } = antiLeechParams(options);
  return `${baseUrl(options)}?txSecret=${txSecret}&txTime=${txTime}`;
}

/** `rtmp://<pushDomain>/live/<stream>?txSecret=..&txTime=..` — what the broadcaster's pusher needs. */
export function pushUrl(options: {
  domain: string;
  app?: string;
  streamName: string;
  key: string;
  expiresAt: Instant;
}): string {
  return signStreamUrl({ ...options, scheme: 'rtmp' });
}

export type PlayFormat = 'rtmp' | 'flv' | 'hls';

/**
 * A play URL: `rtmp://<playDomain>/live/<stream>` (the form the QLive client shows), or the
 * HTTP-FLV (`.flv`) / HLS (`.m3u8`) variant. Signed only when the play domain has a key (play
 * authentication is optional in Tencent's console); then `expiresAt` is required.
 */
export function playUrl({
  format = 'rtmp',
  secure = true,
  key,
  expiresAt,
  ...rest
}: {
  domain: string;
  app?: string;
  streamName: string;
  format?: PlayFormat;
  /** For `flv` / `hls`: https (default; mini-programs want TLS) or plain http. */
  secure?: boolean;
  key?: string;
  expiresAt?: Instant;
}): string {
  const scheme: StreamScheme = format === 'rtmp' ? 'rtmp' : secure ? 'https' : 'http';
  const extension = format === 'flv' ? '.flv' : format === 'hls' ? '.m3u8' : '';
  const options: StreamUrlOptions = { ...rest, scheme, extension };
  if (!key) return baseUrl(options);
  if (expiresAt === undefined) throw new TypeError('expiresAt is required to sign a play URL');
  return signStreamUrl({ ...options, key, expiresAt });
}

export type StreamKind = 'call' | 'room';

// Readable ids pass through; anything else is replaced by a hash. A hashed form starts with `-`,
// which a passed-through id never does, so two different ids can never share a stream name.
const PLAIN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * The stream one user publishes in one call or room instance: `call_<instanceId>_<userId>`.
 * Stable (same inputs, same name, so a reconnecting client gets the same URL), unique per
 * (kind, instance, user), and made only of characters Tencent and URLs accept unescaped.
 */
export function streamNameFor(kind: StreamKind, instanceId: string, userId: number): string {
  if (kind !== 'call' && kind !== 'room') throw new TypeError(`unknown stream kind: ${String(kind)}`);
  if (!Number.isSafeInteger(userId) || userId < 0)
    throw new TypeError('userId must be a non-negative integer');
  if (!instanceId) throw new TypeError('instanceId is required');
  const id = PLAIN_ID_PATTERN.test(instanceId)
    ? instanceId
    : `-${createHash('sha256').update(instanceId, 'utf8').digest('hex').slice(0, 32)}`;
  return `${kind}_${id}_${userId}`;
}
