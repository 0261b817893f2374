import { SsprError } from '../../domain/errors/sspr-error.js';

/**
 * Opaque page cursors: base64url of "<kind>:<key>". The kind stops a cursor of one listing from
 * being replayed against another.
 */
export function encodeCursor(kind: string, key: string | number): string {
  return Buffer.from(`${kind}:${String(key)}`, 'utf8').toString('base64url');
}

export function invalidCursor(): never {
  throw new SsprError('VALIDATION_FAILED', { details: { cursor: 'not a valid page cursor' } });
}

export function decodeCursor(kind: string, cursor: string): string {
  const text = /^[A-Za-z0-9_-]*$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  return text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : invalidCursor();
}

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SsprError('VALIDATION_FAILED', { details: { limit: 'must be a positive integer' } });
  }
  return limit;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (use ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
