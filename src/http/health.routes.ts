import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

export interface HealthProbes {
  postgres(): Promise<void>;
  redis(): Promise<void>;
}

const Status = Type.Union([Type.Literal('up'), Type.Literal('down')]);
const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  postgres: Status,
  redis: Status,
});

async function probe(check: () => Promise<void>, timeoutMs: number): Promise<'up' | 'down'> {
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return 'up';
  } catch {
    return 'down';
  }
}

/** 200 when both Postgres and Redis answer, 503 otherwise: what a load balancer asks. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ probes: HealthProbes }> = async (app, { probes }) => {
  app.get(
    '/healthz',
    {
      schema: { tags: ['operations'], response: { 200: HealthResponse, 503: HealthResponse } },
      config: { auth: false },
    },
    async (_request, reply) => {
      const [postgres, redis] = await Promise.all([
        probe(probes.postgres, 2_000),
        probe(probes.redis, 2_000),
      ]);
      const healthy = postgres === 'up' && redis === 'up';
      return reply
        .status(healthy ? 200 : 503)
        .send({ status: healthy ? 'ok' : 'unavailable', postgres, redis });
    },
  );
};
