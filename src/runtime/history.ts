/**
 * The per-instance history stream (`<prefix>h:{kind:id}`): one entry per applied event, written by
 * the save script in the same atomic step as the snapshot. Fields: v, type, event (JSON), from
 * (JSON state value, '' on create), to (JSON state value), actor, at. The admin panel reads it;
 * `onFinal` gets all of it for the archive.
 */
import type { StateValue } from 'xstate';
import type { RuntimeEvent, TransitionRecord } from './types.js';

/** ARGV 11..16 of the save script, in order. */
export function historyArgs(record: TransitionRecord): string[] {
  return [
    record.event.type,
    JSON.stringify(record.event),
    record.from === null ? '' : JSON.stringify(record.from),
    JSON.stringify(record.to),
    record.actor,
    String(record.at),
  ];
}

type StreamEntry = [id: string, fields: string[]];

export function parseHistory(entries: readonly StreamEntry[]): TransitionRecord[] {
  return entries.map(([, fields]) => {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
    const from = f.get('from') ?? '';
    return {
      version: Number(f.get('v')),
      event: JSON.parse(f.get('event') ?? '{}') as RuntimeEvent,
      from: from === '' ? null : (JSON.parse(from) as StateValue),
      to: JSON.parse(f.get('to') ?? 'null') as StateValue,
      actor: f.get('actor') ?? '',
      at: Number(f.get('at')),
    };
  });
}
