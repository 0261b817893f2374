import { describe, expect, it } from 'vitest';
import { SsprError, isSsprError } from '../../domain/errors/sspr-error.js';
import { isUnavailableError, isUniqueViolation, mapStoreError } from './error-mapping.js';
import { containsPattern, decodeCursor, encodeCursor } from './paging.js';

const withCode = (code: string, message = 'x'): Error =>
  Object.assign(new Error(message), { code });

describe('store error mapping', () => {
  it.each([
    withCode('ECONNREFUSED'),
    withCode('ETIMEDOUT'),
    withCode('57P01'),
    withCode('08006'),
    withCode('SQLITE_BUSY'),
    withCode('SQLITE_BUSY_SNAPSHOT'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([withCode('ECONNREFUSED')], 'all addresses failed'),
  ])('treats %s as unavailable', (error) => {
    expect(isUnavailableError(error)).toBe(true);
    const mapped = mapStoreError(error);
    expect(isSsprError(mapped, 'STORE_UNAVAILABLE')).toBe(true);
    expect((mapped as SsprError).cause).toBe(error);
  });

  it.each([
    withCode('23505'),
    withCode('42P01'),
    withCode('SQLITE_CONSTRAINT_UNIQUE'),
    new Error('syntax error'),
    new SsprError('CONFLICT'),
    null,
    'text',
  ])('passes %s through unchanged', (error) => {
    expect(isUnavailableError(error)).toBe(false);
    expect(mapStoreError(error)).toBe(error);
  });

  it('recognises unique violations on both dialects', () => {
    expect(isUniqueViolation(withCode('23505'))).toBe(true);
    expect(isUniqueViolation(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBe(true);
    expect(isUniqueViolation(withCode('SQLITE_CONSTRAINT_PRIMARYKEY'))).toBe(true);
    expect(isUniqueViolation(withCode('SQLITE_CONSTRAINT_FOREIGNKEY'))).toBe(false);
    expect(isUniqueViolation(withCode('23503'))).toBe(false);
  });
});

describe('paging helpers', () => {
  it('round-trips a cursor and rejects one of another kind or garbage', () => {
    const cursor = encodeCursor('u', 'ä.b@contoso.test');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('u', cursor)).toBe('ä.b@contoso.test');
    expect(() => decodeCursor('a', cursor)).toThrow(SsprError);
    expect(() => decodeCursor('u', 'a+b/')).toThrow(SsprError);
    expect(() => decodeCursor('u', '')).toThrow(SsprError);
  });

  it('escapes LIKE wildcards and the escape character', () => {
    expect(containsPattern('a_b%c\\d')).toBe('%a\\_b\\%c\\\\d%');
  });
});
