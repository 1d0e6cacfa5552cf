/**
 * Socket.IO as a delivery channel of notices: `machine:notice` `{type, content}` to the user's own
 * Socket.IO room, or to the room's (everyone in it). Our websocket clients get the same notices
 * the IM clients get.
 */
import { liveRoom, userRoom } from '../realtime/events.js';
import type { AppSocketServer } from '../realtime/socket-server.js';
import type { NoticeChannel } from './notice.js';

export function socketNoticeChannel(io: () => AppSocketServer | undefined): NoticeChannel {
  return async (notice) => {
    const server = io();
    if (!server) return;
    const target =
      'userId' in notice.audience ? userRoom(notice.audience.userId) : liveRoom(notice.audience.roomId);
    server.to(target).emit('machine:notice', { type: notice.message.type, content: notice.message.content });
  };
}
