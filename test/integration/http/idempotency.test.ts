import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badRequest } from '../../../src/errors.js';
import { describeError } from '../../../src/http/describe-error.js';
import { idempotency } from '../../../src/http/idempotency.js';
import { deleteKeysWithPrefix } from '../../helpers/redis.js';
import { TEST_REDIS_URL, uniqueName } from '../../helpers/services.js';

const prefix = `${uniqueName('idempotency')}:`;
const redis = new Redis(TEST_REDIS_URL);
let app: FastifyInstance;
let transfers = 0;

beforeAll(async () => {
  app = Fastify();
  app.decorateRequest('user', null);
  await app.register(idempotency, { redis, prefix });
  app.setErrorHandler((error, _request, reply) => {
    const described = describeError(error);
    return reply.status(described.status).send({ code: described.status, message: described.message });
  });
  app.post<{ Body: { amount: number } }>('/transfer', { config: { idempotent: true } }, async (request) => {
    if (request.body.amount <= 0) throw badRequest('amount must be positive', 'amount');
    transfers += 1;
    return { code: 0, message: 'success', transfer: transfers, amount: request.body.amount };
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await deleteKeysWithPrefix(prefix);
  redis.disconnect();
});

const transfer = (amount: number, key?: string) =>
  app.inject({
    method: 'POST',
    url: '/transfer',
    payload: { amount },
    headers: key === undefined ? {} : { 'idempotency-key': key },
  });

describe('Idempotency-Key', () => {
  it('replays the first answer to a retry with the same key, without doing it again', async () => {
    const first = await transfer(10, 'key-1');
    const retry = await transfer(10, 'key-1');
    expect(first.json()).toMatchObject({ code: 0, transfer: 1 });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(transfers).toBe(1);
  });

  it('answers 409 when the key is reused with other parameters', async () => {
    await transfer(10, 'key-2');
    const reused = await transfer(99, 'key-2');
    expect(reused.statusCode).toBe(409);
    expect(reused.json().message).toMatch(/other parameters/);
  });

  it('replays a 4xx answer too, and works as usual without a key', async () => {
    const bad = await transfer(-1, 'key-3');
    const again = await transfer(-1, 'key-3');
    expect([bad.statusCode, again.statusCode]).toEqual([400, 400]);
    const before = transfers;
    await transfer(5);
    await transfer(5);
    expect(transfers).toBe(before + 2);
  });

  it('runs concurrent duplicates once: the others see 409 in progress or the replay', async () => {
    const before = transfers;
    const answers = await Promise.all(Array.from({ length: 5 }, () => transfer(7, 'key-4')));
    expect(transfers).toBe(before + 1);
    for (const answer of answers) expect([200, 409]).toContain(answer.statusCode);
  });

  it('rejects a malformed key with 400', async () => {
    const response = await transfer(1, 'x'.repeat(200));
    expect(response.statusCode).toBe(400);
  });
});
