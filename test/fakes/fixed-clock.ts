import type { Clock } from '../../src/domain/ports/clock.js';

export interface FixedClock extends Clock {
  /** Moves the clock to an absolute time. */
  set(at: Date | string): void;
  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
}

export const DEFAULT_FIXED_TIME = '2026-01-15T09:00:00.000Z';

/** A clock that only moves when told to. `now()` returns a fresh Date each call. */
export function createFixedClock(start: Date | string = DEFAULT_FIXED_TIME): FixedClock {
  let current = toMillis(start);
  return {
    now: () => new Date(current),
    set: (at) => {
      current = toMillis(at);
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

function toMillis(at: Date | string): number {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(ms)) throw new Error(`not a valid time: ${String(at)}`);
  return ms;
}
