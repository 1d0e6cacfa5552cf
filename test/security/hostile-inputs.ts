/**
 * The hostile classes of the fuzz test (issue #12), the fields the OpenAPI document declares for
 * each route, and how a value travels in each location (JSON body, query string, path).
 */

/** A value as it would be written in JSON text, for what JSON.stringify cannot produce. */
export interface RawJson {
  raw: string;
  /** How the same class is spelled where only text travels (query string, path). */
  text: string;
}

export interface HostileClass {
  name: string;
  value: unknown | RawJson;
}

/** The router's longest path parameter (Fastify's maxParamLength): a longer one is a 414 before any route. */
export const MAX_PARAM_LENGTH = 100;

const DEEP = 5_000;

/** Every class, each a value no client of a documented field would send. None is a decimal integer. */
export const HOSTILE_CLASSES: HostileClass[] = [
  { name: '"Infinity"', value: 'Infinity' },
  { name: '"-Infinity"', value: '-Infinity' },
  { name: '"+Infinity"', value: '+Infinity' },
  { name: '"1e309"', value: '1e309' },
  { name: 'JSON number 1e309', value: { raw: '1e309', text: '1e309' } },
  { name: 'JSON number -1e309', value: { raw: '-1e309', text: '-1e309' } },
  { name: '400 digits', value: '9'.repeat(400) },
  { name: '-400 digits', value: `-${'9'.repeat(400)}` },
  { name: 'JSON number of 400 digits', value: { raw: '9'.repeat(400), text: '9'.repeat(400) } },
  { name: '"0x10"', value: '0x10' },
  { name: '"1e3"', value: '1e3' },
  { name: '"1.0"', value: '1.0' },
  { name: 'true', value: true },
  { name: 'false', value: false },
  { name: '[5]', value: [5] },
  { name: '[1]', value: [1] },
  { name: '["1","2"]', value: ['1', '2'] },
  { name: '{value: 5}', value: { value: 5 } },
  { name: 'NUL byte', value: 'a\u0000b' },
  { name: 'lone high surrogate', value: '\uD800' },
  { name: 'lone low surrogate', value: 'x\uDC00y' },
  { name: '10 kB string', value: 'x'.repeat(10_240) },
  {
    name: `nesting ${DEEP} deep`,
    value: { raw: `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`, text: '['.repeat(DEEP) },
  },
  { name: '"__proto__"', value: '__proto__' },
  {
    name: '{"__proto__": …}',
    value: { raw: '{"__proto__":{"polluted":true}}', text: '{"__proto__":{"polluted":true}}' },
  },
  {
    name: '{"constructor": {"prototype": …}}',
    value: {
      raw: '{"constructor":{"prototype":{"polluted":true}}}',
      text: '{"constructor":{"prototype":{"polluted":true}}}',
    },
  },
];

export const isRaw = (value: unknown): value is RawJson =>
  typeof value === 'object' && value !== null && 'raw' in value && 'text' in value;

export interface FieldSchema {
  type?: string;
  anyOf?: FieldSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, FieldSchema>;
  required?: string[];
}

export type Location = 'body' | 'query' | 'params';

export interface Field {
  location: Location;
  name: string;
  schema: FieldSchema;
  required: boolean;
}

export interface Route {
  method: string;
  /** Fastify's form: `/admin/api/users/:id`. */
  path: string;
  fields: Field[];
  /** A JSON body the route takes as a whole (no declared properties): fuzzed as the body itself. */
  wholeBody: boolean;
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: FieldSchema }[];
  requestBody?: { content?: Record<string, { schema?: FieldSchema }> };
}

/** Every route of the OpenAPI document with the fields it declares, by location. */
export function routesOf(document: { paths: Record<string, Record<string, OpenApiOperation>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const fields: Field[] = [];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query' && parameter.in !== 'path') continue;
        fields.push({
          location: parameter.in === 'path' ? 'params' : 'query',
          name: parameter.name,
          schema: parameter.schema ?? {},
          required: parameter.required === true,
        });
      }
      const body = operation.requestBody?.content?.['application/json']?.schema;
      const properties = body?.properties ?? {};
      for (const [name, schema] of Object.entries(properties)) {
        fields.push({ location: 'body', name, schema, required: body?.required?.includes(name) ?? false });
      }
      routes.push({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, ':$1'),
        fields,
        wholeBody: body !== undefined && Object.keys(properties).length === 0,
      });
    }
  }
  return routes;
}

const integerLiteral = (schema: FieldSchema) =>
  (Array.isArray(schema.enum) && schema.enum.every((value) => Number.isInteger(value))) ||
  Number.isInteger(schema.const);

/** Whether the field takes a number (an integer, a number, integer literals, or an integer-or-text union). */
export function isNumeric(schema: FieldSchema): boolean {
  if (schema.type === 'integer' || schema.type === 'number') return true;
  return (schema.anyOf ?? []).some((member) => member.type === 'integer' || integerLiteral(member));
}

/** A valid value for the field, so that a request fails (if at all) on the hostile one. */
export function validValue(schema: FieldSchema, id: number): unknown {
  if (schema.anyOf?.[0]) return validValue(schema.anyOf[0], id);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 1;
      const max = schema.maximum ?? Number.MAX_SAFE_INTEGER;
      return id >= min && id <= max ? id : min;
    }
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    case 'string':
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/a.png';
      if (schema.pattern?.startsWith('^[a-z]')) return 'fuzz';
      return 'fuzz1';
    default:
      return 'fuzz1';
  }
}

/** JSON text of an object whose values may be raw JSON (written as they are). */
export function jsonText(fields: Record<string, unknown>): string {
  const members = Object.entries(fields).map(
    ([name, value]) => `${JSON.stringify(name)}:${isRaw(value) ? value.raw : JSON.stringify(value)}`,
  );
  return `{${members.join(',')}}`;
}

/**
 * A value as text in a URL: percent-encoded UTF-8, and a lone surrogate as the bytes WTF-8 gives it
 * (encodeURIComponent refuses it), so the server sees exactly what a hostile client sends.
 */
export function urlText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff)
      out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`;
    else out += encodeURIComponent(char);
  }
  return out;
}

/** How a value is spelled where only text travels: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  if (isRaw(value)) return value.text;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Whether the class is hostile where it travels: a one-element list in a query string is the key
 * once, which is what a plain value looks like.
 */
export function isHostileIn(location: Location, hostile: HostileClass): boolean {
  return !(location === 'query' && Array.isArray(hostile.value) && hostile.value.length === 1);
}

/** A query string in which an array is the key repeated (how a list arrives in a URL). */
export function queryText(fields: Record<string, unknown>): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) pairs.push(`${urlText(name)}=${urlText(asText(item))}`);
  }
  return pairs.join('&');
}
