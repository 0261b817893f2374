import type { Entry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  adAccountState,
  collectRangedValues,
  adIntervalToDays,
  adIntervalToMinutes,
  parseAdCookie,
  unicodePwd,
} from './active-directory.js';

describe('AD intervals (negative 100-ns ticks)', () => {
  it('converts to days and minutes; 0 and "never" are 0', () => {
    expect(adIntervalToDays(-36288000000000n)).toBe(42); // Samba's maxPwdAge above
    expect(adIntervalToDays(-864000000000n)).toBe(1);
    expect(adIntervalToDays(-36000000000n)).toBeCloseTo(1 / 24);
    expect(adIntervalToDays(0n)).toBe(0);
    expect(adIntervalToDays(-0x8000000000000000n)).toBe(0);
    expect(adIntervalToDays(null)).toBe(0);
    expect(adIntervalToMinutes(-18000000000n)).toBe(30); // lockoutDuration 30 min
    expect(adIntervalToMinutes(-0x8000000000000000n)).toBe(0);
  });
});

describe('adAccountState', () => {
  const base = { dn: 'CN=a', userAccountControl: '512', pwdLastSet: '134397823443096360' };

  it('a normal account', () => {
    expect(adAccountState({ ...base, 'msDS-User-Account-Control-Computed': '0' })).toEqual({
      disabled: false,
      locked: false,
      expired: false,
      mustChange: false,
      protected: false,
      criticalSystemObject: false,
      passwordLastSet: '2026-11-22T00:52:24.309Z',
    });
  });

  it('disabled (UAC bit 2), locked (computed bit 16), protected, critical', () => {
    const state = adAccountState({
      ...base,
      userAccountControl: '514',
      'msDS-User-Account-Control-Computed': '16',
      lockoutTime: '134397823443096360',
      adminCount: '1',
      isCriticalSystemObject: 'TRUE',
    });
    expect(state).toMatchObject({
      disabled: true,
      locked: true,
      protected: true,
      criticalSystemObject: true,
    });
  });

  it('a lockoutTime whose duration ran out is not locked when the DC says so', () => {
    expect(
      adAccountState({
        ...base,
        lockoutTime: '134397823443096360',
        'msDS-User-Account-Control-Computed': '0',
      }).locked,
    ).toBe(false);
    // Without the computed attribute, lockoutTime is all there is.
    expect(adAccountState({ ...base, lockoutTime: '134397823443096360' }).locked).toBe(true);
  });

  it('pwdLastSet=0 is must-change, not expired; bit 8388608 otherwise is expired', () => {
    const mustChange = adAccountState({
      ...base,
      pwdLastSet: '0',
      'msDS-User-Account-Control-Computed': '8388608',
    });
    expect(mustChange).toMatchObject({ mustChange: true, expired: false, passwordLastSet: null });
    expect(
      adAccountState({ ...base, 'msDS-User-Account-Control-Computed': '8388608' }),
    ).toMatchObject({
      mustChange: false,
      expired: true,
    });
  });
});

describe('unicodePwd', () => {
  it('is the quoted password in UTF-16LE', () => {
    expect(unicodePwd('Ab1!')).toEqual(
      Buffer.from([0x22, 0, 0x41, 0, 0x62, 0, 0x31, 0, 0x21, 0, 0x22, 0]),
    );
    expect(unicodePwd('Zoë').toString('utf16le')).toBe('"Zoë"');
  });
});

describe('parseAdCookie', () => {
  it('accepts our two forms and nothing else', () => {
    expect(parseAdCookie('{"v":1,"mode":"usn","usn":4045,"dc":"CN=NTDS Settings,CN=DC1"}')).toEqual(
      {
        v: 1,
        mode: 'usn',
        usn: 4045,
        dc: 'CN=NTDS Settings,CN=DC1',
      },
    );
    expect(
      parseAdCookie('{"v":1,"mode":"dirsync","dirsync":"TVNEUw==","flags":1,"usn":1,"dc":"x"}'),
    ).toMatchObject({ mode: 'dirsync', flags: 1 });
    for (const bad of [
      null,
      '',
      'not json',
      '{"v":2,"mode":"usn","usn":1,"dc":"x"}',
      '{"v":1,"mode":"dirsync","usn":1,"dc":"x"}',
    ]) {
      expect(parseAdCookie(bad)).toBeNull();
    }
  });
});

describe('collectRangedValues (AD ranged retrieval of big groups)', () => {
  it('follows member;range=… until the range ends in *', async () => {
    const asked: string[] = [];
    const members = await collectRangedValues(
      { dn: 'CN=big', 'member;range=0-1': ['cn=a', 'cn=b'] },
      'member',
      (range): Promise<Entry> => {
        asked.push(range);
        const page: Entry =
          range === '2-*'
            ? { dn: 'CN=big', 'member;range=2-3': ['cn=c', 'cn=d'] }
            : { dn: 'CN=big', 'member;range=4-*': ['cn=e'] };
        return Promise.resolve(page);
      },
    );
    expect(members).toEqual(['cn=a', 'cn=b', 'cn=c', 'cn=d', 'cn=e']);
    expect(asked).toEqual(['2-*', '4-*']);
  });

  it('a small group is just its attribute', async () => {
    const fetch = () => Promise.reject(new Error('not needed'));
    expect(await collectRangedValues({ dn: 'CN=g', member: ['cn=a'] }, 'member', fetch)).toEqual([
      'cn=a',
    ]);
    expect(await collectRangedValues({ dn: 'CN=g', member: [] }, 'member', fetch)).toEqual([]);
  });
});
