import { describe, expect, it } from 'vitest';
import { blockSubjects, secondsUntil, throttleKeys, throttleLimits } from './throttle.js';

describe('throttle rules', () => {
  it("uses Entra's numbers", () => {
    expect(throttleLimits.gateAttemptsPerHour).toBe(5);
    expect(throttleLimits.failedProofsPerDay).toBe(5);
    expect(throttleLimits.emailsPerTenMinutes).toBe(10);
    expect(throttleLimits.emailWindowMs).toBe(600_000);
    expect(throttleLimits.blockMs).toBe(86_400_000);
  });

  it('keys are per subject and per method, and a prefix clears one subject only', () => {
    expect(throttleKeys.gate('u:1', 'totp')).not.toBe(throttleKeys.gate('u:1', 'email'));
    expect(throttleKeys.gate('u:1', 'totp').startsWith(throttleKeys.gate('u:1', ''))).toBe(true);
    expect(throttleKeys.gate('u:12', 'totp').startsWith(throttleKeys.gate('u:1', ''))).toBe(false);
    expect(blockSubjects.user('u:1')).not.toBe(blockSubjects.email('u:1'));
  });

  it('Retry-After is whole seconds, at least 1', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    expect(secondsUntil('2026-01-01T00:00:10.200Z', now)).toBe(11);
    expect(secondsUntil('2025-12-31T00:00:00.000Z', now)).toBe(1);
  });
});
