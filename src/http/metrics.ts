import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * A registry per app instance, so several apps in one test process do not share counters.
 * `statementsSent` reads the database's own count (see db/statement-count.ts) at each scrape.
 */
export function createMetricsRegistry(sources: { statementsSent(): number | null }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: 'pg_statements_sent_total',
    help: 'Statements this process sent to Postgres, each one round trip (0 on the embedded PGlite, which is not counted)',
    registers: [registry],
    collect() {
      const sent = sources.statementsSent();
      this.reset();
      if (sent !== null) this.inc(sent);
    },
  });
  return registry;
}

/** `token`: the bearer /metrics requires (null: none); not `enabled`: no /metrics at all. */
export function registerMetrics(
  app: FastifyInstance,
  registry: Registry,
  access: { enabled: boolean; token: string | null },
): void {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  if (!access.enabled) return;
  const expected = access.token === null ? null : Buffer.from(`Bearer ${access.token}`);
  app.get('/metrics', { schema: { hide: true }, config: { auth: false } }, async (request, reply) => {
    if (expected) {
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        reply.header('www-authenticate', 'Bearer');
        return reply.status(401).send({ code: 401, message: 'metrics need the METRICS_TOKEN bearer token' });
      }
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
