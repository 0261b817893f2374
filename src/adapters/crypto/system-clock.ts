import type { Clock } from '../../domain/ports/clock.js';

/** The production Clock: the process's wall clock. */
export function createSystemClock(): Clock {
  return { now: () => new Date() };
}
