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
  const now = deps.clock.now();
  const block = await deps.store.throttles.activeBlock(
    blockSubjects.email(subject),
    now.toISOString(),
  );
  if (block) fail('EMAIL_SEND_THROTTLED', { retryAfterSeconds: secondsUntil(block.until, now) });
  const since = new Date(now.getTime() - throttleLimits.emailWindowMs).toISOString();
  const sent = await deps.store.throttles.count(throttleKeys.email(subject), since);
  if (sent >= throttleLimits.emailsPerTenMinutes) {
    const until = new Date(now.getTime() + throttleLimits.blockMs).toISOString();
    await deps.store.throttles.block(
      blockSubjects.email(subject),
      until,
      'Too many emails in 10 minutes',
    );
    await onBlocked?.();
    fail('EMAIL_SEND_THROTTLED', { retryAfterSeconds: secondsUntil(until, now) });
  }
  await deps.store.throttles.record(throttleKeys.email(subject), now.toISOString());
}
