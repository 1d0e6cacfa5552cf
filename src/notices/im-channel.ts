/**
 * Tencent IM as a delivery channel of messages: a message to a user is a C2C message from the IM
 * admin (`openim/sendmsg`), a message to a room is a group message (`send_group_msg`) to the room's
 * IM group. The message is one `TIMTextElem` whose `Text` is the notice's `{content, type}` as
 * JSON (qlive-realtime.md §2). Delivery goes through the durable IM queue: this only enqueues.
 * Updates (machines/notices.ts) are for our websocket clients and never come here.
 */
import type { RuntimeLogger } from '../runtime/index.js';
import { IM_COMMANDS, type ImDelivery } from '../tencent/im/index.js';
import type { NoticeChannel } from './notice.js';
import { pythonJson } from './python-json.js';

/** Tencent keeps an undelivered C2C message this long (s): counts older than a minute are stale. */
const C2C_LIFETIME_SECONDS = 60;

export function imNoticeChannel(delivery: ImDelivery, logger: RuntimeLogger): NoticeChannel {
  return async (notice, origin) => {
    const msgBody = [
      {
        MsgType: 'TIMTextElem',
        MsgContent: { Text: pythonJson({ content: notice.message.content, type: notice.message.type }) },
      },
    ];
    if ('userId' in notice.audience) {
      await delivery.enqueue({
        id: origin.id,
        orderKey: origin.orderKey,
        command: IM_COMMANDS.sendC2cMessage,
        body: {
          // Not synced to the admin's own sessions.
          SyncOtherMachine: 2,
          To_Account: String(notice.audience.userId),
          MsgLifeTime: C2C_LIFETIME_SECONDS,
          MsgTimeStamp: Math.floor(Date.now() / 1000),
          MsgBody: msgBody,
        },
      });
      return;
    }
    if (notice.audience.groupId === '') {
      logger.warn(
        { noticeId: origin.id, roomId: notice.audience.roomId },
        'room has no IM group yet; notice not sent over IM',
      );
      return;
    }
    await delivery.enqueue({
      id: origin.id,
      orderKey: origin.orderKey,
      command: IM_COMMANDS.sendGroupMessage,
      body: { GroupId: notice.audience.groupId, MsgBody: msgBody },
    });
  };
}
