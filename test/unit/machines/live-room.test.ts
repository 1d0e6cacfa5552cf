/**
 * The pure RoomService room machine, driven through xstate's pure functions as the runtime does.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  type LiveRoomEvent,
  type LiveRoomInput,
  type LiveRoomSnapshot,
  liveRoomMachine,
  liveRoomView,
} from '../../../machines/live-room.js';

const input = (call: LiveRoomInput['call'] = null): LiveRoomInput => ({
  roomId: 'room_1',
  roomInfo: 'info',
  creator: 'alice',
  call,
  maxPushers: 2,
  maxAudiences: 1,
  heartbeatTimeoutMs: 20_000,
  emptyRoomTimeoutMs: 30_000,
  at: 1_000,
});
const pusher = (userId: string, userName = userId) => ({
  userId,
  userName,
  userAvatar: '',
  pushUrl: `rtmp://push/live/${userId}`,
  stream: userId,
  accelerateUrl: `rtmp://play/live/${userId}`,
});

type Step = LiveRoomEvent;
function run(start: LiveRoomInput, ...events: Step[]) {
  let [snapshot, actions] = initialTransition(liveRoomMachine, start);
  const all = [actions];
  for (const event of events) {
    [snapshot, actions] = transition(liveRoomMachine, snapshot, event);
    all.push(actions);
  }
  return { snapshot: snapshot as LiveRoomSnapshot, actions: all.at(-1) ?? [], initial: all[0] ?? [] };
}
const types = (actions: readonly { type: string }[]) => actions.map((action) => action.type);

describe('live room machine', () => {
  it('arms the 30 s empty-room timer on creation and closes an unused room with it', () => {
    const { snapshot, initial } = run(input());
    expect(snapshot.value).toBe('created');
    const raise = initial.find((action) => action.type === 'xstate.raise') as { params: { delay: number } };
    expect(raise.params.delay).toBe(30_000);
    const [closed] = transition(liveRoomMachine, snapshot, {
      type: 'xstate.after.emptyRoomTimeout.liveRoom.created',
      at: 31_000,
    } as never);
    expect(closed.status).toBe('done');
    expect(liveRoomView(closed as LiveRoomSnapshot)).toMatchObject({ state: 'closed', endReason: 'idle' });
  });

  it('adds pushers with a heartbeat timer each, updates one in place, refuses one over the limit', () => {
    const joined = run(input(), { type: 'ADD_PUSHER', pusher: pusher('alice'), at: 2_000 });
    expect(joined.snapshot.value).toBe('live');
    expect(joined.actions).toContainEqual(
      expect.objectContaining({
        type: 'xstate.raise',
        params: expect.objectContaining({ id: 'heartbeat-alice', delay: 20_000 }),
      }),
    );
    expect(types(joined.actions)).toContain('pusherChanged');
    const updated = run(
      input(),
      { type: 'ADD_PUSHER', pusher: pusher('alice'), at: 2_000 },
      { type: 'ADD_PUSHER', pusher: pusher('bob'), at: 3_000 },
      { type: 'ADD_PUSHER', pusher: pusher('alice', 'Alice'), at: 4_000 },
    );
    expect(updated.snapshot.context.pushers.map((p) => [p.userId, p.userName])).toEqual([
      ['alice', 'Alice'],
      ['bob', 'bob'],
    ]);
    expect(updated.snapshot.can({ type: 'ADD_PUSHER', pusher: pusher('carol'), at: 5_000 })).toBe(false);
  });

  it('drops a timed-out pusher, and a timed-out creator takes a plain room with her', () => {
    const two = run(
      input(),
      { type: 'ADD_PUSHER', pusher: pusher('alice'), at: 2_000 },
      { type: 'ADD_PUSHER', pusher: pusher('bob'), at: 3_000 },
    ).snapshot;
    const [withoutBob] = transition(liveRoomMachine, two, {
      type: 'PUSHER_TIMEOUT',
      userId: 'bob',
      at: 23_000,
    });
    expect((withoutBob as LiveRoomSnapshot).context.pushers.map((p) => p.userId)).toEqual(['alice']);
    const [gone] = transition(liveRoomMachine, two, { type: 'PUSHER_TIMEOUT', userId: 'alice', at: 22_000 });
    expect(liveRoomView(gone as LiveRoomSnapshot)).toMatchObject({
      state: 'closed',
      endReason: 'creator_timeout',
    });
  });

  it('a call room takes only its two parties, reports their streams to the call, and waits for the call when empty', () => {
    const call = { callId: '7', guestId: '2', anchorId: '1' };
    const start = { ...input(call), creator: '1' };
    const joined = run(start, { type: 'ADD_PUSHER', pusher: pusher('1'), at: 2_000 });
    expect(joined.actions).toContainEqual(
      expect.objectContaining({
        type: 'reportToCall',
        params: { callId: '7', userId: '1', connected: true },
      }),
    );
    expect(joined.snapshot.can({ type: 'ADD_PUSHER', pusher: pusher('3'), at: 3_000 })).toBe(false);
    const [left, actions] = transition(liveRoomMachine, joined.snapshot, {
      type: 'PUSHER_TIMEOUT',
      userId: '1',
      at: 22_000,
    });
    expect(left.value).toBe('created');
    expect(actions).toContainEqual(
      expect.objectContaining({
        type: 'reportToCall',
        params: { callId: '7', userId: '1', connected: false },
      }),
    );
    const [ended, endActions] = transition(liveRoomMachine, left, { type: 'CALL_ENDED', at: 30_000 });
    expect(liveRoomView(ended as LiveRoomSnapshot)).toMatchObject({
      state: 'closed',
      endReason: 'call_ended',
      callId: '7',
    });
    expect(types(endActions)).toContain('roomClosed');
    // An empty call room is not removed by the idle timer.
    expect(left.can({ type: 'xstate.after.emptyRoomTimeout.liveRoom.created', at: 60_000 } as never)).toBe(
      false,
    );
  });

  it('only the creator destroys the room; the audience list is capped', () => {
    const { snapshot } = run(input(), { type: 'ADD_AUDIENCE', userId: 'v1', userInfo: '{}', at: 2_000 });
    expect(snapshot.can({ type: 'DESTROY', by: 'mallory', at: 3_000 })).toBe(false);
    expect(snapshot.can({ type: 'DESTROY', by: 'alice', at: 3_000 })).toBe(true);
    expect(snapshot.can({ type: 'ADD_AUDIENCE', userId: 'v2', userInfo: '{}', at: 3_000 })).toBe(false);
    expect(snapshot.can({ type: 'ADD_AUDIENCE', userId: 'v1', userInfo: '{"a":1}', at: 3_000 })).toBe(true);
  });
});
