import { describe, expect, it } from 'vitest';
import { defaultSsprPolicy, ssprPolicySchema } from './sspr-policy.js';

const issues = (input: unknown) => {
  const r = ssprPolicySchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('SSPR policy document', () => {
  it("defaults to Entra's", () => {
    const p = defaultSsprPolicy();
    expect(p.enabledFor).toBe('none');
    expect(p.methodsRequired).toBe(1);
    expect(p.securityQuestions).toEqual({ toRegister: 3, toReset: 3, custom: [] });
    expect(p.registration).toEqual({ requireOnSignIn: true, reconfirmDays: 180 });
    expect(p.notifications.notifyUserOnReset).toBe(true);
    expect(p.administrators.allowedToUseSspr).toBe(true);
    expect(p.onPremises.writeback).toBe(true);
  });

  it('rejects out-of-range and inconsistent values, naming each', () => {
    expect(issues({ methodsRequired: 3 })).toContain('methodsRequired');
    expect(issues({ registration: { reconfirmDays: 731 } })).toContain(
      'registration.reconfirmDays',
    );
    expect(issues({ securityQuestions: { toRegister: 3, toReset: 4 } })).toContain(
      'securityQuestions.toRegister',
    );
    expect(issues({ enabledFor: 'selected' })).toContain('selectedGroupId');
    expect(issues({ enabledFor: 'all', methodsRequired: 2, methods: { email: false } })).toContain(
      'methods',
    );
    expect(issues({ bannedPasswords: { customList: ['abc'] } })).toContain(
      'bannedPasswords.customList.0',
    );
    expect(
      issues({
        bannedPasswords: { customList: Array.from({ length: 1001 }, (_, i) => `term${String(i)}`) },
      }),
    ).toContain('bannedPasswords.customList');
    expect(
      issues({
        securityQuestions: {
          custom: Array.from({ length: 21 }, (_, i) => ({
            id: `custom-${String(i)}`,
            text: 'What is it?',
          })),
        },
      }),
    ).toContain('securityQuestions.custom');
    expect(issues({ unknown: true })).toEqual(['']);
    expect(issues({ customization: { helpdeskLink: 'javascript:alert(1)' } })).toContain(
      'customization.helpdeskLink',
    );
  });

  it('accepts a URL or an email as helpdesk link', () => {
    expect(issues({ customization: { helpdeskLink: 'https://help.contoso.com' } })).toEqual([]);
    expect(issues({ customization: { helpdeskLink: 'helpdesk@contoso.com' } })).toEqual([]);
  });
});
