import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * ADMIN_TOKEN when set; otherwise one generated on first start and kept (mode 0600) under DATA_DIR,
 * so `npm run seed` and a restarted server agree on it. `generated` says whether to print it.
 */
export async function resolveAdminToken(
  configured: string | undefined,
  dataDir: string,
): Promise<{ token: string; generated: boolean }> {
  if (configured) return { token: configured, generated: false };
  const file = adminTokenFile(dataDir);
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 16) return { token: stored, generated: true };
  } catch {}
  const token = randomBytes(24).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

export const adminTokenFile = (dataDir: string) => path.resolve(dataDir, 'admin-token');
