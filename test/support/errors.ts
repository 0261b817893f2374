import { expect } from 'vitest';
import type { ErrorName } from '../../src/domain/errors/registry.js';
import { isSsprError } from '../../src/domain/errors/sspr-error.js';

/** What the promise rejected with; fails when it resolves. */
export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The promise rejects with the SsprError of that name. */
export async function expectSsprError(
  promise: Promise<unknown>,
  errorName: ErrorName,
): Promise<void> {
  const error = await errorOf(promise);
  expect(
    isSsprError(error, errorName),
    `expected SsprError ${errorName}, got ${String(error)}`,
  ).toBe(true);
}
