import { describe, expect, it } from 'vitest';
import {
  LOCKED_FOREVER,
  openLdapAccountState,
  parseOpenLdapCookie,
  ppolicyValues,
  type PpolicyValues,
} from './openldap.js';

const policy: PpolicyValues = ppolicyValues({
  dn: 'cn=default,ou=policies,dc=example,dc=org',
  pwdAttribute: 'userPassword',
  pwdMinLength: '8',
  pwdCheckQuality: '2',
  pwdInHistory: '3',
  pwdMinAge: '0',
  pwdMaxAge: '7776000',
  pwdMaxFailure: '3',
  pwdLockout: 'TRUE',
  pwdLockoutDuration: '0',
});
const now = new Date('2026-11-22T12:00:00Z');

describe('ppolicyValues', () => {
  it('reads the policy entry', () => {
    expect(policy).toEqual({
      dn: 'cn=default,ou=policies,dc=example,dc=org',
      minLength: 8,
      checkQuality: 2,
      inHistory: 3,
      minAgeSeconds: 0,
      maxAgeSeconds: 7776000,
      maxFailure: 3,
      lockout: true,
      lockoutDurationSeconds: 0,
    });
  });
});

describe('openLdapAccountState', () => {
  const user = { dn: 'uid=a,o=x' };

  it('a fresh account', () => {
    expect(openLdapAccountState(user, policy, now)).toEqual({
      disabled: false,
      locked: false,
      expired: false,
      mustChange: false,
      protected: false,
      criticalSystemObject: false,
      passwordLastSet: null,
    });
  });

  it(`pwdAccountLockedTime=${LOCKED_FOREVER} is disabled, another value is locked`, () => {
    expect(
      openLdapAccountState({ ...user, pwdAccountLockedTime: LOCKED_FOREVER }, policy, now),
    ).toMatchObject({
      disabled: true,
      locked: false,
    });
    expect(
      openLdapAccountState({ ...user, pwdAccountLockedTime: '20261122110000Z' }, policy, now),
    ).toMatchObject({
      disabled: false,
      locked: true,
    });
  });

  it('a lockout whose pwdLockoutDuration ran out is over', () => {
    const timed = { ...policy, lockoutDurationSeconds: 600 };
    expect(
      openLdapAccountState({ ...user, pwdAccountLockedTime: '20261122115500Z' }, timed, now).locked,
    ).toBe(true);
    expect(
      openLdapAccountState({ ...user, pwdAccountLockedTime: '20261122114500Z' }, timed, now).locked,
    ).toBe(false);
  });

  it('pwdReset is must-change; pwdChangedTime older than pwdMaxAge is expired', () => {
    expect(openLdapAccountState({ ...user, pwdReset: 'TRUE' }, policy, now).mustChange).toBe(true);
    const old = openLdapAccountState({ ...user, pwdChangedTime: '20260801000000Z' }, policy, now);
    expect(old).toMatchObject({ expired: true, passwordLastSet: '2026-08-01T00:00:00.000Z' });
    expect(
      openLdapAccountState({ ...user, pwdChangedTime: '20261101000000Z' }, policy, now).expired,
    ).toBe(false);
    expect(
      openLdapAccountState(
        { ...user, pwdChangedTime: '20200101000000Z' },
        { ...policy, maxAgeSeconds: 0 },
        now,
      ).expired,
    ).toBe(false);
  });
});

describe('parseOpenLdapCookie', () => {
  it('accepts only our form', () => {
    expect(
      parseOpenLdapCookie('{"v":1,"mode":"modifyTimestamp","since":"20261122005308Z"}'),
    ).toEqual({
      v: 1,
      mode: 'modifyTimestamp',
      since: '20261122005308Z',
    });
    for (const bad of [
      null,
      '',
      '{}',
      '{"v":1,"mode":"modifyTimestamp","since":"x)(|(a=*"}',
      '{"v":1,"mode":"usn","usn":1,"dc":"x"}',
    ]) {
      expect(parseOpenLdapCookie(bad)).toBeNull();
    }
  });
});
