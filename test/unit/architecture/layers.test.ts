import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The layers README's "Architecture" draws, as import rules over the real import graph (madge,
 * type-only imports included: a route that names `Db` may touch the database):
 *
 *   server / seed → app → context (the one composition root) → route plugins → domain services
 *   → runtime and adapters (redis, db, tencent, wechat, realtime) → machines (pure)
 */

type Graph = Record<string, string[]>;
let graph: Graph;

const ENTRY_POINTS = ['src/server.ts', 'src/seed.ts', 'src/app.ts'];
const ROUTE_FILE = /^src\/http\/|^src\/admin\/.*\.routes\.ts$/;
const STORAGE = /^src\/db\/|^src\/context\.ts$|^node_modules\/(drizzle-orm|pg|ioredis|bullmq)\//;

/** The API a file serves, when it belongs to one: each API's routes stand beside the others. */
function apiOf(file: string): string | null {
  const http = /^src\/http\/(paid-call|qlive|roomservice)\//.exec(file);
  if (http) return http[1] ?? null;
  return file.startsWith('src/admin/') ? 'admin' : null;
}

/** Files below the routes: every src/ file that is neither an entry point, a tool, the root nor an API's. */
const isBelowRoutes = (file: string) =>
  file.startsWith('src/') &&
  !ENTRY_POINTS.includes(file) &&
  !file.startsWith('src/dev/') &&
  file !== 'src/context.ts' &&
  !file.startsWith('src/http/') &&
  !file.startsWith('src/admin/');

function violations(rule: (file: string, dependency: string) => boolean): string[] {
  return Object.entries(graph).flatMap(([file, dependencies]) =>
    dependencies
      .filter((dependency) => rule(file, dependency))
      .map((dependency) => `${file} → ${dependency}`),
  );
}

beforeAll(async () => {
  const result = await madge(['src', 'machines'], {
    baseDir: '.',
    fileExtensions: ['ts'],
    tsConfig: 'tsconfig.json',
    includeNpm: true,
  });
  graph = result.obj();
}, 60_000);

describe('import layers', () => {
  it('reads the real graph (the rules below are not vacuous)', () => {
    expect(graph['src/app.ts']).toContain('src/context.ts');
    expect(graph['src/http/qlive/rooms.routes.ts']).toContain('src/rooms/index.ts');
    expect(graph['src/admin/search.ts']).toContain('src/db/client.ts');
    expect(Object.keys(graph).filter((file) => ROUTE_FILE.test(file)).length).toBeGreaterThan(25);
  });

  it('only the entry points import the composition root', () => {
    expect(
      violations((file, dependency) => dependency === 'src/context.ts' && !ENTRY_POINTS.includes(file)),
    ).toEqual([]);
  });

  it('route plugins import neither the context, the database nor a storage client', () => {
    expect(violations((file, dependency) => ROUTE_FILE.test(file) && STORAGE.test(dependency))).toEqual([]);
  });

  it("an API's routes never import another API's folder", () => {
    expect(
      violations((file, dependency) => {
        const from = apiOf(file);
        const to = apiOf(dependency);
        return from !== null && to !== null && from !== to;
      }),
    ).toEqual([]);
  });

  it('domain services and adapters never import a route, an API folder or the root', () => {
    expect(
      violations(
        (file, dependency) =>
          isBelowRoutes(file) &&
          (dependency.startsWith('src/http/') ||
            dependency.startsWith('src/admin/') ||
            dependency === 'src/context.ts' ||
            ENTRY_POINTS.includes(dependency)),
      ),
    ).toEqual([]);
  });

  it('machines import only machines and xstate', () => {
    expect(
      violations(
        (file, dependency) =>
          file.startsWith('machines/') &&
          !dependency.startsWith('machines/') &&
          !dependency.startsWith('node_modules/xstate/'),
      ),
    ).toEqual([]);
  });
});
