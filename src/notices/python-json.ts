/**
 * JSON text as Python's `json.dumps` writes it by default (separators `", "` and `": "`, every
 * non-ASCII character as `\uXXXX`, keys in insertion order), the form QLive's original server put
 * in its IM messages (qlive-realtime.md §2). Any JSON parser reads it; byte-for-byte equal texts
 * keep messages comparable with the original's.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([key, v]) => `${pythonJson(key)}: ${pythonJson(v)}`).join(', ')}}`;
}
