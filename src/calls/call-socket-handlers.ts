import { callRoom } from '../realtime/events.js';
import type { Presence } from '../realtime/presence.js';
import type { AppSocket } from '../realtime/socket-server.js';
import type { RuntimeLogger } from '../runtime/index.js';
import type { CallsService } from './calls.service.js';

/**
 * A socket's part in calls: presence (its last socket going away starts the call's grace period,
 * a new one ends it), the current state of the user's call on (re)connect, and `call:sync`.
 */
export function attachCallSocketHandlers(
  socket: AppSocket,
  deps: { calls: CallsService; presence: Presence; logger: RuntimeLogger },
): void {
  const { userId } = socket.data;
  const report = (error: unknown) => deps.logger.warn({ err: error, userId }, 'call socket handler failed');

  void (async () => {
    await deps.presence.socketConnected(userId);
    const view = await deps.calls.activeCallView(userId);
    if (!view) return;
    await socket.join(callRoom(String(view.roomInstanceId)));
    socket.emit('call:update', view as unknown as Record<string, unknown>);
    await deps.calls.presenceChanged(userId, true);
  })().catch(report);

  socket.on('call:sync', (ack) => {
    if (typeof ack !== 'function') return;
    deps.calls.activeCallView(userId).then(
      (view) => ack(view as unknown as Record<string, unknown> | null),
      (error) => {
        report(error);
        ack(null);
      },
    );
  });

  socket.on('disconnect', () => {
    void (async () => {
      const left = await deps.presence.socketDisconnected(userId);
      if (left === 0) await deps.calls.presenceChanged(userId, false);
    })().catch(report);
  });
}
