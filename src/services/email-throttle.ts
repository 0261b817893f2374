import { fail } from '../domain/errors/sspr-error.js';
import {
  blockSubjects,
  secondsUntil,
  throttleKeys,
  throttleLimits,
} from '../domain/policy/throttle.js';
import type { ServiceDeps } from './deps.js';

/**
 * Entra's email limit, the same for reset, registration and sign-in: at most 10 emails to a
 * subject in 10 minutes; the next attempt blocks email for 24 hours (SSPR_3009 with Retry-After).
 * Records the send when allowed. `onBlocked` lets the caller audit the block.
 */
export async function claimEmailSend(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  subject: string,
  onBlocked?: () => Promise<void>,
): Promise<void> {
  await claimSend(deps, 'email', subject, onBlocked);
}

/**
 * The same limit for text messages and voice calls (on their own counter): 10 in 10 minutes,
 * then phone codes are blocked for 24 hours (SSPR_3019 with Retry-After).
 */
export async function claimPhoneSend(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  subject: string,
  onBlocked?: () => Promise<void>,
): Promise<void> {
  await claimSend(deps, 'phone', subject, onBlocked);
}

const channels = {
  email: { error: 'EMAIL_SEND_THROTTLED', reason: 'Too many emails in 10 minutes' },
  phone: {
    error: 'PHONE_SEND_THROTTLED',
    reason: 'Too many text messages or calls in 10 minutes',
  },
} as const;

async function claimSend(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  channel: keyof typeof channels,
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
