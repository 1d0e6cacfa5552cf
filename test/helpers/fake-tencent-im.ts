/**
 * A real HTTP server on 127.0.0.1 that plays Tencent IM's server REST API (v4) for tests. It checks
 * what Tencent checks before it does anything:
 *   - the query: `sdkappid` is ours, `identifier` is the app admin, `usersig` is a valid, unexpired
 *     tls-sig-api-v2 signature of that identifier made with our secret key (HMAC-SHA256 recomputed
 *     here, independently of the library), `random` a uint32, `contenttype=json`;
 *   - the body: the fields each command requires, the types Tencent requires, that a group or an
 *     account exists (accounts must be imported before they own a group or receive a C2C message);
 *   - a rate limit per command (`rateLimit` calls per second, Tencent's 200 by default);
 *   - a message whose random repeats within 5 minutes (same group, or same receiver) is a duplicate:
 *     answered OK and not delivered, as Tencent does.
 * Every request is recorded in order (`calls`), delivered messages separately (`messages`). Tests
 * can make it fail (`failNext`, `down`) or stall (`stall`: requests are processed but not answered
 * until `release`, as when Tencent got the call and the answer was lost).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateSync } from 'node:zlib';

export interface RecordedImCall {
  command: string;
  body: Record<string, unknown>;
  /** `ok`, `fail` (Tencent answered FAIL), `injected` (a failure the test asked for), `duplicate`. */
  outcome: 'ok' | 'fail' | 'injected' | 'duplicate';
  errorCode: number;
  at: number;
}

export interface DeliveredImMessage {
  kind: 'c2c' | 'group' | 'group-system';
  /** `To_Account` or `GroupId`. */
  to: string;
  random: number;
  /** The parsed JSON of the text element (the server's envelope `{content, type}`). */
  text: unknown;
  /** The raw `Text` string. */
  rawText: string;
}

export interface FakeImGroup {
  groupId: string;
  type: string;
  name: string;
  faceUrl: string;
  owner: string;
}

export interface FakeTencentIm {
  url: string;
  sdkAppId: number;
  secretKey: string;
  admin: string;
  calls: RecordedImCall[];
  messages: DeliveredImMessage[];
  groups: Map<string, FakeImGroup>;
  accounts: Map<string, { nick: string; faceUrl: string; profile: Record<string, unknown> }>;
  /** The next `count` requests (of `command`, or any) answer this failure instead of being processed. */
  failNext(count: number, failure?: { errorCode?: number; httpStatus?: number; command?: string }): void;
  /** While down, every request answers HTTP 502 and is not processed. */
  setDown(down: boolean): void;
  /** While stalled, requests are processed but their answers are held until `release()`. */
  stall(): void;
  release(): void;
  /** Dissolves a group behind the server's back (as an operator in the IM console would). */
  dissolve(groupId: string): void;
  /** Calls of one command, in order. */
  callsOf(command: string): RecordedImCall[];
  close(): Promise<void>;
}

const ADMIN_REQUIRED = 60_018;
const SIG_EXPIRED = 70_001;
const SIG_INVALID = 70_003;
const BAD_REQUEST = 60_002;
const GROUP_GONE = 10_010;
/** Tencent: "the group ID is already in use". */
const GROUP_ID_IN_USE = 10_021;
const INVALID_PARAM = 10_004;
const ACCOUNT_NOT_IMPORTED = 20_003;
/** The group service's rate-limit code; the stand-in answers it for every command over its limit. */
export const RATE_LIMITED = 10_006;
const DUPLICATE_WINDOW_MS = 5 * 60 * 1000;

/** Tencent's base64 variant over a zlib-deflated JSON document. */
function decodeSig(sig: string): Record<string, unknown> {
  try {
    const base64 = sig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
    return JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8'));
  } catch {
    return {};
  }
}

const isUint32 = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

class ImFailure extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeTencentIm(
  options: { sdkAppId?: number; secretKey?: string; admin?: string; rateLimit?: number } = {},
): Promise<FakeTencentIm> {
  const sdkAppId = options.sdkAppId ?? 1_400_123_456;
  const secretKey = options.secretKey ?? randomBytes(32).toString('hex');
  const admin = options.admin ?? 'administrator';
  const rateLimit = options.rateLimit ?? 200;
  const calls: RecordedImCall[] = [];
  const messages: DeliveredImMessage[] = [];
  const groups = new Map<string, FakeImGroup>();
  const accounts = new Map<string, { nick: string; faceUrl: string; profile: Record<string, unknown> }>();
  const recentRandoms = new Map<string, number>();
  const recentByCommand = new Map<string, number[]>();
  let injected: { count: number; errorCode: number; httpStatus: number; command?: string } | null = null;
  let down = false;
  let stalled = false;
  let held: (() => void)[] = [];

  function checkSignature(query: URLSearchParams): void {
    if (query.get('contenttype') !== 'json') throw new ImFailure(BAD_REQUEST, 'contenttype must be json');
    const random = query.get('random') ?? '';
    if (!/^\d{1,10}$/.test(random) || Number(random) > 0xffff_ffff)
      throw new ImFailure(BAD_REQUEST, 'random must be a uint32');
    if (query.get('sdkappid') !== String(sdkAppId)) throw new ImFailure(SIG_INVALID, 'sdkappid mismatch');
    const identifier = query.get('identifier');
    const doc = decodeSig(query.get('usersig') ?? '');
    if (doc['TLS.ver'] !== '2.0') throw new ImFailure(SIG_INVALID, 'usersig is not a v2 sig');
    if (doc['TLS.identifier'] !== identifier || doc['TLS.sdkappid'] !== sdkAppId)
      throw new ImFailure(SIG_INVALID, 'usersig does not match identifier/sdkappid');
    const content =
      `TLS.identifier:${doc['TLS.identifier']}\nTLS.sdkappid:${doc['TLS.sdkappid']}\n` +
      `TLS.time:${doc['TLS.time']}\nTLS.expire:${doc['TLS.expire']}\n`;
    if (createHmac('sha256', secretKey).update(content).digest('base64') !== doc['TLS.sig'])
      throw new ImFailure(SIG_INVALID, 'usersig signature is wrong');
    if ((Number(doc['TLS.time']) + Number(doc['TLS.expire'])) * 1000 <= Date.now())
      throw new ImFailure(SIG_EXPIRED, 'usersig expired');
    if (identifier !== admin) throw new ImFailure(ADMIN_REQUIRED, 'identifier is not the app admin');
  }

  function checkRate(command: string): void {
    const now = Date.now();
    const recent = (recentByCommand.get(command) ?? []).filter((at) => at > now - 1000);
    if (recent.length >= rateLimit) {
      recentByCommand.set(command, recent);
      throw new ImFailure(RATE_LIMITED, 'frequency limit');
    }
    recent.push(now);
    recentByCommand.set(command, recent);
  }

  const requireString = (body: Record<string, unknown>, field: string, maxBytes = 1024): string => {
    const value = body[field];
    if (typeof value !== 'string' || value === '' || utf8Bytes(value) > maxBytes)
      throw new ImFailure(INVALID_PARAM, `${field} must be a non-empty string of at most ${maxBytes} bytes`);
    return value;
  };
  const requireAccount = (account: string) => {
    if (!accounts.has(account)) throw new ImFailure(ACCOUNT_NOT_IMPORTED, `account ${account} not imported`);
  };
  const requireGroup = (groupId: string) => {
    const group = groups.get(groupId);
    if (!group) throw new ImFailure(GROUP_GONE, `group ${groupId} does not exist`);
    return group;
  };

  function textOf(body: Record<string, unknown>): string {
    const msgBody = body.MsgBody;
    if (!Array.isArray(msgBody) || msgBody.length === 0)
      throw new ImFailure(INVALID_PARAM, 'MsgBody missing');
    const [element] = msgBody as unknown[];
    if (!isRecord(element) || element.MsgType !== 'TIMTextElem' || !isRecord(element.MsgContent))
      throw new ImFailure(INVALID_PARAM, 'MsgBody must hold a TIMTextElem');
    const text = element.MsgContent.Text;
    if (typeof text !== 'string') throw new ImFailure(INVALID_PARAM, 'MsgContent.Text must be a string');
    return text;
  }

  /** true when delivered, false when a duplicate within the window. */
  function deliver(kind: DeliveredImMessage['kind'], to: string, random: number, rawText: string): boolean {
    const key = `${kind}:${to}:${random}`;
    const seen = recentRandoms.get(key);
    if (seen !== undefined && seen > Date.now() - DUPLICATE_WINDOW_MS) return false;
    recentRandoms.set(key, Date.now());
    let text: unknown = rawText;
    try {
      text = JSON.parse(rawText);
    } catch {}
    messages.push({ kind, to, random, text, rawText });
    return true;
  }

  /** Runs a command; answers its extra fields, or false for a dropped duplicate. */
  function execute(command: string, body: Record<string, unknown>): Record<string, unknown> | false {
    switch (command) {
      case 'im_open_login_svc/account_import': {
        const identifier = requireString(body, 'Identifier', 32);
        const previous = accounts.get(identifier);
        accounts.set(identifier, {
          nick: typeof body.Nick === 'string' ? body.Nick : (previous?.nick ?? ''),
          faceUrl: typeof body.FaceUrl === 'string' ? body.FaceUrl : (previous?.faceUrl ?? ''),
          profile: previous?.profile ?? {},
        });
        return {};
      }
      case 'profile/portrait_set': {
        const from = requireString(body, 'From_Account', 32);
        requireAccount(from);
        const items = body.ProfileItem;
        if (!Array.isArray(items) || items.length === 0) throw new ImFailure(40_001, 'ProfileItem missing');
        const account = accounts.get(from)!;
        for (const item of items) {
          if (!isRecord(item) || typeof item.Tag !== 'string' || item.Value === undefined)
            throw new ImFailure(40_001, 'ProfileItem needs Tag and Value');
          account.profile[item.Tag] = item.Value;
        }
        return {};
      }
      case 'openim/sendmsg': {
        const to = requireString(body, 'To_Account', 32);
        requireAccount(to);
        if (!isUint32(body.MsgRandom)) throw new ImFailure(INVALID_PARAM, 'MsgRandom must be a uint32');
        if (body.SyncOtherMachine !== undefined && body.SyncOtherMachine !== 1 && body.SyncOtherMachine !== 2)
          throw new ImFailure(INVALID_PARAM, 'SyncOtherMachine must be 1 or 2');
        const text = textOf(body);
        if (!deliver('c2c', to, body.MsgRandom as number, text)) return false;
        return { MsgTime: Math.floor(Date.now() / 1000), MsgKey: randomBytes(8).toString('hex') };
      }
      case 'group_open_http_svc/create_group': {
        const type = requireString(body, 'Type', 16);
        if (!['Private', 'Public', 'ChatRoom', 'AVChatRoom', 'Community', 'Work', 'Meeting'].includes(type))
          throw new ImFailure(INVALID_PARAM, `unknown group type ${type}`);
        const name = requireString(body, 'Name', 30);
        const owner = typeof body.Owner_Account === 'string' ? body.Owner_Account : admin;
        if (owner !== admin) requireAccount(owner);
        // A custom GroupId: at most 48 bytes, never Tencent's own `@TGS#` form, not in use.
        const groupId =
          body.GroupId === undefined
            ? `@TGS#${randomBytes(6).toString('base64url').replace(/[-_]/g, 'A').slice(0, 9)}`
            : requireString(body, 'GroupId', 48);
        if (body.GroupId !== undefined && groupId.startsWith('@TGS#'))
          throw new ImFailure(INVALID_PARAM, 'a custom GroupId may not start with @TGS#');
        if (groups.has(groupId)) throw new ImFailure(GROUP_ID_IN_USE, `group ${groupId} already exists`);
        groups.set(groupId, {
          groupId,
          type,
          name,
          faceUrl: typeof body.FaceUrl === 'string' ? body.FaceUrl : '',
          owner,
        });
        return { GroupId: groupId };
      }
      case 'group_open_http_svc/get_group_info': {
        const list = body.GroupIdList;
        if (!Array.isArray(list) || list.length === 0 || !list.every((id) => typeof id === 'string'))
          throw new ImFailure(INVALID_PARAM, 'GroupIdList must list group ids');
        return {
          GroupInfo: (list as string[]).map((groupId) => {
            const group = groups.get(groupId);
            if (!group) return { GroupId: groupId, ErrorCode: GROUP_GONE, ErrorInfo: 'group not found' };
            return {
              GroupId: groupId,
              ErrorCode: 0,
              ErrorInfo: '',
              Type: group.type,
              Name: group.name,
              FaceUrl: group.faceUrl,
              Owner_Account: group.owner,
            };
          }),
        };
      }
      case 'group_open_http_svc/modify_group_base_info': {
        const group = requireGroup(requireString(body, 'GroupId', 48));
        if (body.Name !== undefined) group.name = requireString(body, 'Name', 30);
        if (body.FaceUrl !== undefined) {
          if (typeof body.FaceUrl !== 'string')
            throw new ImFailure(INVALID_PARAM, 'FaceUrl must be a string');
          group.faceUrl = body.FaceUrl;
        }
        return {};
      }
      case 'group_open_http_svc/send_group_msg': {
        const groupId = requireString(body, 'GroupId', 48);
        requireGroup(groupId);
        if (!isUint32(body.Random)) throw new ImFailure(INVALID_PARAM, 'Random must be a uint32');
        const text = textOf(body);
        if (!deliver('group', groupId, body.Random as number, text)) return false;
        return { MsgTime: Math.floor(Date.now() / 1000), MsgSeq: messages.length };
      }
      case 'group_open_http_svc/send_group_system_notification': {
        const groupId = requireString(body, 'GroupId', 48);
        requireGroup(groupId);
        const content = requireString(body, 'Content', 1024);
        // No Random: Tencent does not dedupe system notifications.
        deliver('group-system', groupId, messages.length, content);
        return {};
      }
      case 'group_open_http_svc/destroy_group': {
        const groupId = requireString(body, 'GroupId', 48);
        requireGroup(groupId);
        groups.delete(groupId);
        return {};
      }
      default:
        throw new ImFailure(BAD_REQUEST, `unknown command ${command}`);
    }
  }

  async function readBody(request: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function answer(response: ServerResponse, status: number, payload: unknown): void {
    const send = () => {
      if (response.destroyed) return;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    if (stalled) held.push(send);
    else send();
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const text = await readBody(request);
    const command = url.pathname.replace(/^\/v4\//, '');
    let body: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(text);
      if (isRecord(parsed)) body = parsed;
    } catch {}
    const record = (outcome: RecordedImCall['outcome'], errorCode: number) =>
      calls.push({ command, body, outcome, errorCode, at: Date.now() });
    if (request.method !== 'POST' || !url.pathname.startsWith('/v4/')) {
      response.writeHead(404).end();
      return;
    }
    if (down) {
      record('injected', -1);
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
      return;
    }
    if (injected && injected.count > 0 && (!injected.command || injected.command === command)) {
      injected.count -= 1;
      record('injected', injected.errorCode);
      if (injected.httpStatus !== 200) {
        response.writeHead(injected.httpStatus).end();
        return;
      }
      answer(response, 200, { ActionStatus: 'FAIL', ErrorCode: injected.errorCode, ErrorInfo: 'injected' });
      return;
    }
    try {
      checkSignature(url.searchParams);
      checkRate(command);
      const result = execute(command, body);
      record(result === false ? 'duplicate' : 'ok', 0);
      answer(response, 200, { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', ...(result || {}) });
    } catch (error) {
      const code = error instanceof ImFailure ? error.errorCode : 90_000;
      record('fail', code);
      answer(response, 200, { ActionStatus: 'FAIL', ErrorCode: code, ErrorInfo: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    sdkAppId,
    secretKey,
    admin,
    calls,
    messages,
    groups,
    accounts,
    failNext(count, failure = {}) {
      injected = {
        count,
        errorCode: failure.errorCode ?? 90_994,
        httpStatus: failure.httpStatus ?? 200,
        ...(failure.command ? { command: failure.command } : {}),
      };
    },
    setDown(value) {
      down = value;
    },
    stall() {
      stalled = true;
    },
    release() {
      stalled = false;
      const pending = held;
      held = [];
      for (const send of pending) send();
    },
    dissolve(groupId) {
      groups.delete(groupId);
    },
    callsOf(command) {
      return calls.filter((call) => call.command === command);
    },
    close() {
      stalled = false;
      held = [];
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The server environment that points a test server at this stand-in (same SDKAppID and key). */
export function imEnv(im: FakeTencentIm, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TENCENT_SDK_APP_ID: String(im.sdkAppId),
    TENCENT_SECRET_KEY: im.secretKey,
    TENCENT_IM_API_BASE: im.url,
    TENCENT_IM_ADMIN: im.admin,
    TENCENT_IM_TIMEOUT_MS: '500',
    TENCENT_IM_MAX_BACKOFF_MS: '300',
    ...extra,
  };
}
