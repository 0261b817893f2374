import { fail } from '../domain/errors/sspr-error.js';
import {
  blockSubjects,
  secondsUntil,
  throttleKeys,
  throttleLimits,
} from '../domain/policy/throttle.js';
import type { ServiceDeps } from './deps.js';

/** How a code travels: by email, or to a phone (text messages and voice calls share a counter). */
export type CodeChannel = 'email' | 'phone';

const channels = {
  email: { error: 'EMAIL_SEND_THROTTLED', reason: 'Too many emails in 10 minutes' },
  phone: {
    error: 'PHONE_SEND_THROTTLED',
    reason: 'Too many text messages or calls in 10 minutes',
  },
} as const satisfies Record<CodeChannel, { error: string; reason: string }>;

/** The reason recorded (and audited) when a channel gets blocked. */
export const sendBlockedReason = (channel: CodeChannel): string => channels[channel].reason;

/**
 * Entra's email limit, the same for reset, registration and sign-in and, on its own counter, for
 * text messages and voice calls: at most 10 codes to a subject in 10 minutes; the next attempt
 * blocks that channel for 24 hours (email SSPR_3009, phone SSPR_3019, with Retry-After).
 * Records the send when allowed. `onBlocked` lets the caller audit the block.
 */
export async function claimCodeSend(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  channel: CodeChannel,
  subject: string,
  onBlocked?: () => Promise<void>,
): Promise<void> {
  const { error, reason } = channels[channel];
  const now = deps.clock.now();
  const block = await deps.store.throttles.activeBlock(
    blockSubjects[channel](subject),
    now.toISOString(),
  );
  if (block) fail(error, { retryAfterSeconds: secondsUntil(block.until, now) });
  const since = new Date(now.getTime() - throttleLimits.emailWindowMs).toISOString();
  const sent = await deps.store.throttles.count(throttleKeys[channel](subject), since);
  if (sent >= throttleLimits.emailsPerTenMinutes) {
    const until = new Date(now.getTime() + throttleLimits.blockMs).toISOString();
    await deps.store.throttles.block(blockSubjects[channel](subject), until, reason);
    await onBlocked?.();
    fail(error, { retryAfterSeconds: secondsUntil(until, now) });
  }
  await deps.store.throttles.record(throttleKeys[channel](subject), now.toISOString());
}
