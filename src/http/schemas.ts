import { type TUnsafe, Type } from 'typebox';

/** A string enum as JSON schema `enum`, which gives clients "must be equal to one of the allowed values". */
export function StringEnum<const T extends readonly string[]>(values: T): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

/** A user, gift, call or room id: a positive long; numeric strings are coerced at the edge. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
