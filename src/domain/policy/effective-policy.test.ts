import { describe, expect, it } from 'vitest';
import { combinePolicies, notBefore } from './effective-policy.js';
import { cloudPasswordPolicy } from './password-rules.js';
import type { DirectoryPasswordPolicy } from '../ports/directory.js';

const directory = (patch: Partial<DirectoryPasswordPolicy> = {}): DirectoryPasswordPolicy => ({
  source: 'domain',
  minLength: 7,
  complexity: true,
  historyCount: 24,
  minAgeDays: 0,
  maxAgeDays: 42,
  lockoutThreshold: 5,
  lockoutDurationMinutes: 30,
  notEnforcedOnReset: ['history', 'minAge'],
  ...patch,
});

describe('effective policy = cloud + directory, stricter wins', () => {
  it('keeps the cloud policy for cloud users', () => {
    expect(combinePolicies(cloudPasswordPolicy, null)).toBe(cloudPasswordPolicy);
  });

  it('takes the longer minimum and adds the directory rules', () => {
    const p = combinePolicies(cloudPasswordPolicy, directory({ minLength: 14, minAgeDays: 1 }));
    expect(p.minLength).toBe(14);
    expect(p.maxLength).toBe(256);
    expect(p.requiredClasses).toBe(3);
    expect(p.forbidAccountName).toBe(true);
    expect(p.historyCount).toBe(24);
    expect(p.minAgeDays).toBe(1);
    expect(p.bannedCheck).toBe(true);
  });

  it('keeps the cloud minimum when the directory asks for less, and no complexity when off', () => {
    const p = combinePolicies(
      cloudPasswordPolicy,
      directory({ minLength: 4, complexity: false, historyCount: 0 }),
    );
    expect(p.minLength).toBe(8);
    expect(p.forbidAccountName).toBeUndefined();
    expect(p.historyCount).toBeUndefined();
    expect(p.minAgeDays).toBeUndefined();
  });
});

describe('minimum password age', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');
  it('blocks until minAge days after the last set', () => {
    expect(notBefore('2026-03-10T00:00:00.000Z', 1, now)).toBe('2026-03-11T00:00:00.000Z');
    expect(notBefore('2026-03-08T00:00:00.000Z', 1, now)).toBeNull();
  });
  it('never blocks with age 0 or an unknown last set', () => {
    expect(notBefore('2026-03-10T11:59:00.000Z', 0, now)).toBeNull();
    expect(notBefore(null, 5, now)).toBeNull();
  });
});
