import type { TransitionNotice } from '../runtime/index.js';
import { ADMIN_NAMESPACE, ADMIN_ROOM } from './events.js';
import type { AppSocketServer } from './socket-server.js';

/**
 * A summary of every machine's every transition to the admin room (the panel's live table). What
 * the machines' own clients are told of a transition is the machine's to say (its updates,
 * machines/notices.ts), delivered by the Socket.IO notice channel (src/notices/socket-channel.ts).
 */
export function pushToAdmins(io: AppSocketServer, notice: TransitionNotice<string>): void {
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
