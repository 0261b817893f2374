import { describe, expect, it } from 'vitest';
import {
  allowedMethods,
  checkEligibility,
  countMethods,
  sameFactor,
  type EligibilityFacts,
} from './eligibility.js';
import { ssprPolicySchema, type SsprPolicy } from '../model/sspr-policy.js';

const policy = (patch: Record<string, unknown> = {}): SsprPolicy =>
  ssprPolicySchema.parse({ enabledFor: 'all', ...patch });

const facts = (patch: Partial<EligibilityFacts> = {}): EligibilityFacts => ({
  source: 'cloud',
  isAdmin: false,
  accountEnabled: true,
  inSelectedGroup: false,
  inEligibilityGroup: false,
  inEligibilityList: false,
  methodsWithData: ['totp', 'email'],
  writebackAvailable: true,
  ...patch,
});

const error = (p: SsprPolicy, f: EligibilityFacts) => {
  const r = checkEligibility(p, f);
  return r.ok ? 'ok' : r.error;
};

describe('eligibility in Entra order', () => {
  it('tenant switch first, for everyone', () => {
    expect(error(policy({ enabled: false }), facts())).toBe('TENANT_SSPR_DISABLED');
    expect(error(policy({ enabled: false }), facts({ isAdmin: true }))).toBe(
      'TENANT_SSPR_DISABLED',
    );
  });

  it('scope None, then Selected group, then the eligibility list', () => {
    expect(error(policy({ enabledFor: 'none' }), facts())).toBe('SSPR_NOT_ENABLED_IN_POLICY');
    const selected = policy({ enabledFor: 'selected', selectedGroupId: 'g1' });
    expect(error(selected, facts())).toBe('NOT_MEMBER_OF_SCOPED_GROUP');
    expect(error(selected, facts({ inSelectedGroup: true }))).toBe('ok');
    const listed = policy({ eligibility: { groupId: 'lic' } });
    expect(error(listed, facts())).toBe('USER_NOT_LICENSED');
    expect(error(listed, facts({ inEligibilityGroup: true }))).toBe('ok');
    expect(
      error(
        policy({ eligibility: { userPrincipalNames: ['x@y.z'] } }),
        facts({ inEligibilityList: true }),
      ),
    ).toBe('ok');
    // Scope is checked before the list: a non-member outside the list gets SSPR_0013.
    expect(
      error(
        policy({ enabledFor: 'selected', selectedGroupId: 'g1', eligibility: { groupId: 'lic' } }),
        facts(),
      ),
    ).toBe('NOT_MEMBER_OF_SCOPED_GROUP');
  });

  it('writeback must be on for directory users', () => {
    expect(
      error(policy({ onPremises: { writeback: false } }), facts({ source: 'directory' })),
    ).toBe('WRITEBACK_NOT_ENABLED');
    expect(error(policy({ onPremises: { writeback: false } }), facts())).toBe('ok');
    expect(error(policy(), facts({ source: 'directory', writebackAvailable: false }))).toBe(
      'ON_PREMISES_CONNECTIVITY',
    );
    expect(error(policy(), facts({ source: 'directory' }))).toBe('ok');
  });

  it('enough methods with data among the enabled ones (SSPR_0014)', () => {
    expect(error(policy(), facts({ methodsWithData: [] }))).toBe('NOT_ENOUGH_METHODS');
    expect(error(policy({ methodsRequired: 2 }), facts({ methodsWithData: ['totp'] }))).toBe(
      'NOT_ENOUGH_METHODS',
    );
    expect(error(policy({ methods: { totp: false } }), facts({ methodsWithData: ['totp'] }))).toBe(
      'NOT_ENOUGH_METHODS',
    );
    const ok = checkEligibility(policy({ methodsRequired: 2 }), facts());
    expect(ok).toEqual({ ok: true, gatesRequired: 2, methods: ['totp', 'email'] });
  });

  it('admins: ignore the user scope, always two gates, never security questions, SSPR_009 switch', () => {
    const p = policy({ enabledFor: 'none', methods: { securityQuestions: true } });
    const admin = facts({ isAdmin: true, methodsWithData: ['totp', 'securityQuestions', 'email'] });
    expect(checkEligibility(p, admin)).toEqual({
      ok: true,
      gatesRequired: 2,
      methods: ['totp', 'email'],
    });
    expect(error(p, facts({ isAdmin: true, methodsWithData: ['totp', 'securityQuestions'] }))).toBe(
      'NOT_ENOUGH_METHODS',
    );
    expect(error(policy({ administrators: { allowedToUseSspr: false } }), admin)).toBe(
      'ADMIN_SSPR_DISABLED',
    );
    expect(allowedMethods(p, true)).not.toContain('securityQuestions');
  });

  it('counts text and call to the mobile phone as one method', () => {
    const p = policy({
      enabledFor: 'all',
      methodsRequired: 2,
      methods: { sms: true, voice: true },
    });
    expect(error(p, facts({ methodsWithData: ['sms', 'voice'] }))).toBe('NOT_ENOUGH_METHODS');
    expect(checkEligibility(p, facts({ methodsWithData: ['sms', 'voice', 'email'] }))).toEqual({
      ok: true,
      gatesRequired: 2,
      methods: ['email', 'sms', 'voice'],
    });
    expect(countMethods(['sms', 'voice', 'officePhone', 'voice'])).toBe(2);
    expect(sameFactor('sms', 'voice')).toBe(true);
    expect(sameFactor('voice', 'officePhone')).toBe(false);
  });

  it('offers only methods the product can verify today', () => {
    expect(
      allowedMethods(
        policy({ methods: { sms: true, passkey: true, appNotification: true } }),
        false,
      ),
    ).toEqual(['totp', 'email', 'sms']);
    expect(
      allowedMethods(
        policy({ methods: { sms: true, voice: true, officePhone: true, securityQuestions: true } }),
        false,
      ),
    ).toEqual(['totp', 'email', 'sms', 'voice', 'officePhone', 'securityQuestions']);
  });
});
