import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';

/**
 * Which test databases this machine's test processes created and have not dropped yet: one file per
 * creating process, a `+name` line when it creates one and a `-name` line when it drops it. The
 * suite only ever drops what a ledger lists, never databases matched by name, so a newcomer's own
 * `t_something` or another machine's run on a shared Postgres is never touched.
 */
export const LEDGER_DIR =
  process.env.TEST_DATABASE_LEDGER_DIR ?? path.join(tmpdir(), 'call-orchestrator-test-databases');

function ledgerFile(pid: number): string {
  return path.join(LEDGER_DIR, `${pid}.ledger`);
}

export function recordCreated(name: string): void {
  mkdirSync(LEDGER_DIR, { recursive: true });
  appendFileSync(ledgerFile(process.pid), `+${name}\n`);
}

export function recordDropped(name: string): void {
  appendFileSync(ledgerFile(process.pid), `-${name}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Databases created by test processes that have exited without dropping them (an interrupted run). */
export function leftBehind(dir = LEDGER_DIR): { names: string[]; forget(): void } {
  const files: string[] = [];
  const names = new Set<string>();
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return { names: [], forget: () => {} };
  }
  for (const entry of entries) {
    const pid = Number(entry.replace(/\.ledger$/, ''));
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    const file = path.join(dir, entry);
    files.push(file);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('+')) names.add(line.slice(1));
      else if (line.startsWith('-')) names.delete(line.slice(1));
    }
  }
  return {
    names: [...names],
    forget: () => {
      for (const file of files) rmSync(file, { force: true });
    },
  };
}

/** Drops the databases an interrupted run of this machine created (its ledger says so), and only those. */
export async function dropLeftBehind(client: pg.Client, dir = LEDGER_DIR): Promise<string[]> {
  const stale = leftBehind(dir);
  for (const name of stale.names) {
    await client.query(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`);
  }
  stale.forget();
  return stale.names;
}
