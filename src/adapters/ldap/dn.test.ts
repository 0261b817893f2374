import { describe, expect, it } from 'vitest';
import {
  domainOfDn,
  escapeDnValue,
  firstRdnValue,
  isDnWithin,
  normalizeDn,
  parseDn,
  sameDn,
} from './dn.js';

describe('parseDn', () => {
  it('reads RDNs, multi-valued RDNs, escapes and hex escapes', () => {
    expect(parseDn('CN=Smith\\, John+uid=js,OU=Staff,DC=example,DC=test')).toEqual([
      [
        { type: 'cn', value: 'Smith, John' },
        { type: 'uid', value: 'js' },
      ],
      [{ type: 'ou', value: 'Staff' }],
      [{ type: 'dc', value: 'example' }],
      [{ type: 'dc', value: 'test' }],
    ]);
    expect(parseDn('cn=Caf\\C3\\A9,o=x')[0]).toEqual([{ type: 'cn', value: 'Café' }]);
    expect(parseDn('cn=a\\2Cb, ou = x ')[0]).toEqual([{ type: 'cn', value: 'a,b' }]);
    expect(parseDn('cn="quoted, value",o=x')[0]).toEqual([{ type: 'cn', value: 'quoted, value' }]);
    expect(parseDn('1.2.3=#04024869,o=x')[0]).toEqual([{ type: '1.2.3', value: '#04024869' }]);
    expect(parseDn('')).toEqual([]);
  });

  it('keeps escaped spaces and drops unescaped trailing ones', () => {
    expect(parseDn('cn=a\\ ,o=x')[0]).toEqual([{ type: 'cn', value: 'a ' }]);
    expect(parseDn('cn=a  ,o=x')[0]).toEqual([{ type: 'cn', value: 'a' }]);
  });

  it('rejects malformed DNs', () => {
    expect(() => parseDn('no equals sign')).toThrow(/malformed DN/);
    expect(() => parseDn('cn=a\\')).toThrow(/malformed DN/);
    expect(() => parseDn('c n=a')).toThrow(/malformed DN/);
  });
});

describe('comparing DNs', () => {
  it('normalises case, spacing and escaping', () => {
    expect(normalizeDn('CN=Alice Adams, OU=Staff,DC=Example,DC=Test')).toBe(
      'cn=alice adams,ou=staff,dc=example,dc=test',
    );
    expect(sameDn('cn=a\\2Cb,o=X', 'CN=A\\,B,O=x')).toBe(true);
    expect(sameDn('cn=a+uid=b,o=x', 'uid=b+cn=a,o=x')).toBe(true);
  });

  it('isDnWithin: the base itself and everything below it, nothing else', () => {
    const base = 'OU=Staff,DC=example,DC=test';
    expect(isDnWithin('CN=Alice,OU=Staff,DC=example,DC=test', base)).toBe(true);
    expect(isDnWithin('cn=carol,ou=finance,ou=staff,dc=EXAMPLE,dc=test', base)).toBe(true);
    expect(isDnWithin(base, base)).toBe(true);
    expect(isDnWithin('CN=Frank,OU=Contractors,DC=example,DC=test', base)).toBe(false);
    // A value that merely ends like the base is not below it.
    expect(isDnWithin('CN=x,OU=NotStaff,DC=example,DC=test', base)).toBe(false);
    expect(isDnWithin('CN=x\\,OU=Staff,DC=example,DC=test', 'DC=example,DC=test')).toBe(true);
    expect(isDnWithin('CN=x\\,OU=Staff,DC=example,DC=test', base)).toBe(false);
    expect(isDnWithin('garbage', base)).toBe(false);
  });
});

describe('escapeDnValue (RFC 4514)', () => {
  it('escapes the special characters, leading # or space, trailing space', () => {
    expect(escapeDnValue('Smith, John')).toBe('Smith\\, John');
    expect(escapeDnValue('a+b=c<d>e;f"g\\h')).toBe('a\\+b\\=c\\<d\\>e\\;f\\"g\\\\h');
    expect(escapeDnValue('#1 ')).toBe('\\#1\\ ');
    expect(escapeDnValue(' x')).toBe('\\ x');
    expect(escapeDnValue('nul\0')).toBe('nul\\00');
    expect(escapeDnValue('Café')).toBe('Café');
  });

  it('round-trips through parseDn', () => {
    for (const value of ['Smith, John', '#hash', ' lead', 'trail ', 'a+b', 'x\\y', 'q"uote']) {
      expect(parseDn(`cn=${escapeDnValue(value)},o=x`)[0]).toEqual([{ type: 'cn', value }]);
    }
  });
});

describe('helpers', () => {
  it('domainOfDn and firstRdnValue', () => {
    expect(domainOfDn('ou=people,dc=example,dc=org')).toBe('example.org');
    expect(domainOfDn('o=NoDomain')).toBeNull();
    expect(firstRdnValue('CN=sspr-strict,CN=Password Settings Container,CN=System,DC=x')).toBe(
      'sspr-strict',
    );
  });
});
