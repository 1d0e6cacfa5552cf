/**
 * The panel's one search box: a call id, `call_<id>` (the apps' room name for a call), a room id,
 * any machine instance id, a user id, a nickname or a WeChat openid. Everything that matches is
 * answered, each with where the panel shows it.
 */
import { eq, ilike, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { users } from '../db/schema/index.js';
import type { MachineRuntime } from '../runtime/index.js';
import type { MachineArchivesRepository } from './machine-archives.repository.js';
import { MACHINE_KINDS, type PanelKind } from './machine-registry.js';

export interface SearchHit {
  type: 'machine' | 'user';
  /** For a machine: its kind. */
  kind?: string;
  id: string;
  /** What matched and how it reads: `call 1000001 (settled)`, `user 12 · Xiaomei (anchor)`. */
  label: string;
  /** Why it matched: `id`, `call_<id>`, `nickname`, `openid`. */
  matched: string;
}

const INSTANCE_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const USER_ID = /^[0-9]{1,15}$/;
/** `call_123` (the TRTC room name of a call) and `anchor_12` (an anchor's standing room) name their number. */
const PREFIXED = /^(call|anchor|room|user)_([0-9]{1,19})$/;

export function createSearch(deps: {
  db: Db;
  runtime: MachineRuntime<PanelKind>;
  archives: MachineArchivesRepository;
}) {
  const { db } = deps;

  async function machine(kind: PanelKind, id: string, matched: string): Promise<SearchHit | null> {
    const live = await deps.runtime.get(kind, id);
    if (live) return { type: 'machine', kind, id, label: `${kind} ${id} (live)`, matched };
    const archived = await deps.archives.find(kind, id);
    if (archived)
      return { type: 'machine', kind, id, label: `${kind} ${id} (${archived.finalState})`, matched };
    return null;
  }

  const userHit = (user: { id: number; nickname: string; role: string }, matched: string): SearchHit => ({
    type: 'user',
    id: String(user.id),
    label: `user ${user.id}${user.nickname ? ` · ${user.nickname}` : ''} (${user.role})`,
    matched,
  });

  return async function search(query: string, limit = 20): Promise<SearchHit[]> {
    const q = query.trim();
    const hits: (SearchHit | null)[] = [];
    const prefixed = q.match(PREFIXED);
    if (prefixed) {
      const [, prefix, number] = prefixed as unknown as [string, string, string];
      if (prefix === 'user') {
        const [user] = await db
          .select()
          .from(users)
          .where(eq(users.id, Number(number)));
        if (user) hits.push(userHit(user, 'id'));
      } else if (prefix === 'anchor') {
        const [user] = await db
          .select()
          .from(users)
          .where(eq(users.id, Number(number)));
        if (user) hits.push(userHit(user, `${prefix}_<id>`));
      } else {
        const kind = (MACHINE_KINDS as readonly string[]).includes(prefix) ? (prefix as PanelKind) : null;
        if (kind) hits.push(await machine(kind, number, `${prefix}_<id>`));
      }
    }
    if (INSTANCE_ID.test(q)) {
      hits.push(...(await Promise.all(MACHINE_KINDS.map((kind) => machine(kind, q, 'id')))));
    }
    if (USER_ID.test(q)) {
      const [user] = await db
        .select()
        .from(users)
        .where(eq(users.id, Number(q)));
      if (user) hits.push(userHit(user, 'id'));
    }
    if (q.length > 0) {
      const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const found = await db
        .select({ id: users.id, nickname: users.nickname, role: users.role, openid: users.wechatOpenid })
        .from(users)
        .where(or(eq(users.wechatOpenid, q), ilike(users.nickname, pattern)))
        .orderBy(users.id)
        .limit(limit);
      for (const user of found) hits.push(userHit(user, user.openid === q ? 'openid' : 'nickname'));
    }
    const seen = new Set<string>();
    return hits
      .filter((hit): hit is SearchHit => hit !== null)
      .filter((hit) => {
        const key = `${hit.type}:${hit.kind ?? ''}:${hit.id}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .slice(0, limit);
  };
}

export type Search = ReturnType<typeof createSearch>;
