import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.js';
import {
  asText,
  type Field,
  HOSTILE_CLASSES,
  type HostileClass,
  isHostileIn,
  isNumeric,
  isRaw,
  jsonText,
  MAX_PARAM_LENGTH,
  queryText,
  type Route,
  routesOf,
  urlText,
  validValue,
} from './hostile-inputs.js';

/**
 * Hostile input against every documented endpoint, found from the OpenAPI document the routes'
 * own schemas produce (app.swagger()), so a new endpoint or field is fuzzed without editing this
 * file. Requests go through app.inject (no network), in batches. Never a 5xx (the test server's
 * close() also fails on any), always the envelope of the API the path belongs to, no user's balance
 * moves except by the operator grants the admin API answered 201 for, and nothing reaches
 * Object.prototype.
 */
let server: TestServer;
type Who = 'guest' | 'anchor' | 'matchmaker';
const users = {} as Record<Who | 'victim', { userId: number; token: string }>;
/** Callers of the random test: they hold nothing, so whatever they send, no balance may move. */
const attackers = {} as Record<Who, { userId: number; token: string }>;
let routes: Route[] = [];
let cases = 0;
/** How many answers of each status, for the summary line. */
const statuses = new Map<number, number>();

beforeAll(async () => {
  server = await startTestServer('fuzz', {
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_ORDERS_PER_MINUTE: '1000000',
  });
  // The callers hold money, so a hostile number slipping through would move some. A valid field
  // names the victim (user ids start at 10000001), which names no gift, call or order: only the
  // hostile value itself could make a request pay.
  users.guest = await server.createUser({ role: 'guest', gender: 1, diamond: 500, gold: 500 });
  users.anchor = await server.createUser({ role: 'anchor', gender: 2, point: 500, gold: 500 });
  users.matchmaker = await server.createUser({ role: 'matchmaker', gender: 2, gold: 500 });
  users.victim = await server.createUser({ role: 'anchor', gender: 2, diamond: 500, point: 500, gold: 500 });
  for (const role of ['guest', 'anchor', 'matchmaker'] as const)
    attackers[role] = await server.createUser({ role, gender: role === 'guest' ? 1 : 2 });
  // A live room, so QLive's room routes have one to act on.
  const opened = await inject({
    method: 'POST',
    url: '/wx/api/qlive/qlive_room/matchmaker_enter/',
    headers: { authorization: `QLiveToken ${users.matchmaker.token}`, 'content-type': 'application/json' },
    payload: '{}',
  });
  expect(opened.json()).toMatchObject({ status: 'ok' });
  routes = routesOf(server.app.swagger() as Parameters<typeof routesOf>[0]);
});
afterAll(async () => {
  const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
  console.log(`fuzz: ${cases} requests over ${routes.length} endpoints (${byStatus.join(' ')})`);
  await server?.close();
});

async function inject(options: InjectOptions): Promise<LightMyRequestResponse> {
  cases++;
  const response = (await server.app.inject(options)) as LightMyRequestResponse;
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  return response;
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width)
    await Promise.all(items.slice(start, start + width).map(work));
}

type Family = 'paid-call' | 'roomservice' | 'qlive' | 'admin' | 'public';

function familyOf(path: string): Family {
  if (path.startsWith('/app/')) return 'paid-call';
  if (path.startsWith('/weapp/')) return 'roomservice';
  if (path.startsWith('/wx/api/qlive/')) return 'qlive';
  if (path.startsWith('/admin/api/')) return 'admin';
  return 'public';
}

/** The callers of a family: each role its routes take (so role-only routes are reached), with its token. */
function callersOf(family: Family): (Who | 'admin' | null)[] {
  switch (family) {
    case 'paid-call':
    case 'roomservice':
      return ['guest', 'anchor'];
    case 'qlive':
      return ['guest', 'matchmaker'];
    case 'admin':
      return ['admin'];
    default:
      return [null];
  }
}

/** The APIs whose clients may send a form body (spec: paid-call wire rules; Tencent's RoomService). */
const takesForms = (route: Route) => ['paid-call', 'roomservice'].includes(familyOf(route.path));

interface Case {
  route: Route;
  /** The field that carries the hostile value, or null: the whole body is the hostile value. */
  field: Field | null;
  hostile: HostileClass;
  caller: Who | 'admin' | null;
  /** The body as a form (`application/x-www-form-urlencoded`), which the paid-call apps and RoomService send too. */
  form?: boolean;
}

/** The request of a case: required fields valid, the field under test hostile, the caller's token where its API reads it. */
function requestOf({ route, field, hostile, caller, form }: Case): InjectOptions {
  const family = familyOf(route.path);
  const parts = { body: {}, query: {}, params: {} } as Record<Field['location'], Record<string, unknown>>;
  for (const candidate of route.fields) {
    if (candidate === field) parts[candidate.location][candidate.name] = hostile.value;
    else if (candidate.required)
      parts[candidate.location][candidate.name] = validValue(candidate.schema, users.victim.userId);
  }
  const headers: Record<string, string> = {};
  const token = caller && caller !== 'admin' ? users[caller].token : undefined;
  const unlessFuzzed = (location: Field['location'], name: string) =>
    !(field?.location === location && field.name === name);
  if (token && (family === 'paid-call' || family === 'roomservice')) {
    // Both APIs read the token from the body or the query: both carry it unless it is the field under test.
    if (unlessFuzzed('query', 'token')) parts.query.token = token;
    if (unlessFuzzed('body', 'token') && family === 'paid-call') parts.body.token = token;
  }
  if (token && family === 'qlive') headers.authorization = `QLiveToken ${token}`;
  if (caller === 'admin') headers.authorization = `Bearer ${server.adminToken}`;

  const path = route.path.replace(/:(\w+)/g, (_match, name: string) =>
    urlText(asText(parts.params[name] ?? validValue({ type: 'string' }, users.victim.userId))),
  );
  const query = queryText(parts.query);
  const url = query ? `${path}?${query}` : path;
  if (route.method === 'GET') return { method: 'GET', url, headers };
  const method = route.method as InjectOptions['method'];
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { method, url, headers, payload: queryText(parts.body) };
  }
  headers['content-type'] = 'application/json';
  const payload =
    field === null
      ? isRaw(hostile.value)
        ? hostile.value.raw
        : JSON.stringify(hostile.value)
      : jsonText(parts.body);
  return { method, url, headers, payload };
}

/** Each API's failure envelope (paid-call `{code, message}`, QLive `{detail}`, admin `{error, message}`, RoomService codes). */
function envelopeProblem(path: string, status: number, body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'a non-JSON body';
  if (status < 400) return null;
  const answer = body as Record<string, unknown>;
  switch (familyOf(path)) {
    case 'qlive':
      return typeof answer.detail === 'string' ? null : 'no detail';
    case 'admin':
      return typeof answer.message === 'string' ? null : 'no message';
    case 'roomservice':
      // RoomService answers its own codes (tencent-roomservice.md §2), anything else the paid-call way.
      return [1, 2, 3, 4, 5, 6, 7, 11, 5001, status].includes(answer.code as number) ? null : 'no code';
    default:
      return answer.code === status && typeof answer.message === 'string' ? null : 'no {code, message}';
  }
}

interface Balances {
  /** `<user>:<currency>` → balance, for every user account not at 0. */
  accounts: Map<string, number>;
  transactions: number;
}

async function balances(): Promise<Balances> {
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const rows = await db.query<{ user_id: string; currency: string; balance: string }>(
      'select user_id, currency, balance from accounts where user_id is not null and balance <> 0',
    );
    const [counted] = (await db.query<{ total: string }>('select count(*) as total from ledger_transactions'))
      .rows;
    return {
      accounts: new Map(rows.rows.map((row) => [`${row.user_id}:${row.currency}`, Number(row.balance)])),
      transactions: Number(counted?.total ?? 0),
    };
  } finally {
    await db.end();
  }
}

const parsed = (response: LightMyRequestResponse): unknown => {
  try {
    return JSON.parse(response.body);
  } catch {
    return response.body;
  }
};

describe('hostile input', () => {
  it('every field of every route gets every hostile class in its location, with each role’s token: never a 5xx, a 400 for any non-decimal number, no money moved, nothing polluted', async () => {
    const before = await balances();
    const plan: Case[] = [];
    for (const route of routes) {
      for (const caller of callersOf(familyOf(route.path))) {
        for (const hostile of HOSTILE_CLASSES) {
          for (const field of route.fields) {
            if (isHostileIn(field.location, hostile)) plan.push({ route, field, hostile, caller });
            if (field.location === 'body' && takesForms(route) && isHostileIn('query', hostile))
              plan.push({ route, field, hostile, caller, form: true });
          }
          if (route.method !== 'GET') plan.push({ route, field: null, hostile, caller });
        }
      }
    }
    const problems: string[] = [];
    const granted: { userId: number; currency: string; amount: number }[] = [];
    await inBatches(plan, 24, async (one) => {
      const response = await inject(requestOf(one));
      const where = `${one.route.method} ${one.route.path} ${one.field ? `${one.form ? 'form' : one.field.location}.${one.field.name}` : 'body'} = ${one.hostile.name} as ${one.caller ?? 'nobody'}`;
      const body = parsed(response);
      if (response.statusCode >= 500) {
        problems.push(`${where}: ${response.statusCode} ${response.body.slice(0, 200)}`);
        return;
      }
      const envelope = envelopeProblem(one.route.path, response.statusCode, body);
      if (envelope) problems.push(`${where}: ${response.statusCode} ${envelope}`);
      // A number that is not a decimal integer is a 400 (a path parameter too long for the router: a 414).
      const refusal =
        one.field?.location === 'params' && urlText(asText(one.hostile.value)).length > MAX_PARAM_LENGTH
          ? 414
          : 400;
      if (one.field && isNumeric(one.field.schema) && response.statusCode !== refusal)
        problems.push(
          `${where}: a number field took it (${response.statusCode} ${response.body.slice(0, 120)})`,
        );
      if (response.statusCode === 201 && one.route.path === '/admin/api/users/:id/grants')
        granted.push(body as { userId: number; currency: string; amount: number });
    });
    expect(problems).toEqual([]);

    // The only money that may move is what an operator granted (and the admin API said so).
    const after = await balances();
    const expected = new Map(before.accounts);
    for (const grant of granted) {
      const key = `${grant.userId}:${grant.currency}`;
      expected.set(key, (expected.get(key) ?? 0) + grant.amount);
    }
    expect(Object.fromEntries(after.accounts)).toEqual(Object.fromEntries(expected));
    expect(after.transactions).toBe(before.transactions + granted.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 300_000);

  it('random combinations of hostile fields against random routes never get a 5xx or move money', async () => {
    const before = await balances();
    const hostileValue = fc.oneof(
      fc.integer(),
      fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, 0.5),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('', ' ', '🇨🇳', '../../etc/passwd', "' or 1=1 --", '<script>', 'x'.repeat(5000)),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
      fc.constantFrom(...HOSTILE_CLASSES.map((hostile) => hostile.value).filter((value) => !isRaw(value))),
    );
    const names = [...new Set(routes.flatMap((route) => route.fields.map((field) => field.name)))];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.dictionary(fc.constantFrom(...names), fc.oneof(hostileValue, fc.constant(users.victim.userId)), {
          maxKeys: 5,
        }),
        fc.constantFrom<Who | 'none' | 'garbage'>('guest', 'anchor', 'matchmaker', 'none', 'garbage'),
        async (pick, fields, who) => {
          const route = routes[pick % routes.length]!;
          const path = route.path.replace(/:(\w+)/g, () => String(users.victim.userId));
          const token =
            who === 'none' ? undefined : who === 'garbage' ? 'x'.repeat(40) : attackers[who as Who].token;
          const headers: Record<string, string> = {};
          if (path.startsWith('/wx/api/qlive') && token) headers.authorization = `QLiveToken ${token}`;
          if (path.startsWith('/admin/api')) headers.authorization = 'Bearer not-the-admin-token';
          const body = path.startsWith('/app') || path.startsWith('/weapp') ? { ...fields, token } : fields;
          const response =
            route.method === 'GET'
              ? await inject({ method: 'GET', url: `${path}?${queryText(fields)}`, headers })
              : await inject({
                  method: route.method as InjectOptions['method'],
                  url: path,
                  headers: { ...headers, 'content-type': 'application/json' },
                  payload: JSON.stringify(body),
                });
          const where = `${route.method} ${path} ${JSON.stringify(body).slice(0, 300)}`;
          expect(response.statusCode, where).toBeLessThan(500);
          expect(envelopeProblem(path, response.statusCode, parsed(response)), where).toBeNull();
        },
      ),
      { numRuns: 600 },
    );
    expect(await balances()).toEqual(before);
  }, 120_000);

  it('answers a raw garbage body on every POST endpoint with a 4xx envelope', async () => {
    const posts = routes.filter((route) => route.method === 'POST');
    const bodies = [
      ['application/json', '{"token": '],
      ['application/json', '[1,2,3]'],
      ['application/x-www-form-urlencoded', 'token=%zz&&=='],
      ['text/plain', 'hello'],
    ] as const;
    await inBatches(
      posts.flatMap((route) => bodies.map((body) => ({ route, body }))),
      24,
      async ({ route, body: [contentType, raw] }) => {
        const path = route.path.replace(/:(\w+)/g, '1');
        const response = await inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': contentType },
          payload: raw,
        });
        const where = `${path} ${contentType} ${raw}`;
        expect(response.statusCode, where).toBeLessThan(500);
        if (response.statusCode >= 400 && response.body)
          expect(envelopeProblem(path, response.statusCode, parsed(response)), where).toBeNull();
      },
    );
  }, 60_000);
});
