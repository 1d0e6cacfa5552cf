import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionFromUrl, type RuntimeLogger } from '../../../src/runtime/index.js';
import { createImClient, IM_COMMANDS, ImError } from '../../../src/tencent/im/im-client.js';
import { createImDelivery, type ImDelivery, stableRandomOf } from '../../../src/tencent/im/im-delivery.js';
import { type FakeTencentIm, RATE_LIMITED, startFakeTencentIm } from '../../helpers/fake-tencent-im.js';
import { deleteKeysWithPrefix } from '../../helpers/redis.js';
import { TEST_REDIS_URL, uniqueName } from '../../helpers/services.js';

const prefix = `${uniqueName('im-delivery')}:`;
let im: FakeTencentIm;
let redis: Redis;
const deliveries: ImDelivery[] = [];
const logs: { level: string; msg?: string | undefined }[] = [];
const logger: RuntimeLogger = {
  debug: () => {},
  info: (_obj, msg) => logs.push({ level: 'info', msg }),
  warn: (_obj, msg) => logs.push({ level: 'warn', msg }),
  error: (_obj, msg) => logs.push({ level: 'error', msg }),
};

function clientFor(overrides: { secretKey?: string; admin?: string } = {}) {
  return createImClient({
    apiBase: im.url,
    sdkAppId: im.sdkAppId,
    secretKey: overrides.secretKey ?? im.secretKey,
    admin: overrides.admin ?? im.admin,
    // Long enough for a loaded CI machine; the stall tests wait it out once or twice.
    timeoutMs: 1_500,
  });
}

function startDelivery(options: { ratePerSecond?: number; metrics?: Registry } = {}): ImDelivery {
  const delivery = createImDelivery({
    client: clientFor(),
    redis,
    prefix,
    bullPrefix: prefix.slice(0, -1),
    connection: connectionFromUrl(TEST_REDIS_URL),
    logger,
    maxBackoffMs: 200,
    waitPollMs: 100,
    ...options,
  });
  deliveries.push(delivery);
  delivery.start();
  return delivery;
}

const text = (type: string, content: unknown) => JSON.stringify({ content, type });
const groupMessage = (groupId: string, body: string) => ({
  GroupId: groupId,
  MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: body } }],
});

async function eventually<T>(check: () => T | Promise<T>, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    try {
      return await check();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`never happened: ${what}`);
}

async function newGroup(): Promise<string> {
  await clientFor().call(IM_COMMANDS.accountImport, { Identifier: '10000001', Nick: 'host' });
  const answer = await clientFor().call(IM_COMMANDS.createGroup, {
    Owner_Account: '10000001',
    Type: 'AVChatRoom',
    Name: 'room',
  });
  return answer.GroupId as string;
}

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
});

afterEach(async () => {
  await Promise.all(deliveries.splice(0).map((delivery) => delivery.close()));
  await im?.close();
});

afterAll(async () => {
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

describe('IM REST client', () => {
  it('signs every call as the IM admin, which the IM API accepts', async () => {
    im = await startFakeTencentIm();
    const answer = await clientFor().call(IM_COMMANDS.accountImport, { Identifier: '10000001' });
    expect(answer).toMatchObject({ ActionStatus: 'OK', ErrorCode: 0 });
    expect(im.accounts.has('10000001')).toBe(true);
  });

  it('reports a FAIL answer as an ImError with Tencent’s code', async () => {
    im = await startFakeTencentIm();
    const wrongKey = clientFor({ secretKey: 'not-the-key' });
    await expect(wrongKey.call(IM_COMMANDS.accountImport, { Identifier: '1' })).rejects.toMatchObject({
      errorCode: 70_003,
    });
    const notAdmin = clientFor({ admin: 'someone' });
    await expect(notAdmin.call(IM_COMMANDS.accountImport, { Identifier: '1' })).rejects.toMatchObject({
      errorCode: 60_018,
    });
    const gone = clientFor().call(IM_COMMANDS.sendGroupMessage, {
      ...groupMessage('@TGS#none', 'x'),
      Random: 1,
    });
    await expect(gone).rejects.toMatchObject({ errorCode: 10_010, retryable: false });
  });

  it('treats an HTTP error, a timeout and a non-JSON answer as retryable', async () => {
    im = await startFakeTencentIm();
    im.setDown(true);
    const down = await clientFor()
      .call(IM_COMMANDS.accountImport, { Identifier: '1' })
      .catch((error: unknown) => error);
    expect(down).toBeInstanceOf(ImError);
    expect(down).toMatchObject({ errorCode: null, retryable: true });
    im.setDown(false);
    im.stall();
    const stalled = await clientFor()
      .call(IM_COMMANDS.accountImport, { Identifier: '1' })
      .catch((error: unknown) => error);
    expect(stalled).toMatchObject({ errorCode: null, retryable: true });
  });
});

describe('IM delivery queue', () => {
  it('sends the calls of one order key in the order queued, each message with a stable random', async () => {
    im = await startFakeTencentIm();
    const groupId = await newGroup();
    const delivery = startDelivery();
    for (let n = 1; n <= 5; n++) {
      await delivery.enqueue({
        id: `order-test:${n}`,
        orderKey: 'room-1',
        command: IM_COMMANDS.sendGroupMessage,
        body: groupMessage(groupId, text('num', n)),
      });
    }
    await eventually(() => expect(im.messages).toHaveLength(5), 'five messages');
    expect(im.messages.map((message) => (message.text as { content: number }).content)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(im.messages[0]?.random).toBe(stableRandomOf('order-test:1'));
  });

  it('retries a failing IM API with backoff and delivers every message once, in order, when it is back', async () => {
    im = await startFakeTencentIm();
    const groupId = await newGroup();
    const metrics = new Registry();
    const delivery = startDelivery({ metrics });
    im.setDown(true);
    for (let n = 1; n <= 3; n++) {
      await delivery.enqueue({
        id: `down-test:${n}`,
        orderKey: 'room-2',
        command: IM_COMMANDS.sendGroupMessage,
        body: groupMessage(groupId, text('over', `m${n}`)),
      });
    }
    await eventually(
      () => expect(im.calls.filter((call) => call.outcome === 'injected').length).toBeGreaterThan(2),
      'several failed attempts',
    );
    expect(im.messages).toHaveLength(0);
    im.setDown(false);
    await eventually(() => expect(im.messages).toHaveLength(3), 'three messages');
    expect(im.messages.map((message) => (message.text as { content: string }).content)).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
    const counted = await metrics.getSingleMetricAsString('tencent_im_calls_total');
    expect(counted).toMatch(/outcome="retry"\} [1-9]/);
    expect(counted).toMatch(/outcome="recovered"\} 1/);
    expect(logs.some((line) => line.msg === 'Tencent IM call delivered after failures')).toBe(true);
  });

  it('does not show a message twice when Tencent got it but the answer was lost', async () => {
    im = await startFakeTencentIm();
    const groupId = await newGroup();
    const delivery = startDelivery();
    im.stall();
    await delivery.enqueue({
      id: 'stall-test:1',
      orderKey: 'room-3',
      command: IM_COMMANDS.sendGroupMessage,
      body: groupMessage(groupId, text('over', '')),
    });
    await eventually(
      () => expect(im.callsOf(IM_COMMANDS.sendGroupMessage).length).toBeGreaterThan(1),
      'a retry',
    );
    im.release();
    await eventually(
      () =>
        expect(im.callsOf(IM_COMMANDS.sendGroupMessage).some((call) => call.outcome === 'duplicate')).toBe(
          true,
        ),
      'a retry answered as a duplicate',
    );
    expect(im.messages).toHaveLength(1);
  });

  it('never sends a call again when it is queued again after delivery (an effect re-run)', async () => {
    im = await startFakeTencentIm();
    const groupId = await newGroup();
    const delivery = startDelivery();
    const call = {
      id: 'rerun-test:1',
      orderKey: 'room-4',
      command: IM_COMMANDS.sendGroupMessage,
      body: groupMessage(groupId, text('over', 'once')),
    } as const;
    await delivery.enqueue(call);
    await eventually(() => expect(im.messages).toHaveLength(1), 'the message');
    await delivery.enqueue(call);
    await delivery.enqueue({
      ...call,
      id: 'rerun-test:2',
      body: groupMessage(groupId, text('over', 'next')),
    });
    await eventually(() => expect(im.messages).toHaveLength(2), 'the next message');
    expect(im.callsOf(IM_COMMANDS.sendGroupMessage)).toHaveLength(2);
  });

  it('gives up a call Tencent can never take and sends the ones behind it', async () => {
    im = await startFakeTencentIm();
    const groupId = await newGroup();
    const delivery = startDelivery();
    await delivery.enqueue({
      id: 'gone-test:1',
      orderKey: 'room-5',
      command: IM_COMMANDS.sendGroupMessage,
      body: groupMessage('@TGS#gone', text('over', '')),
    });
    await delivery.enqueue({
      id: 'gone-test:2',
      orderKey: 'room-5',
      command: IM_COMMANDS.sendGroupMessage,
      body: groupMessage(groupId, text('over', 'after')),
    });
    await eventually(() => expect(im.messages).toHaveLength(1), 'the second message');
    expect(im.callsOf(IM_COMMANDS.sendGroupMessage).map((call) => call.errorCode)).toEqual([10_010, 0]);
  });

  it('takes destroying a group Tencent no longer has as done, logging no error', async () => {
    im = await startFakeTencentIm();
    const groupId = await newGroup();
    im.dissolve(groupId);
    const delivery = startDelivery();
    const errorsBefore = logs.filter((log) => log.level === 'error').length;
    await delivery.enqueue({
      id: 'destroy-gone:1',
      orderKey: 'room-6',
      command: IM_COMMANDS.destroyGroup,
      body: { GroupId: groupId },
    });
    await delivery.enqueue({
      id: 'destroy-gone:2',
      orderKey: 'room-6',
      command: IM_COMMANDS.sendGroupMessage,
      body: groupMessage(await newGroup(), text('over', 'after')),
    });
    await eventually(() => expect(im.messages).toHaveLength(1), 'the call behind it');
    expect(im.callsOf(IM_COMMANDS.destroyGroup).map((call) => call.errorCode)).toEqual([10_010]);
    expect(logs.filter((log) => log.level === 'error')).toHaveLength(errorsBefore);
  });

  it('keeps to the configured rate, so Tencent never answers a rate-limit error', async () => {
    im = await startFakeTencentIm({ rateLimit: 5 });
    await clientFor().call(IM_COMMANDS.accountImport, { Identifier: '20000001' });
    // One call per second below Tencent's limit: request arrival jitters against BullMQ's windows.
    const delivery = startDelivery({ ratePerSecond: 4 });
    for (let n = 1; n <= 12; n++) {
      await delivery.enqueue({
        id: `rate-test:${n}`,
        orderKey: `user-${n}`,
        command: IM_COMMANDS.sendC2cMessage,
        body: {
          To_Account: '20000001',
          MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: text('num', n) } }],
        },
      });
    }
    await eventually(() => expect(im.messages).toHaveLength(12), 'twelve messages');
    expect(im.calls.filter((call) => call.errorCode === RATE_LIMITED)).toEqual([]);
  });

  it('runs a call’s follow-up with Tencent’s answer', async () => {
    im = await startFakeTencentIm();
    await clientFor().call(IM_COMMANDS.accountImport, { Identifier: '30000001' });
    const delivery = startDelivery();
    const created: unknown[] = [];
    delivery.onDelivered('remember-group', async (answer, args) => {
      created.push({ groupId: answer.GroupId, ...args });
    });
    await delivery.enqueue({
      id: 'follow-up-test:1',
      orderKey: 'user-30000001',
      command: IM_COMMANDS.createGroup,
      body: { Owner_Account: '30000001', Type: 'AVChatRoom', Name: 'n' },
      followUp: { name: 'remember-group', args: { owner: 30000001 } },
    });
    await eventually(() => expect(created).toHaveLength(1), 'the follow-up');
    expect(created[0]).toEqual({ groupId: [...im.groups.keys()][0], owner: 30000001 });
  });
});
