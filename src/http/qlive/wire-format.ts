import { badRequest } from '../../errors.js';

const BEIJING_OFFSET_MS = 8 * 3600_000;

/** QLive's times, as its Django backend printed them: Beijing time, no offset (`2019-07-24T14:11:37`). */
export function qliveTime(at: Date | number): string {
  const ms = at instanceof Date ? at.getTime() : at;
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 19);
}

/** qlive_pay's `timestamp`: Beijing time `2019-07-30 12:30:00`. */
export function qliveDateTime(at: Date | number): string {
  return qliveTime(at).replace('T', ' ');
}

/**
 * A number field a client may send as a number, a numeric string, or "" for "not given" (the
 * QLive document's examples show `"gender": ""`, `"age": ""`). Anything else is a 400 naming it.
 */
export function optionalInt(
  value: number | string | undefined,
  field: string,
  bounds: { min: number; max: number },
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number =
    typeof value === 'number' ? value : /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < bounds.min || number > bounds.max)
    throw badRequest(`${field} must be an integer from ${bounds.min} to ${bounds.max}`, field);
  return number;
}
