/**
 * A tiny machine for the runtime tests, so they do not depend on the call or room machines:
 * a door `closed --OPEN--> open --after closeMs--> closed`, a counter (`INC` anywhere), a named
 * effect `record`, an explicitly named delayed raise (`bell`, id `bell-<n>`) and a final state.
 */
import { assign, enqueueActions, type SnapshotFrom, setup } from 'xstate';

export interface DoorContext {
  count: number;
  opens: number;
  bells: number;
  closeMs: number;
}

export type DoorEvent =
  | { type: 'OPEN'; at?: number }
  | { type: 'CLOSE'; at?: number }
  | { type: 'INC'; at?: number }
  | { type: 'RING'; at?: number }
  | { type: 'BELL'; n: number; at?: number }
  | { type: 'FINISH'; at?: number };

export const doorMachine = setup({
  types: {
    context: {} as DoorContext,
    events: {} as DoorEvent,
    input: {} as { closeMs?: number },
  },
  actions: {
    record: (_, _params: { what: string; count: number }) => {},
    ringLater: enqueueActions(({ context, enqueue }) => {
      const n = context.bells + 1;
      enqueue.raise({ type: 'BELL', n }, { id: `bell-${n}`, delay: 'closeDelay' });
    }),
  },
  delays: {
    closeDelay: ({ context }) => context.closeMs,
  },
}).createMachine({
  id: 'door',
  context: ({ input }) => ({ count: 0, opens: 0, bells: 0, closeMs: input?.closeMs ?? 200 }),
  initial: 'closed',
  on: {
    INC: {
      actions: [
        assign({ count: ({ context }) => context.count + 1 }),
        { type: 'record', params: ({ context }) => ({ what: 'inc', count: context.count }) },
      ],
    },
    // Accepted in every non-final state: only the runtime's armed-timer check stops a stale BELL.
    BELL: { actions: assign({ bells: ({ event }) => event.n }) },
    FINISH: '.finished',
  },
  states: {
    closed: {
      on: { OPEN: 'open', RING: { actions: 'ringLater' } },
    },
    open: {
      entry: [
        assign({ opens: ({ context }) => context.opens + 1 }),
        { type: 'record', params: ({ context }) => ({ what: 'opened', count: context.opens }) },
      ],
      after: { closeDelay: 'closed' },
      on: { CLOSE: 'closed' },
    },
    finished: {
      type: 'final',
      entry: { type: 'record', params: ({ context }) => ({ what: 'finished', count: context.count }) },
    },
  },
});

export type DoorSnapshot = SnapshotFrom<typeof doorMachine>;

export const doorView = (snapshot: DoorSnapshot) => ({
  state: snapshot.value,
  count: snapshot.context.count,
  opens: snapshot.context.opens,
});
