import { describe, expect, it } from 'vitest';
import { daysBetween, failureCode } from './reports.js';

describe('failureCode', () => {
  it('prefers the recorded code, then an SSPR code or error name in the reason, then the reason', () => {
    expect(failureCode({ code: 'SSPR_0012', resultReason: 'not in the list' })).toBe('SSPR_0012');
    expect(failureCode({ code: null, resultReason: 'On-premises: SSPR_5001' })).toBe('SSPR_5001');
    expect(
      failureCode({
        code: null,
        resultReason: 'User failed the email verification (CODE_EXPIRED)',
      }),
    ).toBe('SSPR_3005');
    expect(failureCode({ code: null, resultReason: 'Something (NOT_A_REGISTERED_NAME)' })).toBe(
      'Something (NOT_A_REGISTERED_NAME)',
    );
    expect(failureCode({ code: null, resultReason: 'Incorrect current password' })).toBe(
      'Incorrect current password',
    );
    expect(failureCode({ code: '', resultReason: null })).toBe('unknown');
    expect(failureCode({ code: null, resultReason: 'x'.repeat(500) })).toHaveLength(200);
  });
});

describe('daysBetween', () => {
  it('lists every UTC date from the first to the last, both included', () => {
    expect(daysBetween(new Date('2026-02-27T23:59:59Z'), new Date('2026-03-02T00:00:00Z'))).toEqual(
      ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02'],
    );
    expect(daysBetween(new Date('2026-03-02T01:00:00Z'), new Date('2026-03-02T02:00:00Z'))).toEqual(
      ['2026-03-02'],
    );
    // 366 days of range span 367 dates at most.
    expect(
      daysBetween(new Date('2024-01-01T12:00:00Z'), new Date('2025-01-01T12:00:00Z')),
    ).toHaveLength(367);
  });
});
