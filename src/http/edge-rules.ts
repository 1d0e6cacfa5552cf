import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';

/** The range of an integer field whose schema gives none: what a Postgres `integer` column holds. */
export const DEFAULT_INTEGER_RANGE = { min: -2_147_483_648, max: 2_147_483_647 } as const;

const DECIMAL_INTEGER = /^-?[0-9]{1,16}$/;
const DECIMAL_NUMBER = /^-?[0-9]{1,16}(\.[0-9]{1,16})?$/;
// A UTF-16 surrogate without its other half (not valid UTF-8); NUL is checked apart (Postgres text refuses it).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isBadText = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

interface SchemaNode {
  type?: string | string[];
  anyOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
}

type NumberKind = 'integer' | 'number' | 'integer-or-text';

/** An integer literal (TypeBox's `Type.Literal(1)` is `{type: 'number', enum: [1]}`). */
const isIntegerLiteral = (schema: SchemaNode) =>
  (Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.every(Number.isInteger)) ||
  Number.isInteger(schema.const);

/**
 * Whether a field takes an integer (or a number): `integer`, `number`, a union of integer literals
 * (`reply` 1/2, `display` 0/1: Ajv would coerce `true` or `"1.0"` into one), or an integer-or-string union.
 */
function numberKindOf(schema: SchemaNode): NumberKind | null {
  if (isIntegerLiteral(schema)) return 'integer';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'number') return 'number';
  const members = schema.anyOf;
  if (members?.length && members.every(isIntegerLiteral)) return 'integer';
  if (members?.some((member) => member.type === 'integer'))
    return members.every((member) => member.type === 'integer' || member.type === 'string')
      ? 'integer-or-text'
      : null;
  return null;
}

function checkNumber(schema: SchemaNode, kind: NumberKind, value: unknown, field: string): void {
  if (kind === 'integer-or-text' && value === '') return;
  const integer = kind !== 'number';
  const min = schema.minimum ?? DEFAULT_INTEGER_RANGE.min;
  const max = schema.maximum ?? DEFAULT_INTEGER_RANGE.max;
  const shape = integer ? 'an integer' : 'a number';
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && (integer ? DECIMAL_INTEGER : DECIMAL_NUMBER).test(value))
    number = Number(value);
  else throw badRequest(`${field} must be ${shape} written in decimal`, field);
  if (!Number.isFinite(number) || (integer && !Number.isSafeInteger(number)))
    throw badRequest(`${field} must be ${shape} written in decimal`, field);
  if (number < min || number > max) throw badRequest(`${field} must be from ${min} to ${max}`, field);
}

/** Numbers where the schema asks for one: finite, safe, decimal, within range (the schema's or the default). */
function checkNumbers(schema: SchemaNode | undefined, value: unknown, path: string): void {
  if (!schema || value === undefined || value === null) return;
  const kind = numberKindOf(schema);
  if (kind) {
    checkNumber(schema, kind, value, path || 'value');
    return;
  }
  if (schema.properties && typeof value === 'object' && !Array.isArray(value)) {
    for (const [name, property] of Object.entries(schema.properties)) {
      if (Object.hasOwn(value, name))
        checkNumbers(property, (value as Record<string, unknown>)[name], path ? `${path}.${name}` : name);
    }
  } else if (schema.items && Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkNumbers(schema.items, item, `${path}.${index}`);
  }
}

/** Every string (and key) anywhere in the value: no NUL, no unpaired surrogate. */
function checkText(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (isBadText(value))
      throw badRequest(
        `${path || 'value'} contains a NUL character or an unpaired surrogate`,
        path || undefined,
      );
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) checkText(item, path ? `${path}.${index}` : String(index));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      checkText(key, field);
      checkText(item, field);
    }
  }
}

/**
 * Input rules that JSON schema and its coercion leave open, applied to the raw request before
 * validation: Ajv would coerce `"Infinity"`, `"1e309"`, `"0x10"`, `"1e3"`, `true` and `[5]` into
 * numbers. A 400 names the field, in the envelope of the API the route belongs to.
 */
export function enforceEdgeRules(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const schema = request.routeOptions.schema as
      | { body?: SchemaNode; querystring?: SchemaNode; params?: SchemaNode }
      | undefined;
    for (const [part, value] of [
      ['body', request.body],
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      // Only what the route declares it reads (health checks and metrics ignore their query).
      const declared = schema?.[part];
      if (!declared) continue;
      checkText(value, '');
      checkNumbers(declared, value, '');
    }
  });
}
