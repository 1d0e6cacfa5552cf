import { liveRoom, userRoom } from '../realtime/events.js';
import type { AppSocket, AppSocketServer } from '../realtime/socket-server.js';
import type { RuntimeLogger } from '../runtime/index.js';
import type { RoomsService } from './rooms.service.js';

/**
 * A socket's part in QLive rooms. On connect: join the Socket.IO room of the user's live room (so
 * its pushes reach this socket too), be told its current view, and end a pending grace period.
 * When the user's last socket anywhere goes away: DISCONNECTED, which the machine acts on only for
 * the matchmaker (the room ends after the grace period) and seat holders (off the mic after it).
 * Sockets are counted across processes through the adapter (`fetchSockets`), not in memory.
 */
export function attachRoomSocketHandlers(
  socket: AppSocket,
  deps: { rooms: RoomsService; io: AppSocketServer; logger: RuntimeLogger },
): void {
  const { userId } = socket.data;
  const report = (error: unknown) => deps.logger.warn({ err: error, userId }, 'room socket handler failed');
  const socketsLeft = async () => (await deps.io.in(userRoom(userId)).fetchSockets()).length;

  void (async () => {
    const state = await deps.rooms.stateOf(userId);
    if (!state) return;
    await socket.join(liveRoom(String(state.liveId)));
    const current = await deps.rooms.currentView(state.liveId);
    if (current) socket.emit('room:update', current);
    await deps.rooms.presenceChanged(userId, true);
  })().catch(report);

  socket.on('disconnect', () => {
    void (async () => {
      if ((await socketsLeft()) > 0) return;
      await deps.rooms.presenceChanged(userId, false);
      // A socket that came back while he was being marked gone must not leave the mark standing.
      if ((await socketsLeft()) > 0) await deps.rooms.presenceChanged(userId, true);
    })().catch(report);
  });
}
