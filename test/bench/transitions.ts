import { Redis } from 'ioredis';
import { roomMachine, roomView } from '../../machines/room.js';
import {
  connectionFromUrl,
  createMachineRuntime,
  defineMachine,
  machineKind,
} from '../../src/runtime/index.js';

/**
 * Machine events per second through the full runtime in this process: load, pure transition,
 * compare-and-set save with history, effects (none for these events) and the transition notice.
 * Room ENTER/LEAVE pairs on many rooms at once, as a busy evening would send them.
 */
export async function measureTransitions(options: {
  redisUrl: string;
  prefix: string;
  rooms: number;
  durationMs: number;
}) {
  const redis = new Redis(options.redisUrl, { enableAutoPipelining: true });
  const runtime = createMachineRuntime<'room'>({
    redis,
    prefix: options.prefix,
    queue: { connection: connectionFromUrl(options.redisUrl) },
    definitions: [
      defineMachine({ kind: machineKind('room'), machine: roomMachine, view: roomView, effects: {} }),
    ],
  });
  const ids = Array.from({ length: options.rooms }, (_, i) => `bench-${i}`);
  await Promise.all(
    ids.map((id, i) =>
      runtime.create('room', id, {
        roomId: id,
        matchmakerId: 1,
        roomName: 'bench',
        groupId: `g${i}`,
        graceMs: 30_000,
        at: Date.now(),
      }),
    ),
  );
  let applied = 0;
  const deadline = performance.now() + options.durationMs;
  const started = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      let user = 100;
      while (performance.now() < deadline) {
        user++;
        await runtime.send('room', id, { type: 'ENTER', userId: user, gender: 1 });
        await runtime.send('room', id, { type: 'LEAVE', userId: user });
        applied += 2;
      }
    }),
  );
  const elapsed = performance.now() - started;
  await runtime.close();
  redis.disconnect();
  return { transitions: applied, perSecond: (applied / elapsed) * 1000 };
}
