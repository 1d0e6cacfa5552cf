import type { Socket } from 'socket.io-client';
import {
  type BenchUser,
  createUsers,
  type Distribution,
  distribution,
  openSockets,
  post,
} from './scenarios.js';

const qlive = (token: string) => ({ authorization: `QLiveToken ${token}` });

/**
 * Push fan-out to a QLive room: `audience.length` members with a socket each sit in one room; a gift
 * is sent over HTTP and every socket's `room:gift` arrival is timed from the send. Repeated `gifts`
 * times; answers the distribution over all deliveries and the median of each gift's p99.
 */
export async function roomFanout(options: {
  baseUrl: string;
  adminToken: string;
  audience: BenchUser[];
  gifts: number;
}): Promise<{ sockets: number; deliveries: Distribution; medianP99Ms: number; missed: number }> {
  const { baseUrl, adminToken, audience } = options;
  const admin = { authorization: `Bearer ${adminToken}` };
  const [matchmaker] = await createUsers(baseUrl, adminToken, 1, { role: 'matchmaker', nickname: 'bench' });
  const [sender] = await createUsers(baseUrl, adminToken, 1, { role: 'guest', gold: 1_000_000 });
  const gift = (await post(baseUrl, '/admin/api/gifts', { name: 'bench', imgUrl: '', cost: 1 }, admin)).body
    .giftId;
  const opened = await fetch(`${baseUrl}/wx/api/qlive/qlive_room/matchmaker_enter/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...qlive(matchmaker!.token) },
    body: '{}',
  });
  const liveId = ((await opened.json()) as { live_id: string | number }).live_id;

  const sockets: Socket[] = await openSockets(baseUrl, [...audience, sender!]);
  for (let i = 0; i < audience.length + 1; i += 50) {
    await Promise.all(
      [...audience, sender!].slice(i, i + 50).map((user) =>
        fetch(`${baseUrl}/wx/api/qlive/get_playurl/?live_id=${liveId}`, {
          headers: qlive(user.token),
        }).then((r) => r.text()),
      ),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 500));

  const all: number[] = [];
  const p99s: number[] = [];
  let missed = 0;
  const listening = sockets.slice(0, audience.length);
  for (let round = 0; round < options.gifts; round++) {
    const arrivals: number[] = [];
    let sentAt = 0;
    const done = Promise.all(
      listening.map(
        (socket) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              missed++;
              socket.off('room:gift', onGift);
              resolve();
            }, 5_000);
            const onGift = () => {
              arrivals.push(performance.now() - sentAt);
              clearTimeout(timer);
              socket.off('room:gift', onGift);
              resolve();
            };
            socket.on('room:gift', onGift);
          }),
      ),
    );
    sentAt = performance.now();
    await fetch(
      `${baseUrl}/wx/api/qlive/qlive_gift/push_gift/?user_id=${matchmaker!.userId}&gift_id=${gift}&num=1`,
      { headers: qlive(sender!.token) },
    );
    await done;
    all.push(...arrivals);
    p99s.push(distribution(arrivals).p99Ms);
  }
  for (const socket of sockets) socket.disconnect();
  p99s.sort((a, b) => a - b);
  return {
    sockets: listening.length,
    deliveries: distribution(all),
    medianP99Ms: p99s[Math.floor(p99s.length / 2)] ?? Number.NaN,
    missed,
  };
}
