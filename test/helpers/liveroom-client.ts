/**
 * A RoomService client that speaks exactly as Tencent's `liveroom.js` / `rtcroom.js` do: every
 * command is `POST <serverDomain><command>?userID=<id>&token=<token>` (login: its own query, no
 * token) with a JSON body, and only the answer's `code` decides success.
 */
import { createRequire } from 'node:module';
import type { TestServer } from './app.js';

const { Api } = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(userId: string, expire: number): string };
};

export interface RoomServiceAnswer {
  status: number;
  code: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are asserted as arbitrary JSON
  body: any;
}

/** A userSig as the app's backend signs one for the mini-program (tls-sig-api-v2). */
export function userSigFor(server: TestServer, userId: string, expireSeconds = 3600): string {
  const { sdkAppId, secretKey } = server.context.config.tencent;
  return new Api(sdkAppId, secretKey).genUserSig(userId, expireSeconds);
}

export class LiveRoomClient {
  token = '';

  constructor(
    private readonly server: TestServer,
    public userID: string,
    private readonly serverDomain = '/weapp/live_room/',
  ) {}

  async raw(command: string, body: Record<string, unknown>, query: string): Promise<RoomServiceAnswer> {
    const response = await fetch(`${this.server.url}${this.serverDomain}${command}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as { code: number };
    return { status: response.status, code: parsed.code, body: parsed };
  }

  /** A command after login, with the client's userID and token in the query. */
  request(command: string, body: Record<string, unknown> = {}): Promise<RoomServiceAnswer> {
    const query = new URLSearchParams({ userID: this.userID, token: this.token }).toString();
    return this.raw(command, body, query);
  }

  async login(userSig = userSigFor(this.server, this.userID)): Promise<RoomServiceAnswer> {
    const { sdkAppId } = this.server.context.config.tencent;
    const query = new URLSearchParams({
      accountType: 'undefined',
      sdkAppID: String(sdkAppId),
      userSig,
      userID: this.userID,
    }).toString();
    const answer = await this.raw('login', {}, query);
    if (answer.code === 0) {
      this.userID = answer.body.userID;
      this.token = answer.body.token;
    }
    return answer;
  }
}
