import { EqualityFilter, FilterParser, type Filter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  decodeObjectGuid,
  encodeObjectGuid,
  escapeFilterValue,
  normalizeEntryUuid,
  presets,
  userLookupFilter,
} from './presets.js';

/** Every equality assertion of a parsed filter, as [attribute, value]. */
function equalities(filter: Filter): [string, string][] {
  if (filter instanceof EqualityFilter) {
    const value = Buffer.isBuffer(filter.value) ? filter.value.toString('utf8') : filter.value;
    return [[filter.attribute.toLowerCase(), value]];
  }
  const children = (filter as { filters?: Filter[] }).filters ?? [];
  return children.flatMap(equalities);
}

describe('escapeFilterValue (RFC 4515)', () => {
  it('escapes * ( ) \\ and NUL, leaves other text (UTF-8 included) alone', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
    expect(escapeFilterValue('Zoë Ünal')).toBe('Zoë Ünal');
  });

  it('non-ASCII text survives ldapts parsing unescaped', () => {
    const filter = FilterParser.parseString(`(cn=${escapeFilterValue('Zoë (ops) *')})`);
    expect(equalities(filter)).toEqual([['cn', 'Zoë (ops) *']]);
  });

  it('an injection attempt stays a value', () => {
    const hostile = 'x)(|(uid=*)(cn=*';
    const filter = FilterParser.parseString(
      userLookupFilter(
        presets.openldap,
        { by: 'accountName', value: hostile },
        'dc=example,dc=org',
      ),
    );
    expect(equalities(filter)).toEqual([
      ['objectclass', 'inetOrgPerson'],
      ['uid', hostile],
    ]);
  });
});

describe('userLookupFilter', () => {
  it('AD: UPN, sAMAccountName and mail within the person/user filter', () => {
    const base = 'DC=example,DC=test';
    expect(userLookupFilter(presets.ad, { by: 'upn', value: 'Alice@Example.test' }, base)).toBe(
      '(&(&(objectCategory=person)(objectClass=user))(userPrincipalName=Alice@Example.test))',
    );
    expect(userLookupFilter(presets.ad, { by: 'accountName', value: 'alice' }, base)).toBe(
      '(&(&(objectCategory=person)(objectClass=user))(sAMAccountName=alice))',
    );
    expect(userLookupFilter(presets.ad, { by: 'mail', value: ' a@b.c ' }, base)).toBe(
      '(&(&(objectCategory=person)(objectClass=user))(mail=a@b.c))',
    );
  });

  it('OpenLDAP: a UPN in the base DN domain is mail or uid@domain', () => {
    const base = 'dc=example,dc=org';
    expect(
      userLookupFilter(presets.openldap, { by: 'upn', value: 'alice@example.org' }, base),
    ).toBe('(&(objectClass=inetOrgPerson)(|(mail=alice@example.org)(uid=alice)))');
    expect(
      userLookupFilter(presets.openldap, { by: 'upn', value: 'alice@elsewhere.com' }, base),
    ).toBe('(&(objectClass=inetOrgPerson)(mail=alice@elsewhere.com))');
  });
});

describe('objectGUID', () => {
  it('decodes with the mixed-endian layout and encodes back', () => {
    const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
    expect(decodeObjectGuid(bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(encodeObjectGuid('00112233-4455-6677-8899-AABBCCDDEEFF')).toEqual(bytes);
  });

  it('matches a GUID Samba returned for a tombstone (bb226718-8047-42fc-bfd5-8b0eb6849c1c)', () => {
    const wire = Buffer.from([
      24, 103, 34, 187, 71, 128, 252, 66, 191, 213, 139, 14, 182, 132, 156, 28,
    ]);
    expect(decodeObjectGuid(wire)).toBe('bb226718-8047-42fc-bfd5-8b0eb6849c1c');
  });

  it('rejects wrong lengths', () => {
    expect(() => decodeObjectGuid(Buffer.alloc(15))).toThrow();
    expect(() => encodeObjectGuid('not-a-guid')).toThrow();
  });

  it('entryUUID is lower-cased and checked', () => {
    expect(normalizeEntryUuid('B602F130-7A5A-1041-9A78-C1BCFDF0202B')).toBe(
      'b602f130-7a5a-1041-9a78-c1bcfdf0202b',
    );
    expect(() => normalizeEntryUuid('nope')).toThrow();
  });
});
