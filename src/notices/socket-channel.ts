/**
 * Socket.IO as a delivery channel of notices. An audience is a set of Socket.IO rooms: a user's
 * own room `user:<id>`, a QLive room's `room:<id>`, a call's parties' rooms plus `call:<id>`; one
 * emit to all of them reaches each socket once. A message is emitted as `machine:notice`
 * `{type, content}` (our websocket clients get the same messages the IM clients get), an event
 * notice as its own event, and a membership notice makes the users' sockets (in every process,
 * through the adapter) join or leave the audience's own room.
 */
import { callRoom, liveRoom, userRoom } from '../realtime/events.js';
import type { AppSocketServer } from '../realtime/socket-server.js';
import type { Audience, CallAudience, NoticeChannel, RoomAudience, UpdateNotice } from './notice.js';

function roomsOf(audience: Audience): string[] {
  if ('userId' in audience) return [userRoom(audience.userId)];
  if ('callId' in audience) return [...audience.userIds.map(userRoom), callRoom(audience.callId)];
  return [liveRoom(audience.roomId)];
}

/** The Socket.IO room that is the audience itself (its members' sockets are in it). */
function ownRoomOf(audience: RoomAudience | CallAudience): string {
  return 'callId' in audience ? callRoom(audience.callId) : liveRoom(audience.roomId);
}

export function createSocketChannel(io: AppSocketServer) {
  const messages: NoticeChannel = async (notice) => {
    io.to(roomsOf(notice.audience)).emit('machine:notice', {
      type: notice.message.type,
      content: notice.message.content,
    });
  };

  /** Delivers one update; synchronous, so a transition's updates go out in the order declared. */
  function update(notice: UpdateNotice): void {
    if ('event' in notice) {
      io.to(roomsOf(notice.audience)).emit(notice.event, notice.payload);
      return;
    }
    const room = ownRoomOf(notice.audience);
    if (notice.join?.length) io.in(notice.join.map(userRoom)).socketsJoin(room);
    if (notice.leave === 'everyone') io.in(room).socketsLeave(room);
    else if (notice.leave?.length) io.in(notice.leave.map(userRoom)).socketsLeave(room);
  }

  return { messages, update };
}

export type SocketChannel = ReturnType<typeof createSocketChannel>;
