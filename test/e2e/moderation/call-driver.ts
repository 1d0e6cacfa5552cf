import type { TestServer } from '../../helpers/app.js';

/** Drives a paid call through the public API, step by step, the way the two apps do. */
export interface DrivenCall {
  guest: { userId: number; token: string };
  anchor: { userId: number; token: string };
  callId: string;
}

const post = (server: TestServer, path: string, body: Record<string, unknown>) =>
  server.request('POST', path, { body });

async function expectOk(response: Promise<{ status: number; body: { code?: number } }>, step: string) {
  const answered = await response;
  if (answered.status !== 200 || answered.body.code !== 0) {
    throw new Error(`${step} failed: ${answered.status} ${JSON.stringify(answered.body)}`);
  }
  return answered.body as Record<string, unknown>;
}

/** A guest with diamonds rings an anchor (callApplyGirl): the call is `ringing`. */
export async function ringingCall(server: TestServer, diamonds = 1000): Promise<DrivenCall> {
  const guest = await server.createUser({ role: 'guest', nickname: 'Dawei', age: 31, diamond: diamonds });
  const anchor = await server.createUser({ role: 'anchor', nickname: 'Xiaomei', age: 24, unitPrice: 30 });
  const applied = await expectOk(
    post(server, '/app/live/callApplyGirl', { token: guest.token, targetUserId: anchor.userId }),
    'callApplyGirl',
  );
  return { guest, anchor, callId: String(applied.roomInstanceId) };
}

/** The anchor takes the call (create_room with guestId): `accepted`. */
export async function acceptCall(server: TestServer, call: DrivenCall): Promise<void> {
  await expectOk(
    post(server, '/weapp/live_room/create_room', { token: call.anchor.token, guestId: call.guest.userId }),
    'create_room',
  );
}

/** The anchor starts it (startCall): `live`, the first minute is charged. */
export async function startCall(server: TestServer, call: DrivenCall): Promise<void> {
  await expectOk(
    post(server, '/app/live/startCall', { token: call.anchor.token, targetUserId: call.guest.userId }),
    'startCall',
  );
}

export async function liveCall(server: TestServer, diamonds = 1000): Promise<DrivenCall> {
  const call = await ringingCall(server, diamonds);
  await acceptCall(server, call);
  await startCall(server, call);
  return call;
}
