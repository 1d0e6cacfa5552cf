/**
 * `npm run docs:endpoints`: boots the server in this process (a throwaway DATA_DIR: embedded PGlite
 * and a private Redis unless DATABASE_URL / REDIS_URL say otherwise), reads its OpenAPI document and
 * writes the endpoint table into README.md. `--check` only says whether the README is current.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../server.js';
import { type OpenApiDocument, renderEndpointTable, withEndpointTable } from './endpoints-table.js';

const check = process.argv.includes('--check');
const dataDir = await mkdtemp(path.join(tmpdir(), 'co-docs-'));
const server = await startServer({
  env: {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    REDIS_PREFIX: `docs_${process.pid}:`,
    ADMIN_TOKEN: 'docs-endpoints-generator-token',
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
  },
  logger: false,
});
let table: string;
try {
  table = renderEndpointTable((await (await fetch(`${server.url}/docs/json`)).json()) as OpenApiDocument);
} finally {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}
const readme = await readFile('README.md', 'utf8');
const updated = withEndpointTable(readme, table);
if (updated === undefined) {
  console.error('README.md has no endpoint table markers');
  process.exit(1);
}
if (check) {
  console.log(updated === readme ? 'README endpoint table is current' : 'README endpoint table is stale');
  process.exit(updated === readme ? 0 : 1);
}
await writeFile('README.md', updated);
console.log(
  `README.md: ${table.split('\n').filter((line) => line.startsWith('| `')).length} endpoints written`,
);
