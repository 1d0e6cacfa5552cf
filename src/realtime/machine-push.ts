import type { PublicCallView } from '../calls/call-view.js';
import type { TransitionNotice } from '../runtime/index.js';
import { ADMIN_NAMESPACE, ADMIN_ROOM, callRoom, userRoom } from './events.js';
import { pushRoomTransition } from './room-push.js';
import type { AppSocketServer } from './socket-server.js';

/**
 * Pushes every transition: a call's view to both parties' user rooms and the call's own room, and a
 * summary of every machine to the admin room (the panel's live table).
 */
export function pushTransition(io: AppSocketServer, notice: TransitionNotice<string>): void {
  if (notice.kind === 'call') {
    const view = notice.view as PublicCallView;
    const rooms = [userRoom(view.guestId), userRoom(view.anchorId), callRoom(String(view.roomInstanceId))];
    if (notice.from === null) io.in([userRoom(view.guestId), userRoom(view.anchorId)]).socketsJoin(rooms[2]!);
    // A notice overtaken by a newer transition (settleCall sends SETTLED from inside the `ended`
    // effects) would show clients an older state last.
    if (!notice.superseded) io.to(rooms).emit('call:update', view as unknown as Record<string, unknown>);
  }
  if (notice.kind === 'room') pushRoomTransition(io, notice);
  io.of(ADMIN_NAMESPACE).to(ADMIN_ROOM).emit('admin:machine', {
    kind: notice.kind,
    id: notice.id,
    version: notice.version,
    event: notice.event.type,
    actor: notice.actor,
    from: notice.from,
    to: notice.to,
    at: notice.at,
    final: notice.final,
    view: notice.view,
  });
}
