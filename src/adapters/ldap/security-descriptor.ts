/**
 * Just enough of the Windows security descriptor format (MS-DTYP 2.4.6, self-relative) to answer
 * one question without writing anything: does this DACL grant an identity a control-access right
 * such as "Reset Password"? AD's allowedAttributesEffective shows written attributes, but a reset
 * is the extended right User-Force-Change-Password, which only the DACL tells.
 */
import { decodeObjectGuid } from './presets.js';

/** User-Force-Change-Password ("Reset Password"). */
export const RESET_PASSWORD_RIGHT = '00299570-246d-11d0-a768-00aa006e0529';
/** Everyone, Authenticated Users: in every authenticated token. */
export const WELL_KNOWN_TOKEN_SIDS = ['S-1-1-0', 'S-1-5-11'] as const;

const ADS_RIGHT_DS_CONTROL_ACCESS = 0x100;
const GENERIC_ALL = 0x10000000;
const INHERIT_ONLY_ACE = 0x08;
const ACE_OBJECT_TYPE_PRESENT = 0x1;
const ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2;

export interface Ace {
  readonly type: number;
  readonly flags: number;
  readonly mask: number;
  readonly objectType: string | null;
  readonly sid: string;
}

/** Binary SID → `S-1-5-21-…`. */
export function decodeSid(bytes: Buffer, offset = 0): string {
  const revision = bytes.readUInt8(offset);
  const count = bytes.readUInt8(offset + 1);
  const authority = bytes.readUIntBE(offset + 2, 6);
  const parts = [`S-${String(revision)}-${String(authority)}`];
  for (let index = 0; index < count; index += 1) {
    parts.push(String(bytes.readUInt32LE(offset + 8 + index * 4)));
  }
  return parts.join('-');
}

/** The ACEs of a self-relative descriptor's DACL, in order (empty when there is no DACL). */
export function daclAces(descriptor: Buffer): Ace[] {
  if (descriptor.length < 20) return [];
  const daclOffset = descriptor.readUInt32LE(16);
  if (daclOffset === 0 || daclOffset + 8 > descriptor.length) return [];
  const count = descriptor.readUInt16LE(daclOffset + 4);
  const aces: Ace[] = [];
  let at = daclOffset + 8;
  for (let index = 0; index < count && at + 4 <= descriptor.length; index += 1) {
    const type = descriptor.readUInt8(at);
    const flags = descriptor.readUInt8(at + 1);
    const size = descriptor.readUInt16LE(at + 2);
    if (size < 8 || at + size > descriptor.length) break;
    const mask = descriptor.readUInt32LE(at + 4);
    let objectType: string | null = null;
    let sidAt = at + 8;
    if (type === 0x05 || type === 0x06) {
      const objectFlags = descriptor.readUInt32LE(at + 8);
      sidAt = at + 12;
      if ((objectFlags & ACE_OBJECT_TYPE_PRESENT) !== 0) {
        objectType = decodeObjectGuid(descriptor.subarray(sidAt, sidAt + 16));
        sidAt += 16;
      }
      if ((objectFlags & ACE_INHERITED_OBJECT_TYPE_PRESENT) !== 0) sidAt += 16;
    }
    if (type <= 0x01 || type === 0x05 || type === 0x06) {
      aces.push({ type, flags, mask, objectType, sid: decodeSid(descriptor, sidAt) });
    }
    at += size;
  }
  return aces;
}

/**
 * Whether the DACL grants `right` (a control-access right GUID) to a token holding `sids`. ACEs
 * are read in order and the first one that speaks about the right decides, which is Windows'
 * rule for a canonically ordered DACL (explicit deny, explicit allow, inherited deny, inherited
 * allow).
 */
export function grantsControlAccess(
  descriptor: Buffer,
  sids: ReadonlySet<string>,
  right: string,
): boolean {
  for (const ace of daclAces(descriptor)) {
    if ((ace.flags & INHERIT_ONLY_ACE) !== 0 || !sids.has(ace.sid)) continue;
    const coversRight =
      (ace.mask & GENERIC_ALL) !== 0 ||
      ((ace.mask & ADS_RIGHT_DS_CONTROL_ACCESS) !== 0 &&
        (ace.objectType === null || ace.objectType === right));
    if (!coversRight) continue;
    const deny = ace.type === 0x01 || ace.type === 0x06;
    return !deny;
  }
  return false;
}
