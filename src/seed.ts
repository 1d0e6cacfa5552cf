/**
 * `npm run seed`: a demo set on the running server — an anchor, two guests, a matchmaker, gifts, and
 * (while WeChat runs on development credentials) a QLive guest signed up through the development
 * WeChat — then prints every token, every balance and the admin token. Idempotent: what it made is
 * recorded in DATA_DIR/seed.json and found again on the next run (a user or gift that is gone is made
 * anew), so running it twice makes nothing twice. Going through HTTP keeps it safe with embedded
 * PGlite, which only one process may open.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { adminTokenFile } from './admin/admin-token.js';
import { ConfigError, loadConfig } from './config/index.js';
import { encryptDevelopmentProfile } from './wechat/development.js';

interface SeedState {
  users: Record<string, { userId: number; token: string }>;
  gifts: Record<string, number>;
}

const PEOPLE = [
  {
    label: 'anchor',
    body: { role: 'anchor', nickname: 'Xiaomei', age: 24, gender: 2, unitPrice: 30, point: 0 },
  },
  { label: 'guest 1', body: { role: 'guest', nickname: 'Dawei', age: 31, gender: 1, diamond: 1000 } },
  { label: 'guest 2', body: { role: 'guest', nickname: 'Jun', age: 28, gender: 1, diamond: 200, gold: 500 } },
  { label: 'matchmaker', body: { role: 'matchmaker', nickname: 'Auntie Wang', age: 50, gender: 2 } },
] as const;

const GIFTS = [
  { name: 'Rose', imgUrl: 'https://img.example.com/gifts/rose.png', cost: 10, effect: 'petals' },
  { name: 'Heart', imgUrl: 'https://img.example.com/gifts/heart.png', cost: 50, effect: 'hearts' },
  { name: 'Sports car', imgUrl: 'https://img.example.com/gifts/car.png', cost: 1000, effect: 'car' },
];

/** The QLive guest the development WeChat signs up (login code `dev:seed_qlive_guest`). */
const QLIVE_OPENID = 'seed_qlive_guest';

async function main(): Promise<void> {
  const config = loadConfig();
  const baseUrl =
    process.env.SEED_URL ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const adminToken =
    config.adminToken ?? (await readFile(adminTokenFile(config.dataDir), 'utf8').catch(() => '')).trim();
  if (!adminToken) {
    throw new Error(
      `No ADMIN_TOKEN set and none generated yet in ${config.dataDir}: start the server first (npm start).`,
    );
  }
  const stateFile = path.join(config.dataDir, 'seed.json');
  const state: SeedState = await readFile(stateFile, 'utf8').then(
    (text) => JSON.parse(text) as SeedState,
    () => ({ users: {}, gifts: {} }),
  );

  const call = async (
    method: string,
    urlPath: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${urlPath}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new Error(
        `The server does not answer at ${baseUrl}: start it first (npm start) or set SEED_URL.`,
      );
    }
    const text = await response.text();
    let answer: Record<string, unknown> = {};
    try {
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {}
    return { status: response.status, body: answer };
  };
  const admin = { authorization: `Bearer ${adminToken}` };
  const adminCall = async (method: string, urlPath: string, body?: unknown) => {
    const answer = await call(method, urlPath, body, admin);
    if (answer.status >= 300)
      throw new Error(`${method} ${urlPath} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  /** The recorded user if he still exists with that role and his token still works. */
  const stillThere = async (
    label: string,
    role: string,
  ): Promise<{ userId: number; token: string } | undefined> => {
    const recorded = state.users[label];
    if (!recorded) return undefined;
    const user = await call('GET', `/admin/api/users/${recorded.userId}`, undefined, admin);
    if (user.status !== 200 || (user.body.profile as { role?: string } | undefined)?.role !== role)
      return undefined;
    const tokenWorks =
      role === 'matchmaker'
        ? (await call('GET', '/wx/api/qlive/qlive_user/get_userinfo/', undefined, qliveAuth(recorded.token)))
            .status === 200
        : (await call('POST', '/app/user/getCurrentUserInfo', { token: recorded.token })).body.code === 0;
    return tokenWorks ? recorded : undefined;
  };
  const balancesOf = async (userId: number) => {
    const user = await adminCall('GET', `/admin/api/users/${userId}`);
    const balances = (user.balances ?? {}) as Record<string, number>;
    return Object.entries(balances)
      .map(([currency, amount]) => `${currency}=${amount}`)
      .join(' ');
  };

  console.log(`Seeding ${baseUrl} (records in ${stateFile})`);
  console.log(`admin       token=${adminToken}`);
  for (const person of PEOPLE) {
    let user = await stillThere(person.label, person.body.role);
    const made = !user;
    if (!user) {
      const created = await adminCall('POST', '/admin/api/users', person.body);
      user = { userId: Number(created.userId), token: String(created.token) };
      state.users[person.label] = user;
    }
    console.log(
      `${person.label.padEnd(11)} userId=${user.userId} token=${user.token} ${await balancesOf(user.userId)}${made ? '' : ' (existing)'}`,
    );
  }

  const someGuest = state.users['guest 1'];
  const listed = someGuest
    ? ((await call('POST', '/app/live/getGiftList', { token: someGuest.token })).body.itemList as
        | { giftId: number }[]
        | undefined)
    : undefined;
  const existingGiftIds = new Set((listed ?? []).map((gift) => gift.giftId));
  for (const gift of GIFTS) {
    let giftId = state.gifts[gift.name];
    const made = giftId === undefined || !existingGiftIds.has(giftId);
    if (made) {
      giftId = Number((await adminCall('POST', '/admin/api/gifts', gift)).giftId);
      state.gifts[gift.name] = giftId;
    }
    console.log(`gift        giftId=${giftId} ${gift.name} (${gift.cost})${made ? '' : ' (existing)'}`);
  }
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);

  const exports = [
    `ANCHOR=${state.users.anchor?.token} ANCHOR_ID=${state.users.anchor?.userId}`,
    `GUEST=${state.users['guest 1']?.token} GUEST_ID=${state.users['guest 1']?.userId}`,
    `MATCHMAKER=${state.users.matchmaker?.token}`,
  ];
  const printExports = () => console.log(`export BASE=${baseUrl} ${exports.join(' ')}`);
  if (!config.wechat.development) {
    console.log('qlive guest skipped: WeChat runs on real credentials (sign in from the mini-program)');
    printExports();
    return;
  }
  const { appId, appSecret } = config.wechat;
  const code = `dev:${QLIVE_OPENID}`;
  let login = await call('POST', '/wx/api/qlive/qlive_user/login/', { appId, code });
  if (login.status !== 200) {
    console.log(`qlive guest skipped: login answered ${login.status}: ${JSON.stringify(login.body)}`);
    printExports();
    return;
  }
  if (login.body.status === 1) {
    const profile = { nickName: 'Xiao Li', gender: 1 as const, city: 'Shanghai' };
    login = await call('POST', '/wx/api/qlive/qlive_user/', {
      appId,
      code,
      ...encryptDevelopmentProfile({ appId, appSecret, openid: QLIVE_OPENID, profile }),
    });
  }
  const userId = Number(login.body.user_id);
  console.log(
    `qlive guest userId=${userId} token=${String(login.body.token)} ${await balancesOf(userId)} (WeChat login code ${code})`,
  );
  exports.push(`QGUEST=${String(login.body.token)} QGUEST_ID=${userId}`);
  // For the README's example session: eval "$(npm run -s seed | grep '^export ')".
  printExports();
}

function qliveAuth(token: string): Record<string, string> {
  return { authorization: `QLiveToken ${token}` };
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : `seed failed: ${(error as Error).message}`);
  process.exit(1);
});
