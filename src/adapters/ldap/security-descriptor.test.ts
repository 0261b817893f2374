import { describe, expect, it } from 'vitest';
import { encodeObjectGuid } from './presets.js';
import {
  RESET_PASSWORD_RIGHT,
  daclAces,
  decodeSid,
  grantsControlAccess,
} from './security-descriptor.js';

function sid(text: string): Buffer {
  const [, revision, authority, ...subs] = text.split('-');
  const out = Buffer.alloc(8 + subs.length * 4);
  out.writeUInt8(Number(revision), 0);
  out.writeUInt8(subs.length, 1);
  out.writeUIntBE(Number(authority), 2, 6);
  subs.forEach((sub, index) => out.writeUInt32LE(Number(sub), 8 + index * 4));
  return out;
}

interface TestAce {
  type: number;
  flags?: number;
  mask: number;
  objectType?: string;
  sid: string;
}

function ace(a: TestAce): Buffer {
  const body: Buffer[] = [];
  const mask = Buffer.alloc(4);
  mask.writeUInt32LE(a.mask >>> 0, 0);
  body.push(mask);
  if (a.type === 0x05 || a.type === 0x06) {
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE(a.objectType === undefined ? 0 : 1, 0);
    body.push(flags);
    if (a.objectType !== undefined) body.push(encodeObjectGuid(a.objectType));
  }
  body.push(sid(a.sid));
  const size = 4 + body.reduce((n, b) => n + b.length, 0);
  const header = Buffer.from([a.type, a.flags ?? 0, size & 0xff, size >> 8]);
  return Buffer.concat([header, ...body]);
}

function descriptor(aces: TestAce[]): Buffer {
  const encoded = aces.map(ace);
  const aclSize = 8 + encoded.reduce((n, b) => n + b.length, 0);
  const acl = Buffer.alloc(8);
  acl.writeUInt8(4, 0);
  acl.writeUInt16LE(aclSize, 2);
  acl.writeUInt16LE(aces.length, 4);
  const header = Buffer.alloc(20);
  header.writeUInt8(1, 0);
  header.writeUInt16LE(0x8004, 2); // self-relative, DACL present
  header.writeUInt32LE(20, 16); // DACL right after the header
  return Buffer.concat([header, acl, ...encoded]);
}

const SVC = 'S-1-5-21-1-2-3-1105';
const OTHER = 'S-1-5-21-1-2-3-1200';
const token = new Set([SVC, 'S-1-1-0', 'S-1-5-11']);
const CONTROL_ACCESS = 0x100;

describe('decodeSid', () => {
  it('reads revision, authority and sub-authorities', () => {
    expect(decodeSid(sid('S-1-5-21-3623811015-3361044348-30300820-1013'))).toBe(
      'S-1-5-21-3623811015-3361044348-30300820-1013',
    );
    expect(decodeSid(sid('S-1-1-0'))).toBe('S-1-1-0');
  });
});

describe('grantsControlAccess (Reset Password)', () => {
  it('an object ACE for the right, to the account, grants it', () => {
    const sd = descriptor([
      { type: 0x05, mask: CONTROL_ACCESS, objectType: RESET_PASSWORD_RIGHT, sid: SVC },
    ]);
    expect(daclAces(sd)).toEqual([
      { type: 5, flags: 0, mask: CONTROL_ACCESS, objectType: RESET_PASSWORD_RIGHT, sid: SVC },
    ]);
    expect(grantsControlAccess(sd, token, RESET_PASSWORD_RIGHT)).toBe(true);
  });

  it('another right, another SID, or an inherit-only ACE grants nothing', () => {
    const changePassword = 'ab721a53-1e2f-11d0-9819-00aa0040529b';
    expect(
      grantsControlAccess(
        descriptor([
          { type: 0x05, mask: CONTROL_ACCESS, objectType: changePassword, sid: SVC },
          { type: 0x05, mask: CONTROL_ACCESS, objectType: RESET_PASSWORD_RIGHT, sid: OTHER },
          {
            type: 0x05,
            flags: 0x08,
            mask: CONTROL_ACCESS,
            objectType: RESET_PASSWORD_RIGHT,
            sid: SVC,
          },
        ]),
        token,
        RESET_PASSWORD_RIGHT,
      ),
    ).toBe(false);
  });

  it('all extended rights (no object type) and GENERIC_ALL grant it, also via a group', () => {
    expect(
      grantsControlAccess(
        descriptor([{ type: 0x00, mask: CONTROL_ACCESS, sid: 'S-1-5-11' }]),
        token,
        RESET_PASSWORD_RIGHT,
      ),
    ).toBe(true);
    expect(
      grantsControlAccess(
        descriptor([{ type: 0x00, mask: 0x10000000, sid: SVC }]),
        token,
        RESET_PASSWORD_RIGHT,
      ),
    ).toBe(true);
  });

  it('a deny ACE before the allow wins', () => {
    const sd = descriptor([
      { type: 0x06, mask: CONTROL_ACCESS, objectType: RESET_PASSWORD_RIGHT, sid: 'S-1-1-0' },
      { type: 0x05, mask: CONTROL_ACCESS, objectType: RESET_PASSWORD_RIGHT, sid: SVC },
    ]);
    expect(grantsControlAccess(sd, token, RESET_PASSWORD_RIGHT)).toBe(false);
  });

  it('no DACL or garbage grants nothing', () => {
    expect(grantsControlAccess(Buffer.alloc(20), token, RESET_PASSWORD_RIGHT)).toBe(false);
    expect(grantsControlAccess(Buffer.alloc(3), token, RESET_PASSWORD_RIGHT)).toBe(false);
  });
});
