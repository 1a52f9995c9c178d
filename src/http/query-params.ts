import { AppError } from '../common/errors';

/**
 * Query numbers are decimal digits and nothing else: `Number()` alone would take '' as 0 and
 * '0x10', '1e3' or ' 7 ' as numbers, and a repeated parameter arrives as an array.
 */
const DIGITS = /^[0-9]{1,16}$/;

/** `?limit=`: 1 to 200, 50 when absent. */
export function limitParam(value: unknown): number {
  if (value === undefined) return 50;
  const limit = typeof value === 'string' && DIGITS.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= 200)) throw new AppError('INVALID_QUERY', 'limit must be a whole number from 1 to 200.');
  return limit;
}

/** `?before=`: the `next` of a previous page, or absent. */
export function cursorParam(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const cursor = typeof value === 'string' && DIGITS.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(cursor)) throw new AppError('INVALID_QUERY', 'before must be the "next" of a previous page.');
  return cursor;
}
