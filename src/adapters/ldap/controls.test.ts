import { BerReader, BerWriter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  DirSyncControl,
  PasswordPolicyControl,
  PolicyHintsControl,
  POLICY_HINTS_OID,
  SdFlagsControl,
  decodeDirSyncValue,
  decodePpolicyResponse,
  encodeDirSyncValue,
  encodePasswordModify,
  showDeletedControl,
} from './controls.js';

/** The BER of a control as it goes on the wire. */
function wire(control: { write(writer: BerWriter): void }): string {
  const writer = new BerWriter();
  control.write(writer);
  return writer.buffer.toString('hex');
}

const hexOf = (text: string) => Buffer.from(text, 'utf8').toString('hex');

describe('ppolicy response control (draft-behera)', () => {
  it('decodes error, timeBeforeExpiration and graceAuthNsRemaining', () => {
    // SEQUENCE { [1] ENUMERATED 1 }  (accountLocked)
    expect(decodePpolicyResponse(Buffer.from('30038101' + '01', 'hex'))).toEqual({
      error: 1,
      errorName: 'accountLocked',
    });
    // SEQUENCE { [0] { [0] INTEGER 3600 } }
    expect(
      decodePpolicyResponse(Buffer.from('3006a004800 20e10'.replace(/ /g, ''), 'hex')),
    ).toEqual({
      timeBeforeExpiration: 3600,
    });
    // SEQUENCE { [0] { [1] INTEGER 2 }, [1] ENUMERATED 2 }  (grace 2, changeAfterReset)
    expect(decodePpolicyResponse(Buffer.from('3008a003810102810102', 'hex'))).toEqual({
      graceAuthNsRemaining: 2,
      error: 2,
      errorName: 'changeAfterReset',
    });
    expect(decodePpolicyResponse(Buffer.alloc(0))).toEqual({});
    expect(decodePpolicyResponse(Buffer.from('3000', 'hex'))).toEqual({});
  });

  it('the request has no value, is not critical, and fills `response` from a reply', () => {
    const control = new PasswordPolicyControl();
    expect(wire(control)).toBe(
      '30' + '1e' + '04' + '19' + hexOf('1.3.6.1.4.1.42.2.27.8.5.1') + '010100',
    );
    control.parse(new BerReader(Buffer.from('3003810106', 'hex')));
    expect(control.response).toEqual({ error: 6, errorName: 'passwordTooShort' });
  });
});

describe('AD controls', () => {
  it('policy hints: critical, value SEQUENCE { INTEGER 1 }', () => {
    expect(wire(new PolicyHintsControl(POLICY_HINTS_OID))).toBe(
      '30' +
        '23' +
        '04' +
        '17' +
        hexOf('1.2.840.113556.1.4.2239') +
        '0101ff' +
        '0405' +
        '3003020101',
    );
  });

  it('DirSync: request value and response decoding', () => {
    const cookie = Buffer.from('cafe', 'hex');
    expect(encodeDirSyncValue(1, 1_048_576, cookie).toString('hex')).toBe(
      '300c' + '020101' + '0203' + '100000' + '0402' + 'cafe',
    );
    const control = new DirSyncControl(1, cookie);
    expect(wire(control)).toContain('040e' + '300c0201010203100000' + '0402cafe');
    // The DC's reply: SEQUENCE { INTEGER more=1, INTEGER 0, OCTET STRING cookie }
    const reply = Buffer.from('300b' + '020101' + '020100' + '0403' + 'beef01', 'hex');
    expect(decodeDirSyncValue(reply)).toEqual({
      moreResults: true,
      cookie: Buffer.from('beef01', 'hex'),
    });
    control.parse(new BerReader(reply));
    expect(control.moreResults).toBe(true);
    expect(control.responseCookie?.toString('hex')).toBe('beef01');
  });

  it('show deleted (no value) and SD flags (DACL only)', () => {
    expect(wire(showDeletedControl())).toBe(
      '30' + '1b' + '04' + '16' + hexOf('1.2.840.113556.1.4.417') + '0101ff',
    );
    expect(wire(new SdFlagsControl())).toBe(
      '30' +
        '22' +
        '04' +
        '16' +
        hexOf('1.2.840.113556.1.4.801') +
        '010100' +
        '0405' +
        '3003020104',
    );
  });
});

describe('Password Modify extended operation (RFC 3062)', () => {
  it('encodes userIdentity [0], oldPasswd [1], newPasswd [2] in UTF-8', () => {
    expect(
      encodePasswordModify({ userIdentity: 'uid=a,o=x', newPassword: 'Pw1!' }).toString('hex'),
    ).toBe('3011' + '8009' + hexOf('uid=a,o=x') + '8204' + hexOf('Pw1!'));
    expect(encodePasswordModify({ oldPassword: 'old', newPassword: 'Zoë' }).toString('hex')).toBe(
      '300b' + '8103' + hexOf('old') + '8204' + hexOf('Zoë'),
    );
    expect(encodePasswordModify({}).toString('hex')).toBe('3000');
  });
});
