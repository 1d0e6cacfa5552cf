import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, StringEnum } from '../http/schemas.js';

import {
  ArchiveRowSchema,
  ErrorResponse,
  InstanceId,
  Kind,
  LedgerPageSchema,
  MachineDetailSchema,
  MachineSummarySchema,
  VersionViewSchema,
} from './admin-schemas.js';
import { MACHINE_KINDS, PANEL_MACHINES, type PanelKind } from './machine-registry.js';
import { LEDGER_PAGE, type MachinesService } from './machines.service.js';
import type { Search } from './search.js';
import { type StateChart, stateChartOf } from './state-chart/index.js';

/** Read-only views of the machines: the live table, one instance, the archive, the state charts. */
export const adminMachineRoutes: FastifyPluginAsyncTypebox<{
  machines: MachinesService;
  search: Search;
}> = async (app, { machines, search }) => {
  const common = { tags: ['admin: machines'], security: [{ adminBearer: [] }] };
  // A chart depends only on the machine definition: generated once per kind.
  const charts = new Map<string, StateChart>();
  const chartOf = (kind: PanelKind): StateChart => {
    let chart = charts.get(kind);
    if (!chart) {
      chart = stateChartOf(PANEL_MACHINES[kind].machine);
      charts.set(kind, chart);
    }
    return chart;
  };

  app.get(
    '/machines',
    {
      schema: {
        ...common,
        description:
          'Active instances (newest change first), optionally of one kind, in one state, or with a user as a party.',
        querystring: Type.Object({
          kind: Type.Optional(Kind),
          state: Type.Optional(Type.String({ maxLength: 64 })),
          user: Type.Optional(Id),
        }),
        response: { 200: Type.Object({ machines: Type.Array(MachineSummarySchema) }) },
      },
    },
    async (request) => ({ machines: await machines.listActive(request.query) }),
  );

  app.get(
    '/machines/:kind/:id',
    {
      schema: {
        ...common,
        description:
          'One instance: from Redis while it runs (and an hour after), from the Postgres archive after that.',
        params: Type.Object({ kind: Kind, id: InstanceId }),
        response: { 200: MachineDetailSchema, 404: ErrorResponse },
      },
    },
    async (request) => machines.detail(request.params.kind, request.params.id),
  );

  app.get(
    '/machines/:kind/:id/ledger',
    {
      schema: {
        ...common,
        description:
          'The ledger movements of an instance (reference `<kind>:<id>`), newest first, a page at a time: pass ' +
          '`nextBefore` back as `before`. With the totals over all of them.',
        params: Type.Object({ kind: Kind, id: InstanceId }),
        querystring: Type.Object({
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: LEDGER_PAGE }),
        }),
        response: { 200: LedgerPageSchema },
      },
    },
    async (request) => machines.ledgerPage(request.params.kind, request.params.id, request.query),
  );

  app.get(
    '/machines/:kind/:id/versions/:version',
    {
      schema: {
        ...common,
        description:
          'Time travel: the instance as it was at one version of its history (replayed from the history with ' +
          'the machine itself): its state, the path so far, its context, and what that transition changed.',
        params: Type.Object({ kind: Kind, id: InstanceId, version: Type.Integer({ minimum: 1 }) }),
        response: { 200: VersionViewSchema, 404: ErrorResponse },
      },
    },
    async (request) => machines.version(request.params.kind, request.params.id, request.params.version),
  );

  app.get(
    '/archives',
    {
      schema: {
        ...common,
        description:
          'Finished instances from the Postgres archive, newest first, a page at a time: pass `nextCursor` ' +
          'back as `cursor` for the next (older) page; null on the last. `from`/`to` bound the time it ' +
          'finished (epoch ms, `to` exclusive).',
        querystring: Type.Object({
          kind: Type.Optional(Kind),
          user: Type.Optional(Id),
          endReason: Type.Optional(Type.String({ pattern: '^[a-z_]{1,64}$' })),
          from: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 })),
          to: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 })),
          cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,512}$' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: {
          200: Type.Object({
            machines: Type.Array(ArchiveRowSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ErrorResponse,
        },
      },
    },
    async (request) => machines.listArchived(request.query),
  );

  app.get(
    '/kinds',
    {
      schema: {
        ...common,
        description: 'The machine kinds the panel shows, with their states and the reasons they end for.',
        response: {
          200: Type.Object({
            kinds: Type.Array(
              Type.Object({
                kind: Kind,
                states: Type.Array(Type.String()),
                endReasons: Type.Array(Type.String()),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      kinds: MACHINE_KINDS.map((kind) => ({
        kind,
        states: chartOf(kind).graph.states.map((state) => String((state as { key: string }).key)),
        endReasons: [...PANEL_MACHINES[kind].endReasons],
      })),
    }),
  );

  app.get(
    '/search',
    {
      schema: {
        ...common,
        description:
          'One search box: a call id, `call_<id>`, a room id, any instance id, a user id, a nickname (part of it) ' +
          'or a WeChat openid. Every match, machines first.',
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                type: StringEnum(['machine', 'user'] as const),
                kind: Type.Optional(Type.String()),
                id: Type.String(),
                label: Type.String(),
                matched: Type.String(),
              }),
            ),
          }),
          400: ErrorResponse,
        },
      },
    },
    async (request) => ({ results: await search(request.query.q) }),
  );

  app.get(
    '/charts/:kind',
    {
      schema: {
        ...common,
        description: "The machine's state chart generated from its xstate definition: the graph and an SVG.",
        params: Type.Object({ kind: Kind }),
        response: {
          200: Type.Object({
            kind: Kind,
            graph: Type.Object({
              machineId: Type.String(),
              initial: Type.Union([Type.String(), Type.Null()]),
              states: Type.Array(Type.Unknown()),
            }),
            svg: Type.String(),
          }),
        },
      },
    },
    async (request) => ({ kind: request.params.kind, ...chartOf(request.params.kind) }),
  );
};
