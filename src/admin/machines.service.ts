/**
 * What the panel reads about machines: the live table (every active instance, from Redis), one
 * instance in full (snapshot, context, history, the events it takes now; from Redis while it is
 * there, from the Postgres archive after), and the recently finished ones.
 */

import { inArray } from 'drizzle-orm';
import type { AnyMachineSnapshot } from 'xstate';
import type { CallRecordsRepository } from '../calls/call-records.repository.js';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema/index.js';
import { notFound } from '../errors.js';
import type { AdminActionRow, AdminActionsRepository } from '../moderation/admin-actions.repository.js';
import type { ArmedTimer, MachineRuntime, TransitionRecord } from '../runtime/index.js';
import type { ArchiveFilter, MachineArchivesRepository } from './machine-archives.repository.js';
import { KIND_INSIGHTS, type Member, type SummaryFact } from './machine-insights.js';
import {
  type AcceptedEvent,
  acceptedEvents,
  activeNodesOf,
  adminActionsOf,
} from './machine-introspection.js';
import { type LedgerPage, machineLedger } from './machine-ledger.js';
import { MACHINE_KINDS, PANEL_MACHINES, type PanelKind, type Party, stateName } from './machine-registry.js';
import { type VersionView, versionOf } from './time-travel.js';

/** Every balance of these users, per user id and currency. */
async function balancesOf(db: Db, userIds: number[]): Promise<Map<number, Record<string, number>>> {
  const balances = new Map<number, Record<string, number>>();
  if (userIds.length === 0) return balances;
  const rows = await db
    .select({ userId: accounts.userId, currency: accounts.currency, balance: accounts.balance })
    .from(accounts)
    .where(inArray(accounts.userId, [...new Set(userIds)]));
  for (const row of rows) {
    if (row.userId === null) continue;
    balances.set(row.userId, { ...balances.get(row.userId), [row.currency]: row.balance });
  }
  return balances;
}

export interface MachineSummary {
  kind: PanelKind;
  id: string;
  state: string;
  final: boolean;
  /** The instance version (+1 per applied event), from the archive: the last transition's. */
  version: number;
  parties: Party[];
  /** When the instance entered its current state (epoch ms). */
  since: number;
  updatedAt: number;
  lastEvent: { type: string; at: number; actor: string } | null;
}

/** A finished machine as the archive lists it: how it ended, what it cost, how long it took. */
export interface ArchiveRow extends MachineSummary {
  endReason: string | null;
  /** A call's paid minutes (its settlement, or the context's count before one). */
  minutes: number | null;
  /** What the guest paid and the anchor earned (a call's settlement). */
  diamonds: number | null;
  points: number | null;
  /** From creation to the end (epoch ms). */
  startedAt: number | null;
  endedAt: number;
  durationMs: number | null;
}

export interface MachineDetail extends MachineSummary {
  source: 'live' | 'archive';
  status: string;
  /** Ids of the active state nodes, as the chart names them (`call.live`). */
  activeStateIds: string[];
  /** The snapshot as persisted (`getPersistedSnapshot`: value, context, status, ...). */
  snapshot: unknown;
  context: unknown;
  view: unknown;
  history: TransitionRecord[];
  /** The events the current state handles; empty once final. */
  accepts: AcceptedEvent[];
  /** Which admin actions the machine would take now (snapshot.can with the exact event). */
  adminActions: { hangup: boolean; end: boolean; ban: number[] };
  record: Record<string, unknown> | null;
  /** The money it moved: totals, and the newest movements (older ones: `ledgerPage`). */
  ledger: LedgerPage;
  /** Minutes, money, deadlines: what an operator wants first (per kind, see machine-insights.ts). */
  summary: SummaryFact[];
  /** Its armed timers, each with its BullMQ job as the queue has it. */
  timers: ArmedTimer[];
  /** A room's people with the per-member actions the machine would take now; null for other kinds. */
  members: Member[] | null;
  actions: AdminActionRow[];
}

/** How many ledger movements a page holds (the detail carries the first). */
export const LEDGER_PAGE = 20;

export interface MachinesServiceDeps {
  db: Db;
  runtime: MachineRuntime<PanelKind>;
  archives: MachineArchivesRepository;
  callRecords: CallRecordsRepository;
  adminActions: AdminActionsRepository;
}

const sameState = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The transition that entered the current state, and the last one. */
function landmarksOf(history: TransitionRecord[]) {
  return {
    entered: history.findLast((record) => record.from === null || !sameState(record.from, record.to)) ?? null,
    last: history[history.length - 1] ?? null,
  };
}

function summarize(
  kind: PanelKind,
  id: string,
  snapshot: AnyMachineSnapshot,
  { entered, last }: { entered: TransitionRecord | null; last: TransitionRecord | null },
  updatedAt: number,
  version: number,
): MachineSummary {
  return {
    kind,
    id,
    state: stateName(snapshot.value),
    final: snapshot.status === 'done',
    version,
    parties: PANEL_MACHINES[kind].parties(snapshot),
    since: entered?.at ?? updatedAt,
    updatedAt,
    lastEvent: last ? { type: last.event.type, at: last.at, actor: last.actor } : null,
  };
}

const plain = (row: object) =>
  Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key, value instanceof Date ? value.getTime() : value]),
  );

/** Runs `work` over `items`, at most `limit` at a time (the table reads every active instance). */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += limit) {
    results.push(...(await Promise.all(items.slice(start, start + limit).map(work))));
  }
  return results;
}

export function createMachinesService(deps: MachinesServiceDeps) {
  const { runtime } = deps;

  async function liveSummary(kind: PanelKind, id: string): Promise<MachineSummary | null> {
    const [instance, landmarks] = await Promise.all([
      runtime.get(kind, id),
      deps.runtime.recentHistory(kind, id),
    ]);
    return instance
      ? summarize(kind, id, instance.snapshot, landmarks, instance.updatedAt, instance.version)
      : null;
  }

  /** An instance from Redis while it is there, from the Postgres archive after. */
  async function load(kind: PanelKind, id: string) {
    const live = await runtime.get(kind, id);
    if (live) {
      return {
        live: true,
        snapshot: live.snapshot,
        history: await runtime.history(kind, id),
        updatedAt: live.updatedAt,
        version: live.version,
      };
    }
    const archived = await deps.archives.find(kind, id);
    if (!archived) throw notFound(`no ${kind} ${id}`, 'id');
    return {
      live: false,
      snapshot: deps.runtime.restore(kind, archived.snapshot),
      history: archived.history,
      updatedAt: archived.archivedAt.getTime(),
      version: archived.history[archived.history.length - 1]?.version ?? 0,
    };
  }

  return {
    async listActive(filter: { kind?: PanelKind; state?: string; user?: number }): Promise<MachineSummary[]> {
      const kinds = filter.kind ? [filter.kind] : [...MACHINE_KINDS];
      const ids = (
        await Promise.all(
          kinds.map(async (kind) => (await runtime.listActive(kind)).map((id) => ({ kind, id }))),
        )
      ).flat();
      const summaries = await mapLimited(ids, 25, ({ kind, id }) => liveSummary(kind, id));
      return summaries
        .filter((summary): summary is MachineSummary => summary !== null)
        .filter((summary) => !filter.state || summary.state === filter.state)
        .filter(
          (summary) =>
            filter.user === undefined || summary.parties.some((party) => party.userId === filter.user),
        )
        .sort((a, b) => b.updatedAt - a.updatedAt);
    },

    /** One page of the archive, newest first, with what each machine ended as and what it cost. */
    async listArchived(
      filter: ArchiveFilter,
    ): Promise<{ machines: ArchiveRow[]; nextCursor: string | null }> {
      const page = await deps.archives.list(filter);
      const machines = page.rows.flatMap((row): ArchiveRow[] => {
        const kind = row.kind as PanelKind;
        if (!PANEL_MACHINES[kind]) return [];
        const snapshot = deps.runtime.restore(kind, row.snapshot);
        const version = row.tail[row.tail.length - 1]?.version ?? 0;
        const summary = summarize(
          kind,
          row.id,
          snapshot,
          landmarksOf(row.tail),
          row.archivedAt.getTime(),
          version,
        );
        const context = snapshot.context as Record<string, unknown>;
        const number = (value: unknown) => (typeof value === 'number' ? value : null);
        const startedAt = number(context.at);
        const endedAt = number(context.endedAt) ?? row.archivedAt.getTime();
        return [
          {
            ...summary,
            endReason:
              row.settlement?.endReason ?? (typeof context.endReason === 'string' ? context.endReason : null),
            minutes: row.settlement?.minutes ?? number(context.minutesStarted),
            diamonds: row.settlement?.diamonds ?? null,
            points: row.settlement?.points ?? null,
            startedAt,
            endedAt,
            durationMs: startedAt === null ? null : Math.max(0, endedAt - startedAt),
          },
        ];
      });
      return { machines, nextCursor: page.nextCursor };
    },

    async detail(kind: PanelKind, id: string): Promise<MachineDetail> {
      const { machine, view } = PANEL_MACHINES[kind];
      const { live, snapshot, history, updatedAt, version } = await load(kind, id);
      const summary = summarize(kind, id, snapshot, landmarksOf(history), updatedAt, version);
      const [record, ledger, actions, timers, balances] = await Promise.all([
        kind === 'call' ? deps.callRecords.find(Number(id)) : Promise.resolve(null),
        machineLedger(deps.db, `${kind}:${id}`, { limit: LEDGER_PAGE }),
        deps.adminActions.listFor(kind, id),
        live ? runtime.timers(kind, id) : Promise.resolve([]),
        balancesOf(
          deps.db,
          summary.parties.map((party) => party.userId),
        ),
      ]);
      const insights = KIND_INSIGHTS[kind];
      return {
        ...summary,
        source: live ? 'live' : 'archive',
        status: snapshot.status,
        activeStateIds: activeNodesOf(snapshot).map((node) => node.id),
        snapshot: machine.getPersistedSnapshot(snapshot),
        context: snapshot.context,
        view: view(snapshot),
        history,
        accepts: acceptedEvents(kind, snapshot),
        adminActions: adminActionsOf(kind, snapshot, summary.parties),
        record: record ? plain(record) : null,
        ledger,
        summary: insights.summary({ snapshot, ledger: ledger.totals, balances }),
        timers,
        members: insights.members?.(snapshot) ?? null,
        actions,
      };
    },

    /** Older ledger movements of an instance, newest first. */
    ledgerPage: (kind: PanelKind, id: string, page: { before?: number | undefined; limit: number }) =>
      machineLedger(deps.db, `${kind}:${id}`, page),

    /** The instance as it was at `version`, replayed from its history; 404 for a version it never had. */
    async version(kind: PanelKind, id: string, version: number): Promise<VersionView> {
      const { snapshot, history } = await load(kind, id);
      const view = versionOf(kind, snapshot, history, version);
      if (!view) throw notFound(`${kind} ${id} has no version ${version}`, 'version');
      return view;
    },
  };
}

export type MachinesService = ReturnType<typeof createMachinesService>;
