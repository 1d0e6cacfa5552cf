/**
 * `npm run seed`: creates a demo set through the running server's admin API (an anchor, two guests,
 * a matchmaker, gifts) and prints their tokens. Going through HTTP keeps it safe with embedded PGlite,
 * which only one process may open.
 */
import { readFile } from 'node:fs/promises';
import { adminTokenFile } from './admin/admin-token.js';
import { ConfigError, loadConfig } from './config/index.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const baseUrl =
    process.env.SEED_URL ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const adminToken =
    config.adminToken ?? (await readFile(adminTokenFile(config.dataDir), 'utf8').catch(() => '')).trim();
  if (!adminToken) {
    throw new Error(
      `No ADMIN_TOKEN set and none generated yet in ${config.dataDir}: start the server first (npm start).`,
    );
  }
  const post = async (path: string, body: unknown) => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(body),
      });
    } catch {
      throw new Error(
        `The server does not answer at ${baseUrl}: start it first (npm start) or set SEED_URL.`,
      );
    }
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    return answer;
  };

  const people = [
    {
      label: 'anchor',
      body: { role: 'anchor', nickname: 'Xiaomei', age: 24, gender: 2, unitPrice: 30, point: 0 },
    },
    { label: 'guest 1', body: { role: 'guest', nickname: 'Dawei', age: 31, gender: 1, diamond: 1000 } },
    {
      label: 'guest 2',
      body: { role: 'guest', nickname: 'Jun', age: 28, gender: 1, diamond: 200, gold: 500 },
    },
    { label: 'matchmaker', body: { role: 'matchmaker', nickname: 'Auntie Wang', age: 50, gender: 2 } },
  ];
  console.log(`Seeding ${baseUrl}`);
  for (const person of people) {
    const { userId, token } = await post('/admin/api/users', person.body);
    console.log(`${person.label.padEnd(11)} userId=${userId} token=${token}`);
  }
  const gifts = [
    { name: 'Rose', imgUrl: 'https://img.example.com/gifts/rose.png', cost: 10, effect: 'petals' },
    { name: 'Heart', imgUrl: 'https://img.example.com/gifts/heart.png', cost: 50, effect: 'hearts' },
    { name: 'Sports car', imgUrl: 'https://img.example.com/gifts/car.png', cost: 1000, effect: 'car' },
  ];
  for (const gift of gifts) {
    const { giftId } = await post('/admin/api/gifts', gift);
    console.log(`gift        giftId=${giftId} ${gift.name} (${gift.cost})`);
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : `seed failed: ${(error as Error).message}`);
  process.exit(1);
});
