/**
 * What QLive keeps at Tencent IM besides messages (qlive-realtime.md §4, §6): every QLive user is an
 * IM account, and every matchmaker has one IM group (AVChatRoom) that her room uses broadcast after
 * broadcast. The group is created when a user becomes a matchmaker, or at matchmaker_enter when she
 * has none or Tencent reports hers gone; renamed when her nickname or face changes; never destroyed.
 *
 * Only matchmaker_enter asks Tencent inside the request (it must answer the group's id), bounded by
 * TENCENT_IM_TIMEOUT_MS per call; when Tencent cannot answer, it answers the id it has and the
 * durable queue checks or creates the group later, then hands the new id to her live room.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type User, users } from '../db/schema/index.js';
import { liveRooms } from '../db/schema/rooms.js';
import type { RuntimeLogger } from '../runtime/index.js';
import {
  IM_COMMANDS,
  IM_GROUP_GONE_CODES,
  type ImAnswer,
  type ImCall,
  type TencentIm,
} from '../tencent/im/index.js';
import type { RoomIndex } from './room-index.js';
import type { RoomMachines } from './room-kind.js';

export interface QliveImDeps {
  db: Db;
  im: TencentIm;
  machines: RoomMachines;
  roomIndex: RoomIndex;
  logger: RuntimeLogger;
}

/** Tencent limits a group's Name to 30 bytes of UTF-8; cut at a character boundary. */
export function groupNameOf(nickname: string, userId: number): string {
  let name = nickname.trim() || `红娘${userId}`;
  while (Buffer.byteLength(name, 'utf8') > 30) name = Array.from(name).slice(0, -1).join('');
  return name;
}

const GROUP_CREATED = 'qlive-group-created';
const GROUP_CHECKED = 'qlive-group-checked';

export function createQliveIm(deps: QliveImDeps) {
  const { client, delivery } = deps.im;
  const account = (userId: number) => String(userId);
  const userOrder = (userId: number) => `user-${userId}`;

  const importCall = (user: User, id: string): ImCall => ({
    id,
    orderKey: userOrder(user.id),
    command: IM_COMMANDS.accountImport,
    body: { Identifier: account(user.id), Nick: user.nickname, FaceUrl: user.headImg },
  });

  const portraitCall = (user: User, id: string): ImCall => ({
    id,
    orderKey: userOrder(user.id),
    command: IM_COMMANDS.portraitSet,
    body: {
      From_Account: account(user.id),
      ProfileItem: [
        // A custom tag (it must exist in the IM console), as the original server used.
        { Tag: 'Tag_Profile_Custom_Nickname', Value: user.nickname },
        { Tag: 'Tag_Profile_IM_Image', Value: user.headImg },
      ],
    },
  });

  const createGroupBody = (user: User) => ({
    Owner_Account: account(user.id),
    Type: 'AVChatRoom',
    Name: groupNameOf(user.nickname, user.id),
    FaceUrl: user.headImg,
  });

  async function storedGroupOf(userId: number): Promise<string | null> {
    const [row] = await deps.db
      .select({ imGroupId: users.imGroupId })
      .from(users)
      .where(eq(users.id, userId));
    return row?.imGroupId ?? null;
  }

  /** Stores a new group id (unless another creation replaced `replaces` first) and tells her live room. */
  async function adoptGroup(userId: number, groupId: string, replaces: string | null): Promise<boolean> {
    const updated = await deps.db
      .update(users)
      .set({ imGroupId: groupId })
      .where(
        and(
          eq(users.id, userId),
          replaces === null ? isNull(users.imGroupId) : eq(users.imGroupId, replaces),
        ),
      )
      .returning({ id: users.id });
    if (updated.length === 0) return false;
    const roomId = await deps.roomIndex.activeRoomOf(userId);
    if (!roomId) return true;
    const snapshot = (await deps.machines.get(roomId))?.snapshot;
    if (!snapshot || snapshot.status === 'done' || snapshot.context.matchmakerId !== userId) return true;
    await deps.db
      .update(liveRooms)
      .set({ groupId })
      .where(eq(liveRooms.id, Number(roomId)));
    await deps.machines.send(roomId, { type: 'GROUP_ASSIGNED', groupId }, { actor: 'system' });
    return true;
  }

  /** Queues the creation of her group (after importing her account, which must own it). */
  async function queueGroupCreation(user: User, replaces: string | null, tag: string): Promise<void> {
    await delivery.enqueue(importCall(user, `user:${user.id}:import:${tag}`));
    await delivery.enqueue({
      id: `user:${user.id}:create-group:${tag}`,
      orderKey: userOrder(user.id),
      command: IM_COMMANDS.createGroup,
      body: createGroupBody(user),
      followUp: { name: GROUP_CREATED, args: { userId: user.id, replaces } },
    });
  }

  delivery.onDelivered(GROUP_CREATED, async (answer: ImAnswer, args) => {
    const groupId = answer.GroupId;
    if (typeof groupId !== 'string' || groupId === '') return;
    await adoptGroup(Number(args.userId), groupId, (args.replaces as string | null) ?? null);
  });

  delivery.onDelivered(GROUP_CHECKED, async (answer: ImAnswer, args) => {
    const [info] = (answer.GroupInfo as { ErrorCode?: number }[] | undefined) ?? [];
    if (!IM_GROUP_GONE_CODES.has(info?.ErrorCode ?? 0)) return;
    const userId = Number(args.userId);
    const [user] = await deps.db.select().from(users).where(eq(users.id, userId));
    if (user) await queueGroupCreation(user, String(args.groupId), `after-${String(args.groupId)}`);
  });

  const isGone = (answer: ImAnswer) => {
    const [info] = (answer.GroupInfo as { ErrorCode?: number }[] | undefined) ?? [];
    return IM_GROUP_GONE_CODES.has(info?.ErrorCode ?? 0);
  };

  return {
    /** A new QLive user: his IM account, then his nickname in the profile (both queued). */
    async userCreated(user: User): Promise<void> {
      await delivery.enqueue(importCall(user, `user:${user.id}:import:created`));
      await delivery.enqueue(portraitCall(user, `user:${user.id}:portrait:created`));
    },

    /** A user was made a matchmaker: her group is created (queued). */
    async matchmakerCreated(user: User): Promise<void> {
      await queueGroupCreation(user, null, 'created');
    },

    /** update_userinfo: the IM profile, and a matchmaker's group renamed with what changed. */
    async profileUpdated(before: User, after: User): Promise<void> {
      const change = randomUUID();
      await delivery.enqueue(portraitCall(after, `user:${after.id}:portrait:${change}`));
      if (after.role !== 'matchmaker') return;
      const groupId = await storedGroupOf(after.id);
      if (!groupId) return;
      const renamed: Record<string, string> = {};
      if (after.nickname !== before.nickname) renamed.Name = groupNameOf(after.nickname, after.id);
      if (after.headImg !== before.headImg) renamed.FaceUrl = after.headImg;
      if (Object.keys(renamed).length === 0) return;
      await delivery.enqueue({
        id: `user:${after.id}:rename-group:${change}`,
        orderKey: userOrder(after.id),
        command: IM_COMMANDS.modifyGroupBaseInfo,
        body: { GroupId: groupId, ...renamed },
      });
    },

    /**
     * matchmaker_enter: her group's id, checked at Tencent and created if she has none or it is gone.
     * Tencent unreachable: the id she has (or "") now, the check or creation queued.
     */
    async groupFor(matchmaker: User): Promise<string> {
      const stored = await storedGroupOf(matchmaker.id);
      try {
        if (stored) {
          const info = await client.call(IM_COMMANDS.getGroupInfo, { GroupIdList: [stored] });
          if (!isGone(info)) return stored;
        }
        await client.call(IM_COMMANDS.accountImport, importCall(matchmaker, '').body);
        const created = await client.call(IM_COMMANDS.createGroup, createGroupBody(matchmaker));
        const groupId = String(created.GroupId ?? '');
        if (groupId && (await adoptGroup(matchmaker.id, groupId, stored))) return groupId;
        return (await storedGroupOf(matchmaker.id)) ?? '';
      } catch (error) {
        deps.logger.warn(
          { err: error, userId: matchmaker.id },
          'Tencent IM did not answer at matchmaker_enter; the group is checked or created by the queue',
        );
        const tag = randomUUID();
        if (stored) {
          await delivery.enqueue({
            id: `user:${matchmaker.id}:check-group:${tag}`,
            orderKey: userOrder(matchmaker.id),
            command: IM_COMMANDS.getGroupInfo,
            body: { GroupIdList: [stored] },
            followUp: { name: GROUP_CHECKED, args: { userId: matchmaker.id, groupId: stored } },
          });
        } else {
          await queueGroupCreation(matchmaker, null, tag);
        }
        return stored ?? '';
      }
    },
  };
}

export type QliveIm = ReturnType<typeof createQliveIm>;
