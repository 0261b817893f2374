import {
  ConstraintViolationError,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  OperationsError,
  StrongAuthRequiredError,
  SizeLimitExceededError,
  TimeLimitExceededError,
  UnavailableCriticalExtensionError,
  UnknownStatusCodeError,
  UnwillingToPerformError,
} from 'ldapts';
import { describe, expect, it } from 'vitest';
import { SsprError } from '../../domain/errors/sspr-error.js';
import { decodePpolicyResponse, PPOLICY_ERRORS, type PpolicyResponse } from './controls.js';
import {
  adDataCode,
  adErrorCode,
  classifyBindFailure,
  directoryText,
  isTransportError,
  mapLdapError,
  mapTransportError,
  type LdapOperation,
} from './errors.js';

// The server texts below are copied from reference/directory-servers.md §2.5 (Samba 4.17) and
// §3.3 (OpenLDAP 2.5 ppolicy), as the servers sent them.
const AD = {
  tooShort:
    '0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!',
  psoTooShort:
    '0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 14 characters!',
  complexity:
    '0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!',
  history:
    '0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!',
  sameAsCurrent:
    '0000052D: Constraint violation - check_password_restrictions: the password was already used (previous password)!',
  tooYoung:
    '0000052D: Constraint violation - check_password_restrictions: password is too young to change!',
  wrongOld:
    "00000056: Constraint violation - check_password_restrictions: The old password specified doesn't match!",
  bind: (data: string) =>
    `80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${data}, v1db1`,
  anonymous: '00002020: Operation unavailable without authentication',
  acl: 'error in module acl: insufficient access rights during LDB_MODIFY (50)',
  strongAuth: 'BindSimple: Transport encryption required.',
  pwdLastSet: '00000057: setup_last_set_field: pwdLastSet must be 0 or -1 only!',
};

const OPENLDAP = {
  quality: 'Password fails quality checking policy',
  history: 'Password is in history of old passwords',
  same: 'Password is not being changed from existing value',
  tooYoung: 'Password is too young to change',
  wrongOld: 'unwilling to verify old password',
  mustSupplyOld: 'Must supply old password to be changed as well as new one',
  notAllowed: 'User alteration of password is not allowed',
  restricted: 'Operations are restricted to bind/unbind/abandon/StartTLS/modify password',
};

const ppolicy = (name: (typeof PPOLICY_ERRORS)[number]): PpolicyResponse => ({
  error: PPOLICY_ERRORS.indexOf(name),
  errorName: name,
});

function mapped(error: unknown, operation: LdapOperation = 'changePassword', pp?: PpolicyResponse) {
  const result = mapLdapError(error, {
    operation,
    url: 'ldaps://dc1.example.test:636',
    ppolicy: pp,
  });
  return { name: result.errorName, code: result.code, details: result.details ?? {} };
}

describe('parsing the directory text', () => {
  it('strips the " Code: 0x…" ldapts appends and reads AD codes', () => {
    const error = new ConstraintViolationError(AD.tooShort);
    expect(error.message).toBe(`${AD.tooShort} Code: 0x13`);
    expect(directoryText(error)).toBe(AD.tooShort);
    expect(adErrorCode(AD.tooShort)).toBe('0000052D');
    expect(adErrorCode(AD.wrongOld)).toBe('00000056');
    expect(adDataCode(AD.bind('775'))).toBe('775');
    expect(adDataCode(AD.bind('52e'))).toBe('52e');
    expect(adDataCode(OPENLDAP.quality)).toBeUndefined();
  });
});

describe('Samba / Active Directory (§2.5)', () => {
  it.each([
    ['too short', AD.tooShort, 'DIRECTORY_PASSWORD_TOO_SHORT', 'SSPR_5001'],
    ['too short (PSO 14)', AD.psoTooShort, 'DIRECTORY_PASSWORD_TOO_SHORT', 'SSPR_5001'],
    ['not complex', AD.complexity, 'DIRECTORY_PASSWORD_COMPLEXITY', 'SSPR_5002'],
    ['in history', AD.history, 'DIRECTORY_PASSWORD_IN_HISTORY', 'SSPR_5003'],
    ['same as current', AD.sameAsCurrent, 'DIRECTORY_PASSWORD_IN_HISTORY', 'SSPR_5003'],
    ['too young', AD.tooYoung, 'DIRECTORY_PASSWORD_TOO_YOUNG', 'SSPR_5004'],
    ['wrong old password', AD.wrongOld, 'DIRECTORY_WRONG_CURRENT_PASSWORD', 'SSPR_5005'],
  ])('code 19, %s', (_, text, name, code) => {
    const result = mapped(new ConstraintViolationError(text));
    expect(result).toMatchObject({ name, code });
    expect(result.details).toMatchObject({
      resultCode: 19,
      directoryText: text,
      operation: 'changePassword',
      url: 'ldaps://dc1.example.test:636',
    });
  });

  it('an unknown 0000052D text is still a policy refusal', () => {
    const text = '0000052D: Constraint violation - check_password_restrictions: something new!';
    expect(mapped(new ConstraintViolationError(text)).name).toBe('DIRECTORY_PASSWORD_REJECTED');
  });

  it.each([
    ['52e', 'INVALID_CREDENTIALS'],
    ['775', 'DIRECTORY_ACCOUNT_LOCKED'],
    ['533', 'DIRECTORY_ACCOUNT_DISABLED'],
    ['701', 'DIRECTORY_ACCOUNT_DISABLED'],
    ['525', 'DIRECTORY_USER_NOT_FOUND'],
  ])('bind code 49, data %s → %s', (data, name) => {
    const result = mapped(new InvalidCredentialsError(AD.bind(data)), 'verifyPassword');
    expect(result.name).toBe(name);
    expect(result.details).toMatchObject({ resultCode: 49, adData: data });
  });

  it('a user bind for a change with a bad password is a wrong current password', () => {
    expect(mapped(new InvalidCredentialsError(AD.bind('52e')), 'userBindForChange').name).toBe(
      'DIRECTORY_WRONG_CURRENT_PASSWORD',
    );
    // … but a locked account stays locked.
    expect(mapped(new InvalidCredentialsError(AD.bind('775')), 'userBindForChange').name).toBe(
      'DIRECTORY_ACCOUNT_LOCKED',
    );
  });

  it('a refused service-account bind is an on-premises configuration problem (SSPR_0029)', () => {
    const result = mapped(new InvalidCredentialsError(AD.bind('52e')), 'serviceBind');
    expect(result).toMatchObject({ name: 'ON_PREMISES_ADMIN_ACTION_REQUIRED', code: 'SSPR_0029' });
  });

  it('773 (must change) and 532 (expired) prove the password: verifyPassword resolves', () => {
    for (const data of ['773', '532']) {
      const outcome = classifyBindFailure(new InvalidCredentialsError(AD.bind(data)), {
        operation: 'verifyPassword',
      });
      expect(outcome).not.toBeInstanceOf(SsprError);
      expect(outcome).toMatchObject({ mustChange: true });
    }
    expect(
      classifyBindFailure(new InvalidCredentialsError(AD.bind('52e')), {
        operation: 'verifyPassword',
      }),
    ).toBeInstanceOf(SsprError);
  });

  it('50 insufficient access, 32 no such object, other codes', () => {
    expect(mapped(new InsufficientAccessError(AD.acl), 'resetPassword').name).toBe(
      'DIRECTORY_INSUFFICIENT_RIGHTS',
    );
    expect(mapped(new NoSuchObjectError('0000208D: NameErr'), 'resetPassword').name).toBe(
      'DIRECTORY_USER_NOT_FOUND',
    );
    for (const error of [
      new OperationsError(AD.anonymous),
      new StrongAuthRequiredError(AD.strongAuth),
      new UnavailableCriticalExtensionError(''),
      new UnknownStatusCodeError(80, AD.pwdLastSet),
    ]) {
      const result = mapped(error, 'resetPassword');
      expect(result.name).toBe('DIRECTORY_ERROR');
      expect(result.details).toMatchObject({ resultCode: error.code });
      expect(result.details['directoryText']).toBe(directoryText(error));
    }
    expect(mapped(new TimeLimitExceededError(''), 'search').name).toBe('DIRECTORY_TIMEOUT');
    const limited = mapped(new SizeLimitExceededError(''), 'search');
    expect(limited.name).toBe('DIRECTORY_ERROR');
    expect(String(limited.details['reason'])).toContain('size.prtotal=unlimited');
  });
});

describe('OpenLDAP ppolicy (§3.3)', () => {
  it.each([
    ['too short', OPENLDAP.quality, 'passwordTooShort', 'DIRECTORY_PASSWORD_TOO_SHORT'],
    ['in history', OPENLDAP.history, 'passwordInHistory', 'DIRECTORY_PASSWORD_IN_HISTORY'],
    ['same as current', OPENLDAP.same, 'passwordInHistory', 'DIRECTORY_PASSWORD_IN_HISTORY'],
    ['too young', OPENLDAP.tooYoung, 'passwordTooYoung', 'DIRECTORY_PASSWORD_TOO_YOUNG'],
  ] as const)('code 19, %s (with the response control)', (_, text, enumName, name) => {
    const result = mapped(new ConstraintViolationError(text), 'changePassword', ppolicy(enumName));
    expect(result.name).toBe(name);
    expect(result.details).toMatchObject({ ppolicyError: enumName, directoryText: text });
  });

  it('code 19 without the control falls back to the text', () => {
    expect(mapped(new ConstraintViolationError(OPENLDAP.history)).name).toBe(
      'DIRECTORY_PASSWORD_IN_HISTORY',
    );
    expect(mapped(new ConstraintViolationError(OPENLDAP.same)).name).toBe(
      'DIRECTORY_PASSWORD_IN_HISTORY',
    );
    expect(mapped(new ConstraintViolationError(OPENLDAP.tooYoung)).name).toBe(
      'DIRECTORY_PASSWORD_TOO_YOUNG',
    );
    // "fails quality" is length or a quality module: no more precise than "rejected".
    expect(mapped(new ConstraintViolationError(OPENLDAP.quality)).name).toBe(
      'DIRECTORY_PASSWORD_REJECTED',
    );
  });

  it('53 "unwilling to verify old password" is a wrong current password', () => {
    expect(mapped(new UnwillingToPerformError(OPENLDAP.wrongOld)).name).toBe(
      'DIRECTORY_WRONG_CURRENT_PASSWORD',
    );
  });

  it('50 with ppolicy reasons is a policy refusal, otherwise missing rights', () => {
    expect(
      mapped(
        new InsufficientAccessError(OPENLDAP.mustSupplyOld),
        'resetPassword',
        ppolicy('mustSupplyOldPassword'),
      ).name,
    ).toBe('DIRECTORY_PASSWORD_REJECTED');
    expect(mapped(new InsufficientAccessError(OPENLDAP.notAllowed)).name).toBe(
      'DIRECTORY_PASSWORD_REJECTED',
    );
    expect(mapped(new InsufficientAccessError(OPENLDAP.restricted)).details).toMatchObject({
      reason: 'mustChangePasswordFirst',
    });
    expect(mapped(new InsufficientAccessError(''), 'resetPassword').name).toBe(
      'DIRECTORY_INSUFFICIENT_RIGHTS',
    );
  });

  it('a bind refused with 49 and an empty message: bad password, or locked per the control', () => {
    expect(mapped(new InvalidCredentialsError(''), 'verifyPassword').name).toBe(
      'INVALID_CREDENTIALS',
    );
    expect(mapped(new InvalidCredentialsError(''), 'userBindForChange').name).toBe(
      'DIRECTORY_WRONG_CURRENT_PASSWORD',
    );
    expect(
      mapped(new InvalidCredentialsError(''), 'verifyPassword', ppolicy('accountLocked')).name,
    ).toBe('DIRECTORY_ACCOUNT_LOCKED');
    const expired = classifyBindFailure(new InvalidCredentialsError(''), {
      operation: 'verifyPassword',
      ppolicy: ppolicy('passwordExpired'),
    });
    expect(expired).toMatchObject({ mustChange: true });
  });

  it('every enum value of the response control maps (decoded from BER)', () => {
    // SEQUENCE { error [1] ENUMERATED n }
    const expectations: Record<number, string> = {
      1: 'DIRECTORY_ACCOUNT_LOCKED',
      3: 'DIRECTORY_PASSWORD_REJECTED',
      4: 'DIRECTORY_PASSWORD_REJECTED',
      5: 'DIRECTORY_PASSWORD_COMPLEXITY',
      6: 'DIRECTORY_PASSWORD_TOO_SHORT',
      7: 'DIRECTORY_PASSWORD_TOO_YOUNG',
      8: 'DIRECTORY_PASSWORD_IN_HISTORY',
      9: 'DIRECTORY_PASSWORD_REJECTED',
    };
    for (const [value, name] of Object.entries(expectations)) {
      const response = decodePpolicyResponse(Buffer.from([0x30, 0x03, 0x81, 0x01, Number(value)]));
      expect(mapped(new ConstraintViolationError('x'), 'changePassword', response).name).toBe(name);
    }
  });
});

describe('transport failures', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it('refused, reset and TLS problems are DIRECTORY_UNREACHABLE naming the URL and cause', () => {
    const refused = mapTransportError(
      withCode('connect ECONNREFUSED 127.0.0.1:1636', 'ECONNREFUSED'),
      {
        operation: 'connect',
        url: 'ldaps://127.0.0.1:1636',
      },
    );
    expect(refused.errorName).toBe('DIRECTORY_UNREACHABLE');
    expect(refused.details).toMatchObject({
      url: 'ldaps://127.0.0.1:1636',
      reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1636',
    });
    const tls = mapTransportError(
      withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      { operation: 'connect', url: 'ldaps://dc1:636' },
    );
    expect(tls.errorName).toBe('DIRECTORY_UNREACHABLE');
    expect(tls.details?.['reason']).toMatch(/^tls: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('timeouts are DIRECTORY_TIMEOUT', () => {
    expect(
      mapTransportError(new Error('Connection timeout'), { operation: 'connect' }).errorName,
    ).toBe('DIRECTORY_TIMEOUT');
    expect(
      mapTransportError(new Error('ModifyRequest: Operation timed out'), {
        operation: 'resetPassword',
      }).errorName,
    ).toBe('DIRECTORY_TIMEOUT');
  });

  it('tells transport errors from LDAP results and from bugs', () => {
    expect(isTransportError(withCode('x', 'ECONNRESET'))).toBe(true);
    expect(
      isTransportError(new Error('Connection closed before message response was received.')),
    ).toBe(true);
    expect(isTransportError(new InvalidCredentialsError(''))).toBe(false);
    expect(isTransportError(new TypeError('undefined is not a function'))).toBe(false);
    expect(mapLdapError(new TypeError('boom'), { operation: 'read' }).errorName).toBe(
      'DIRECTORY_ERROR',
    );
  });
});
