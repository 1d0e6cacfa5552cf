import { createRequire } from 'node:module';
import { type LoadResult, runHttpLoad } from './load.js';
import { post } from './scenarios.js';

const { Api } = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(userId: string, expire: number): string };
};

interface Pusher {
  userID: string;
  token: string;
  roomID: string;
}

/**
 * RoomService rooms with one pusher each, opened as liveroom.js opens them (login with a userSig,
 * get_push_url, create_room, add_pusher); the pushers then beat as fast as `connections` keep-alive
 * connections allow. Each beat is `pusher_heartbeat?userID&token` with `{roomID, userID}`; only an
 * answer with code 0 counts as a beat.
 */
export async function pusherHeartbeats(options: {
  baseUrl: string;
  sdkAppId: number;
  secretKey: string;
  rooms: number;
  connections: number;
  durationMs: number;
}): Promise<LoadResult & { pushers: number }> {
  const { baseUrl, sdkAppId, secretKey } = options;
  const signer = new Api(sdkAppId, secretKey);
  const command = (name: string, query: Record<string, string>, body: Record<string, unknown>) =>
    post(baseUrl, `/weapp/live_room/${name}?${new URLSearchParams(query)}`, body);
  const pushers: Pusher[] = [];
  for (let i = 0; i < options.rooms; i += 25) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(25, options.rooms - i) }, async (_, j) => {
        const wanted = `bench_pusher_${process.pid}_${i + j}`;
        const login = await command(
          'login',
          {
            accountType: 'undefined',
            sdkAppID: String(sdkAppId),
            userSig: signer.genUserSig(wanted, 3600),
            userID: wanted,
          },
          {},
        );
        if (login.body.code !== 0) throw new Error(`login: ${JSON.stringify(login.body)}`);
        const auth = { userID: login.body.userID as string, token: login.body.token as string };
        const push = await command('get_push_url', auth, { userID: auth.userID });
        const created = await command('create_room', auth, { userID: auth.userID, roomInfo: 'bench' });
        const roomID = created.body.roomID as string;
        const added = await command('add_pusher', auth, {
          roomID,
          userID: auth.userID,
          userName: 'bench',
          userAvatar: 'https://example.com/bench.png',
          pushURL: push.body.pushURL,
        });
        if (added.body.code !== 0)
          throw new Error(
            `add_pusher: ${JSON.stringify(added.body)} after ${JSON.stringify([push.body, created.body])}`,
          );
        return { ...auth, roomID };
      }),
    );
    pushers.push(...opened);
  }
  const load = await runHttpLoad({
    url: `${baseUrl}/weapp/live_room/pusher_heartbeat`,
    method: 'POST',
    path: (i) => {
      const pusher = pushers[i % pushers.length]!;
      return `/weapp/live_room/pusher_heartbeat?${new URLSearchParams({ userID: pusher.userID, token: pusher.token })}`;
    },
    body: (i) => {
      const pusher = pushers[i % pushers.length]!;
      return { roomID: pusher.roomID, userID: pusher.userID };
    },
    accept: (answer) => answer.includes('"code":0'),
    connections: options.connections,
    durationMs: options.durationMs,
  });
  return { ...load, pushers: pushers.length };
}
