import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { optionalInt, qliveDateTime, qliveTime } from '../../../src/http/qlive/wire-format.js';

describe('QLive wire formats', () => {
  it('prints times in Beijing time without an offset, as the Django backend did', () => {
    const at = Date.UTC(2019, 6, 24, 6, 11, 37, 900);
    expect(qliveTime(at)).toBe('2019-07-24T14:11:37');
    expect(qliveTime(new Date(at))).toBe('2019-07-24T14:11:37');
    expect(qliveDateTime(Date.UTC(2019, 6, 30, 16, 30, 0))).toBe('2019-07-31 00:30:00');
  });

  it('reads a number, a numeric string or "" (not given), and names the field of anything else', () => {
    const bounds = { min: 0, max: 150 };
    expect(optionalInt(undefined, 'age', bounds)).toBeUndefined();
    expect(optionalInt('', 'age', bounds)).toBeUndefined();
    expect(optionalInt('33', 'age', bounds)).toBe(33);
    expect(optionalInt(' 7 ', 'age', bounds)).toBe(7);
    expect(optionalInt(0, 'age', bounds)).toBe(0);
    for (const bad of ['abc', '1.5', '151', -1, '1e2']) {
      let error: unknown;
      try {
        optionalInt(bad, 'age', bounds);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).field).toBe('age');
      expect((error as AppError).statusCode).toBe(400);
    }
  });
});
