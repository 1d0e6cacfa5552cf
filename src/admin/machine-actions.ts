import { conflict, notFound } from '../errors.js';
import type { AdminActionsRepository } from '../moderation/admin-actions.repository.js';
import type { RoomIndex } from '../rooms/room-index.js';
import type { MachineRuntime, RuntimeEvent, SendResult } from '../runtime/index.js';
import type { MachineArchivesRepository } from './machine-archives.repository.js';
import { type PanelKind, stateName } from './machine-registry.js';

export interface MachineActionsDeps {
  runtime: MachineRuntime<PanelKind>;
  archives: MachineArchivesRepository;
  adminActions: AdminActionsRepository;
  roomIndex: RoomIndex;
}

/** Who did it and why: the admin's fingerprint and his note for the audit log. */
export interface AdminCommand {
  actor: string;
  reason?: string | undefined;
}

/**
 * The admin's buttons on a machine. Each is one event sent like any other (the actor in the
 * history is the admin's fingerprint); the machine decides, and an event it does not take now is
 * a 409 naming the state. Every attempt is recorded, refused ones too.
 */
export function createMachineActions(deps: MachineActionsDeps) {
  async function sendAsAdmin(
    kind: PanelKind,
    id: string,
    event: RuntimeEvent,
    action: string,
    { actor, reason }: AdminCommand,
    details: Record<string, unknown> = {},
  ): Promise<SendResult> {
    const record = (applied: boolean, state: string) =>
      deps.adminActions.record({
        actor,
        action,
        targetKind: kind,
        targetId: id,
        payload: { event: event.type, ...details, applied, state, ...(reason ? { reason } : {}) },
      });
    if (!(await deps.runtime.get(kind, id))) {
      // Expired from Redis: only the archive knows it, and a finished machine takes no event.
      const archived = await deps.archives.find(kind, id);
      if (!archived) throw notFound(`no ${kind} ${id}`, 'id');
      await record(false, archived.finalState);
      throw conflict(`${kind} ${id} is ${archived.finalState}: ${event.type} does not apply`);
    }
    const result = await deps.runtime.send(kind, id, event, { actor });
    const state = stateName(result.snapshot.value);
    await record(result.applied, state);
    if (!result.applied) throw conflict(`${kind} ${id} is ${state}: ${event.type} does not apply`);
    return result;
  }

  return {
    /** SERVER_HANGUP: ends the call from any open state; it settles like any other ending. */
    hangUpCall: (callId: string, command: AdminCommand) =>
      sendAsAdmin('call', callId, { type: 'SERVER_HANGUP', by: command.actor }, 'call.hangup', command),

    /**
     * ADMIN_END. The room machine's `by` is a user id and admins have none: 0 stands for "an
     * operator"; which one is in the history's actor and in admin_actions.
     */
    endRoom: (roomId: string, command: AdminCommand) =>
      sendAsAdmin('room', roomId, { type: 'ADMIN_END', by: 0 }, 'room.end', command),

    /**
     * Takes a seat holder off the mic (LEAVE_SEAT) with the matchmaker's authority, as she could
     * herself; the history's actor says it was an admin.
     */
    async removeFromMic(roomId: string, userId: number, command: AdminCommand) {
      const room = await deps.runtime.get('room', roomId);
      const matchmakerId = (room?.snapshot.context as { matchmakerId?: number } | undefined)?.matchmakerId;
      return sendAsAdmin(
        'room',
        roomId,
        { type: 'LEAVE_SEAT', userId, by: matchmakerId ?? 0 },
        'room.remove_from_mic',
        command,
        { userId },
      );
    },

    /** Sends a member out of the room (LEAVE, off the mic first), as if he had left himself. */
    async removeFromRoom(roomId: string, userId: number, command: AdminCommand) {
      const result = await sendAsAdmin(
        'room',
        roomId,
        { type: 'LEAVE', userId },
        'room.remove_member',
        command,
        { userId },
      );
      await deps.roomIndex.leave(userId, roomId);
      return result;
    },
  };
}

export type MachineActions = ReturnType<typeof createMachineActions>;
