import { randomInt } from 'node:crypto';

export interface BackoffOptions {
  /** First delay ceiling (default 1 s). */
  readonly initialMs?: number;
  /** Largest delay (default 60 s). */
  readonly maxMs?: number;
}

/** A uniform number in [0, 1) from node:crypto (the agent has no Random port). */
export const cryptoJitter = (): number => randomInt(0, 2 ** 32) / 2 ** 32;

/**
 * Capped exponential backoff with "equal jitter": the ceiling doubles from `initialMs` up to
 * `maxMs`, and the delay is uniform in [ceiling / 2, ceiling), so a fleet of agents reconnecting
 * after a server restart spreads out yet never retries in a tight loop.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, jitter: number): number {
  const initialMs = options.initialMs ?? 1000;
  const maxMs = options.maxMs ?? 60_000;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(jitter, 0), 1));
}
