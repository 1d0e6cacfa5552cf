import http from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  durationMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * A closed-loop HTTP load: `connections` keep-alive connections, each sending the next request as soon
 * as the last answered, for `durationMs`. Latencies are per request.
 */
export async function runHttpLoad(options: {
  url: string;
  method: 'GET' | 'POST';
  body?: (i: number) => unknown;
  /** The i-th request's path and query (default: the url's). */
  path?: (i: number) => string;
  /** Whether an answer counts as a success (default: any status below 400). */
  accept?: (body: string, status: number) => boolean;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const one = () =>
    new Promise<void>((resolve) => {
      const i = counter++;
      const payload = options.body ? JSON.stringify(options.body(i)) : undefined;
      const sent = performance.now();
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: options.path ? options.path(i) : target.pathname + target.search,
          method: options.method,
          agent,
          headers: {
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
            ...options.headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          if (options.accept) response.on('data', (chunk: Buffer) => chunks.push(chunk));
          else response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 500;
            const ok = options.accept
              ? options.accept(Buffer.concat(chunks).toString('utf8'), status)
              : status < 400;
            if (!ok) errors++;
            latencies.push(performance.now() - sent);
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      if (payload) request.write(payload);
      request.end();
    });

  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const durationMs = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    durationMs,
    rps: (latencies.length / durationMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
