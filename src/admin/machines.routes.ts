import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id } from '../http/schemas.js';
import {
  ErrorResponse,
  InstanceId,
  Kind,
  MachineDetailSchema,
  MachineSummarySchema,
} from './admin-schemas.js';
import { PANEL_MACHINES } from './machine-registry.js';
import type { MachinesService } from './machines.service.js';
import { type StateChart, stateChartOf } from './state-chart/index.js';

/** Read-only views of the machines: the live table, one instance, the archive, the state charts. */
export const adminMachineRoutes: FastifyPluginAsyncTypebox<{ machines: MachinesService }> = async (
  app,
  { machines },
) => {
  const common = { tags: ['admin: machines'], security: [{ adminBearer: [] }] };
  // A chart depends only on the machine definition: generated once per kind.
  const charts = new Map<string, StateChart>();

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
    '/archives',
    {
      schema: {
        ...common,
        description: 'Finished instances from the Postgres archive, newest first.',
        querystring: Type.Object({
          kind: Type.Optional(Kind),
          user: Type.Optional(Id),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: { 200: Type.Object({ machines: Type.Array(MachineSummarySchema) }) },
      },
    },
    async (request) => ({ machines: await machines.listArchived(request.query) }),
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
    async (request) => {
      const { kind } = request.params;
      let chart = charts.get(kind);
      if (!chart) {
        chart = stateChartOf(PANEL_MACHINES[kind].machine);
        charts.set(kind, chart);
      }
      return { kind, ...chart };
    },
  );
};
