import type { Entry } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  bigint,
  bool,
  buffer,
  fileTimeToDate,
  formatGeneralizedTime,
  has,
  int,
  parseGeneralizedTime,
  text,
  texts,
} from './entry.js';

const entry: Entry = {
  dn: 'cn=x',
  userAccountControl: '512',
  PwdLastSet: '134397823443096360',
  member: ['cn=a', 'cn=b'],
  objectGUID: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
  isCriticalSystemObject: 'TRUE',
  empty: [],
};

describe('reading entries', () => {
  it('matches attribute names case-insensitively and reads values', () => {
    expect(text(entry, 'pwdLastSet')).toBe('134397823443096360');
    expect(bigint(entry, 'pwdlastset')).toBe(134397823443096360n);
    expect(int(entry, 'userAccountControl')).toBe(512);
    expect(texts(entry, 'member')).toEqual(['cn=a', 'cn=b']);
    expect(buffer(entry, 'objectGUID')?.length).toBe(16);
    expect(bool(entry, 'isCriticalSystemObject')).toBe(true);
    expect(text(entry, 'empty')).toBeNull();
    expect(has(entry, 'empty')).toBe(false);
    expect(text(entry, 'missing')).toBeNull();
    expect(int(entry, 'member')).toBeNull();
  });
});

describe('times', () => {
  it('GeneralizedTime in its forms', () => {
    expect(parseGeneralizedTime('20261121093000Z')?.toISOString()).toBe('2026-11-21T09:30:00.000Z');
    expect(parseGeneralizedTime('20261121093000.5Z')?.toISOString()).toBe(
      '2026-11-21T09:30:00.500Z',
    );
    expect(parseGeneralizedTime('202611210930+0100')?.toISOString()).toBe(
      '2026-11-21T08:30:00.000Z',
    );
    expect(parseGeneralizedTime('000001010000Z')).not.toBeNull();
    expect(parseGeneralizedTime('yesterday')).toBeNull();
    expect(formatGeneralizedTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102030405Z');
  });

  it('FILETIME: 100-ns ticks since 1601; 0 and never are null', () => {
    expect(fileTimeToDate(116444736000000000n)?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(fileTimeToDate(134397823443096360n)?.getUTCFullYear()).toBe(2026);
    expect(fileTimeToDate(0n)).toBeNull();
    expect(fileTimeToDate(0x7fffffffffffffffn)).toBeNull();
  });
});
