/**
 * The LDAP controls and the extended operation the adapters need, as ldapts custom controls.
 * ldapts parses a response control into the *request* control object with the same OID, so
 * callers pass an instance and read its response fields after the call (also after a throw).
 */
import { Ber, BerReader, BerWriter, Control } from 'ldapts';

// ---------------------------------------------------------------------------------------------
// Password policy (draft-behera-ldap-password-policy), OpenLDAP ppolicy overlay

export const PPOLICY_OID = '1.3.6.1.4.1.42.2.27.8.5.1';

/** The response control's error enum, in order (0 … 9). */
export const PPOLICY_ERRORS = [
  'passwordExpired',
  'accountLocked',
  'changeAfterReset',
  'passwordModNotAllowed',
  'mustSupplyOldPassword',
  'insufficientPasswordQuality',
  'passwordTooShort',
  'passwordTooYoung',
  'passwordInHistory',
  'passwordTooLong',
] as const;
export type PpolicyErrorName = (typeof PPOLICY_ERRORS)[number];

export interface PpolicyResponse {
  /** The error enum value, when the server set one. */
  readonly error?: number;
  readonly errorName?: PpolicyErrorName;
  readonly timeBeforeExpiration?: number;
  readonly graceAuthNsRemaining?: number;
}

/**
 * Decodes the ppolicy response value:
 * `SEQUENCE { warning [0] CHOICE { timeBeforeExpiration [0] INTEGER, graceAuthNsRemaining [1]
 * INTEGER } OPTIONAL, error [1] ENUMERATED OPTIONAL }`.
 */
export function decodePpolicyResponse(value: Buffer): PpolicyResponse {
  if (value.length === 0) return {};
  const reader = new BerReader(value);
  if (reader.readSequence() === null) return {};
  const end = reader.offset + reader.length;
  const out: {
    error?: number;
    errorName?: PpolicyErrorName;
    timeBeforeExpiration?: number;
    graceAuthNsRemaining?: number;
  } = {};
  while (reader.offset < end) {
    const tag = reader.peek();
    if (tag === 0xa0) {
      reader.readSequence(0xa0);
      const inner = reader.peek();
      if (inner === 0x80) out.timeBeforeExpiration = reader.readTag(0x80) ?? undefined;
      else if (inner === 0x81) out.graceAuthNsRemaining = reader.readTag(0x81) ?? undefined;
      else break;
    } else if (tag === 0x81) {
      const error = reader.readTag(0x81);
      if (error !== null) {
        out.error = error;
        const name = PPOLICY_ERRORS[error];
        if (name !== undefined) out.errorName = name;
      }
    } else {
      break;
    }
  }
  return out;
}

/** Request (no value) and, after the call, the server's response. */
export class PasswordPolicyControl extends Control {
  response: PpolicyResponse | undefined;

  constructor() {
    super(PPOLICY_OID, { critical: false });
  }

  protected override parseControl(reader: BerReader): void {
    this.response = decodePpolicyResponse(reader.buffer);
  }
}

// ---------------------------------------------------------------------------------------------
// AD password policy hints: make an administrative reset enforce history and minimum age

export const POLICY_HINTS_OID = '1.2.840.113556.1.4.2239';
export const POLICY_HINTS_DEPRECATED_OID = '1.2.840.113556.1.4.2066';

/** `SEQUENCE { Flags INTEGER }` with flags 1 = enforce the policy on a reset. */
export class PolicyHintsControl extends Control {
  constructor(oid: typeof POLICY_HINTS_OID | typeof POLICY_HINTS_DEPRECATED_OID) {
    super(oid, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(1);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}

// ---------------------------------------------------------------------------------------------
// AD DirSync (LDAP_SERVER_DIRSYNC_OID)

export const DIRSYNC_OID = '1.2.840.113556.1.4.841';
/** Return only what the caller may read; lets a non-replicator account use DirSync. */
export const DIRSYNC_OBJECT_SECURITY = 0x1;

/**
 * Request `SEQUENCE { Flags INTEGER, MaxBytes INTEGER, Cookie OCTET STRING }`; the response has
 * the same shape with Flags = "more data" and the next cookie.
 */
export class DirSyncControl extends Control {
  moreResults = false;
  responseCookie: Buffer | undefined;

  constructor(
    readonly flags: number,
    readonly cookie: Buffer,
    readonly maxBytes = 1_048_576,
  ) {
    super(DIRSYNC_OID, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    writer.writeBuffer(encodeDirSyncValue(this.flags, this.maxBytes, this.cookie), Ber.OctetString);
  }

  protected override parseControl(reader: BerReader): void {
    const decoded = decodeDirSyncValue(reader.buffer);
    this.moreResults = decoded.moreResults;
    this.responseCookie = decoded.cookie;
  }
}

export function encodeDirSyncValue(flags: number, maxBytes: number, cookie: Buffer): Buffer {
  const value = new BerWriter();
  value.startSequence();
  value.writeInt(flags);
  value.writeInt(maxBytes);
  value.writeBuffer(cookie, Ber.OctetString);
  value.endSequence();
  return value.buffer;
}

export function decodeDirSyncValue(value: Buffer): { moreResults: boolean; cookie: Buffer } {
  const reader = new BerReader(value);
  if (reader.readSequence() === null) return { moreResults: false, cookie: Buffer.alloc(0) };
  const more = reader.readInt() ?? 0;
  reader.readInt();
  const cookie = reader.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
  return { moreResults: more !== 0, cookie };
}

// ---------------------------------------------------------------------------------------------
// AD "show deleted" (tombstones in CN=Deleted Objects)

export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';

export const showDeletedControl = (): Control => new Control(SHOW_DELETED_OID, { critical: true });

// ---------------------------------------------------------------------------------------------
// Password Modify extended operation (RFC 3062)

export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

/**
 * `PasswdModifyRequestValue ::= SEQUENCE { userIdentity [0] OCTET STRING OPTIONAL, oldPasswd [1]
 * OCTET STRING OPTIONAL, newPasswd [2] OCTET STRING OPTIONAL }` (strings in UTF-8). We always
 * send newPasswd, so the response (a generated password) is never needed.
 */
export function encodePasswordModify(request: {
  readonly userIdentity?: string;
  readonly oldPassword?: string;
  readonly newPassword?: string;
}): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  if (request.userIdentity !== undefined) {
    writer.writeBuffer(Buffer.from(request.userIdentity, 'utf8'), 0x80);
  }
  if (request.oldPassword !== undefined) {
    writer.writeBuffer(Buffer.from(request.oldPassword, 'utf8'), 0x81);
  }
  if (request.newPassword !== undefined) {
    writer.writeBuffer(Buffer.from(request.newPassword, 'utf8'), 0x82);
  }
  writer.endSequence();
  return writer.buffer;
}

// ---------------------------------------------------------------------------------------------
// AD security descriptor flags: which parts of nTSecurityDescriptor to return

export const SD_FLAGS_OID = '1.2.840.113556.1.4.801';
/** OWNER 1, GROUP 2, DACL 4, SACL 8. Without it a non-admin gets no descriptor at all. */
export const SD_FLAGS_DACL = 0x4;

/** `SEQUENCE { Flags INTEGER }`. */
export class SdFlagsControl extends Control {
  constructor(readonly flags: number = SD_FLAGS_DACL) {
    super(SD_FLAGS_OID, { critical: false });
  }

  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(this.flags);
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }
}
