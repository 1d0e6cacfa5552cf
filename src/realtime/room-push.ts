import type { RoomView } from '../../machines/room.js';
import type { TransitionNotice } from '../runtime/index.js';
import { liveRoom, userRoom } from './events.js';
import type { AppSocketServer } from './socket-server.js';

/**
 * A QLive room's transition, pushed as `room:update` (the room's view plus `liveId`, `version` —
 * drop a push older than the last one seen — and the `event` that caused it) to the room's
 * Socket.IO room. Membership of that Socket.IO room follows the machine: the matchmaker joins when
 * it opens, a user's sockets join on ENTER and leave after LEAVE / BAN, everyone leaves at the end.
 */
export function pushRoomTransition(io: AppSocketServer, notice: TransitionNotice<string>): void {
  const view = notice.view as RoomView;
  const room = liveRoom(notice.id);
  const userId = typeof notice.event.userId === 'number' ? notice.event.userId : null;
  if (notice.from === null) io.in(userRoom(view.matchmakerId)).socketsJoin(room);
  if (notice.event.type === 'ENTER' && userId !== null) io.in(userRoom(userId)).socketsJoin(room);
  if (!notice.superseded) {
    io.to(room).emit('room:update', {
      ...view,
      liveId: Number(notice.id),
      version: notice.version,
      event: notice.event.type,
    });
  }
  if (notice.final) io.in(room).socketsLeave(room);
  else if ((notice.event.type === 'LEAVE' || notice.event.type === 'BAN') && userId !== null)
    io.in(userRoom(userId)).socketsLeave(room);
}
