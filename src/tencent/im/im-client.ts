/**
 * Tencent IM server REST API (v4), called as the app admin:
 *
 *   POST <base>/v4/<service>/<command>?sdkappid=&identifier=<admin>&usersig=<admin sig>&random=<uint32>&contenttype=json
 *
 * Tencent answers HTTP 200 with `{ActionStatus: "OK" | "FAIL", ErrorCode, ErrorInfo, ...}`; any
 * other answer, a FAIL, a network error or a timeout throws an `ImError` that says whether
 * trying again later can help. This module only speaks HTTP: queueing, ordering and retries are
 * `im-delivery.ts`'s job.
 */
import { randomInt } from 'node:crypto';
import { createAdminSig } from './admin-sig.js';

/** The commands this server uses (`<service>/<command>` under `/v4/`). */
export const IM_COMMANDS = {
  accountImport: 'im_open_login_svc/account_import',
  portraitSet: 'profile/portrait_set',
  sendC2cMessage: 'openim/sendmsg',
  createGroup: 'group_open_http_svc/create_group',
  getGroupInfo: 'group_open_http_svc/get_group_info',
  modifyGroupBaseInfo: 'group_open_http_svc/modify_group_base_info',
  sendGroupMessage: 'group_open_http_svc/send_group_msg',
  destroyGroup: 'group_open_http_svc/destroy_group',
  sendGroupSystemNotification: 'group_open_http_svc/send_group_system_notification',
} as const;

export type ImCommand = (typeof IM_COMMANDS)[keyof typeof IM_COMMANDS];

export interface ImAnswer {
  ActionStatus: 'OK' | 'FAIL';
  ErrorCode: number;
  ErrorInfo: string;
  [field: string]: unknown;
}

/**
 * IM error codes after which the same request can never succeed (the group or account does not
 * exist, the request is malformed or not allowed). Everything else (rate limits, Tencent's
 * internal errors, timeouts, an expired sig that the next attempt re-signs) is worth retrying.
 */
const PERMANENT_ERROR_CODES = new Set([
  10004, // invalid parameter
  10007, // no permission for this operation
  10010, // group dissolved or never existed
  10015, // invalid group id
  10016, // rejected by a before-send callback
  10017, // the sender is muted
  20001, // invalid request body
  20003, // the receiver's UserID is invalid or not imported
  40001, // invalid profile request
  70107, // the account was never imported
  70169, // the account was never imported (profile)
  70402, // invalid account name
]);

/** Group gone (dissolved or unknown id): `get_group_info` reports it per group. */
export const IM_GROUP_GONE_CODES: ReadonlySet<number> = new Set([10010, 10015]);

export class ImError extends Error {
  override name = 'ImError';
  constructor(
    message: string,
    readonly command: string,
    /** Tencent's ErrorCode, or null for a network/HTTP failure. */
    readonly errorCode: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface ImClientOptions {
  /** e.g. `https://console.tim.qq.com` (Tencent has regional hosts). */
  apiBase: string;
  sdkAppId: number;
  secretKey: string;
  /** The app admin account (TENCENT_IM_ADMIN). */
  admin: string;
  /** A request that has not answered after this long is abandoned (and retried by the queue). */
  timeoutMs?: number;
}

export interface ImClient {
  /** One REST call; resolves with the OK answer, throws ImError otherwise. */
  call(command: ImCommand, body: Record<string, unknown>): Promise<ImAnswer>;
  readonly admin: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function createImClient(options: ImClientOptions): ImClient {
  const base = options.apiBase.replace(/\/+$/, '');
  const sig = createAdminSig(options);
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function call(command: ImCommand, body: Record<string, unknown>): Promise<ImAnswer> {
    const query = new URLSearchParams({
      sdkappid: String(options.sdkAppId),
      identifier: options.admin,
      usersig: sig.current(),
      // A fresh uint32 per request, as Tencent asks (0 … 4294967295).
      random: String(randomInt(0, 2 ** 32)),
      contenttype: 'json',
    });
    let response: Response;
    try {
      response = await fetch(`${base}/v4/${command}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ImError(`IM ${command}: ${(error as Error).message}`, command, null, true);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      throw new ImError(`IM ${command}: HTTP ${response.status}`, command, null, true);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new ImError(`IM ${command}: answer is not JSON`, command, null, true);
    }
    if (!isRecord(answer) || (answer.ActionStatus !== 'OK' && answer.ActionStatus !== 'FAIL')) {
      throw new ImError(`IM ${command}: answer has no ActionStatus`, command, null, true);
    }
    const errorCode = typeof answer.ErrorCode === 'number' ? answer.ErrorCode : -1;
    if (answer.ActionStatus !== 'OK' || errorCode !== 0) {
      throw new ImError(
        `IM ${command}: ${errorCode} ${String(answer.ErrorInfo ?? '')}`,
        command,
        errorCode,
        !PERMANENT_ERROR_CODES.has(errorCode),
      );
    }
    return answer as ImAnswer;
  }

  return { call, admin: options.admin };
}
