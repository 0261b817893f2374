import { fail } from '../domain/errors/sspr-error.js';
import { generateTotpSecret, buildTotpUri, verifyTotp } from '../domain/methods/totp.js';
import {
  normalizeAnswer,
  validateSecurityQuestionRegistration,
} from '../domain/methods/security-questions.js';
import { maskEmail, parseEmail, parsePhone } from '../domain/methods/contact.js';
import type { AuthMethod } from '../domain/model/auth-method.js';
import type { PhoneChannel } from '../domain/ports/sms-sender.js';
import type { MethodName, SsprPolicy } from '../domain/model/sspr-policy.js';
import { audit, type RequestContext } from './audit-log.js';
import { claimCodeSend } from './email-throttle.js';
import {
  consumeRegistrationCode,
  deliverOrVoid,
  issueCode,
  sendPhoneCode,
} from './one-time-codes.js';
import type { ServiceDeps } from './deps.js';
import { getPolicy } from './policy-service.js';
import type { AuthenticatedSession } from './session-service.js';
import { throttleSubject } from './subjects.js';
import { isAdmin } from './user-facts.js';
import { confirmationKey } from './registration-status.js';

const SAVED = 'Security info saved for self-service password reset' as const;
const MAX_TOTP = 5;

/** What /me/methods shows: never a secret, a code or an answer. */
export interface MethodView {
  readonly id: string;
  readonly method: MethodName;
  readonly status: AuthMethod['status'];
  readonly display: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function viewOf(m: AuthMethod): MethodView {
  return {
    id: m.id,
    method: m.kind,
    status: m.status,
    display: display(m),
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** The saved method, read back after a registration step. */
async function savedView(deps: ServiceDeps, id: string): Promise<MethodView> {
  const saved = await deps.store.methods.findById(id);
  if (saved === null) fail('METHOD_REGISTRATION_NOT_FOUND');
  return viewOf(saved);
}

function display(m: AuthMethod): string {
  switch (m.data.kind) {
    case 'totp':
      return m.data.label;
    case 'email':
      return maskEmail(m.data.email);
    case 'sms':
    case 'voice':
    case 'officePhone':
      return m.data.phone;
    case 'securityQuestions':
      return `${String(m.data.answers.length)} security questions`;
  }
}

export async function listMethods(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
): Promise<MethodView[]> {
  const methods = await deps.store.methods.listByUser(auth.user.id);
  return methods.filter((m) => m.status === 'active').map(viewOf);
}

async function assertKindAllowed(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
  kind: MethodName,
): Promise<SsprPolicy> {
  const policy = await getPolicy(deps.store);
  const admin = await isAdmin(deps.store, auth.user.id);
  if (kind === 'securityQuestions' && admin) fail('METHOD_NOT_ALLOWED_FOR_ADMINS');
  // Admins follow the fixed administrator policy, not the user method list (Entra).
  if (!admin && !policy.methods[kind])
    fail('METHOD_DISABLED_BY_POLICY', { details: { method: kind } });
  return policy;
}

function auditActor(auth: AuthenticatedSession) {
  return {
    actorId: auth.user.id,
    actorUpn: auth.user.userPrincipalName,
    targetId: auth.user.id,
    targetUpn: auth.user.userPrincipalName,
  };
}

/** POST /me/methods/totp → a pending authenticator with its secret and otpauth URI, shown once. */
export async function startTotp(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
): Promise<{ id: string; secret: string; otpauthUri: string }> {
  await assertKindAllowed(deps, auth, 'totp');
  const existing = (await deps.store.methods.listByUser(auth.user.id)).filter(
    (m) => m.kind === 'totp' && m.status === 'active',
  );
  if (existing.length >= MAX_TOTP) fail('METHOD_LIMIT_REACHED');
  const secret = generateTotpSecret(deps.random);
  const id = deps.random.uuid();
  const now = deps.clock.now().toISOString();
  await deps.store.methods.deletePending(auth.user.id, 'totp');
  await deps.store.methods.create(
    {
      id,
      userId: auth.user.id,
      kind: 'totp',
      status: 'pending',
      data: {
        kind: 'totp',
        secretEncrypted: deps.secretBox.seal(secret),
        label: 'Authenticator app',
      },
    },
    now,
  );
  return {
    id,
    secret,
    otpauthUri: buildTotpUri({
      secret,
      issuer: deps.settings.organizationName,
      account: auth.user.userPrincipalName,
    }),
  };
}

async function latestPending(
  deps: ServiceDeps,
  userId: string,
  kind: MethodName,
): Promise<AuthMethod> {
  const pending = (await deps.store.methods.listByUser(userId))
    .filter((m) => m.kind === kind && m.status === 'pending')
    .at(-1);
  if (pending === undefined) fail('METHOD_REGISTRATION_NOT_FOUND');
  return pending;
}

/** POST /me/methods/totp/verify {code}: the first code proves the app holds the secret. */
export async function verifyTotpRegistration(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  code: string,
): Promise<MethodView> {
  const pending = await latestPending(deps, auth.user.id, 'totp');
  if (pending.data.kind !== 'totp') fail('METHOD_REGISTRATION_NOT_FOUND');
  const now = deps.clock.now();
  const match = verifyTotp(deps.secretBox.open(pending.data.secretEncrypted), code, now);
  if (!match) fail('CODE_INVALID');
  if (!(await deps.store.methods.claimTotpStep(pending.id, match.step, now.toISOString())))
    fail('CODE_REPLAYED');
  await deps.store.transaction(async (tx) => {
    await tx.methods.activate(pending.id, now.toISOString());
    await audit(deps, tx, ctx, {
      activity: SAVED,
      result: 'success',
      details: { method: 'totp' },
      ...auditActor(auth),
    });
  });
  return savedView(deps, pending.id);
}

/** POST /me/methods/email {email}: sends a code to prove the address. */
export async function startEmail(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
  rawEmail: string,
): Promise<{ id: string; codeExpiresAt: string }> {
  await assertKindAllowed(deps, auth, 'email');
  const email = parseEmail(rawEmail);
  const subject = throttleSubject(deps, auth.user.id, auth.user.userPrincipalName);
  await claimCodeSend(deps, 'email', subject);
  const now = deps.clock.now();
  const id = deps.random.uuid();
  await deps.store.methods.deletePending(auth.user.id, 'email');
  await deps.store.methods.create(
    { id, userId: auth.user.id, kind: 'email', status: 'pending', data: { kind: 'email', email } },
    now.toISOString(),
  );
  const { code, expiresAt: codeExpiresAt } = await issueCode(deps, {
    id,
    purpose: 'register-email',
    subject: auth.user.id,
    now,
  });
  await deliverOrVoid(deps, id, now, () =>
    deps.mailer.send({
      to: email,
      subject: `${deps.settings.organizationName} account email verification code`,
      text: `Use this code to confirm this address for password reset: ${code}\n\nThe code expires in 5 minutes.\n`,
    }),
  );
  return { id, codeExpiresAt };
}

/** POST /me/methods/email/verify {code}: confirms the address; it replaces any earlier email. */
export async function verifyEmailRegistration(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  code: string,
): Promise<MethodView> {
  const pending = await latestPending(deps, auth.user.id, 'email');
  const now = deps.clock.now();
  await consumeRegistrationCode(deps, pending.id, code, now);
  await deps.store.transaction(async (tx) => {
    for (const m of await tx.methods.listByUser(auth.user.id)) {
      if (m.kind === 'email' && m.status === 'active') await tx.methods.delete(m.id);
    }
    await tx.methods.activate(pending.id, now.toISOString());
    await audit(deps, tx, ctx, {
      activity: SAVED,
      result: 'success',
      details: { method: 'email' },
      ...auditActor(auth),
    });
  });
  return savedView(deps, pending.id);
}

/** A mobile phone (text or call; registers `sms` and `voice`) or an office phone (call; `officePhone`). */
export type PhoneType = 'mobile' | 'office';

const phoneTypes = {
  mobile: { kinds: ['sms', 'voice'], pending: 'sms', delivery: 'sms' },
  office: { kinds: ['officePhone'], pending: 'officePhone', delivery: 'voice' },
} as const satisfies Record<
  PhoneType,
  { kinds: readonly MethodName[]; pending: MethodName; delivery: PhoneChannel }
>;

const PHONE_OFF =
  'Phone methods are off: no text message / voice provider is configured (sms.provider is none).';

/** The provider, or SSPR_3506 when none is configured. */
function smsSenderOf(deps: ServiceDeps) {
  if (deps.sms === undefined)
    fail('METHOD_NOT_SUPPORTED', { details: { method: 'phone', reason: PHONE_OFF } });
  return deps.sms;
}

async function assertPhoneAllowed(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
  type: PhoneType,
): Promise<void> {
  const policy = await getPolicy(deps.store);
  // Admins follow the fixed administrator policy, not the user method list (Entra).
  if (await isAdmin(deps.store, auth.user.id)) return;
  const kinds: readonly MethodName[] = phoneTypes[type].kinds;
  if (!kinds.some((kind) => policy.methods[kind]))
    fail('METHOD_DISABLED_BY_POLICY', { details: { method: phoneTypes[type].pending } });
}

/**
 * The shape (country code, number of national digits) of the last phone number registered, kept
 * so the unknown-user emulation of the reset flow shows hints shaped like this organisation's
 * real numbers (`+48 ••••••• 12`, not `+1 …` everywhere). Never the number itself.
 */
export const PHONE_SHAPE_KEY = 'phone-methods:last-shape';

export interface PhoneShape {
  readonly country: string;
  readonly digits: number;
}

export function phoneShapeOf(phone: string): PhoneShape | undefined {
  const match = /^\+([0-9]{1,3}) ([0-9]{3,17})/u.exec(phone);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { country: match[1], digits: match[2].length };
}

/** The stored shape, or North American numbers when none was registered yet. */
export async function lastPhoneShape(deps: Pick<ServiceDeps, 'store'>): Promise<PhoneShape> {
  const stored = await deps.store.settings.get(PHONE_SHAPE_KEY);
  const country =
    typeof stored === 'object' && stored !== null
      ? (stored as Record<string, unknown>).country
      : undefined;
  const digits =
    typeof stored === 'object' && stored !== null
      ? (stored as Record<string, unknown>).digits
      : undefined;
  if (
    typeof country === 'string' &&
    /^[0-9]{1,3}$/.test(country) &&
    typeof digits === 'number' &&
    Number.isInteger(digits) &&
    digits >= 3 &&
    digits <= 17
  )
    return { country, digits };
  return { country: '1', digits: 10 };
}

export interface PhoneStart {
  readonly type: PhoneType;
  /** Normalised to Entra's form, e.g. `+48 601234567`. */
  readonly phoneNumber: string;
  readonly delivery: PhoneChannel;
  readonly codeExpiresAt: string;
}

/**
 * POST /me/methods/phone {type, phoneNumber}: sends a code to prove the number — a text message
 * to a mobile phone, a voice call to an office phone. Throttled like email codes.
 */
export async function startPhone(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
  input: { type: PhoneType; phoneNumber: string },
): Promise<PhoneStart> {
  const sender = smsSenderOf(deps);
  await assertPhoneAllowed(deps, auth, input.type);
  const phoneNumber = parsePhone(input.phoneNumber);
  if (input.type === 'mobile' && phoneNumber.includes('x'))
    fail('INVALID_PHONE', { details: { reason: 'A mobile phone number has no extension.' } });
  const { pending: kind, delivery } = phoneTypes[input.type];
  const subject = throttleSubject(deps, auth.user.id, auth.user.userPrincipalName);
  await claimCodeSend(deps, 'phone', subject);
  const now = deps.clock.now();
  const id = deps.random.uuid();
  // One phone registration at a time: `verify {code}` then knows which number it confirms.
  await deps.store.methods.deletePending(auth.user.id, 'sms');
  await deps.store.methods.deletePending(auth.user.id, 'officePhone');
  await deps.store.methods.create(
    {
      id,
      userId: auth.user.id,
      kind,
      status: 'pending',
      data: kind === 'sms' ? { kind: 'sms', phone: phoneNumber } : { kind, phone: phoneNumber },
    },
    now.toISOString(),
  );
  const { code, expiresAt: codeExpiresAt } = await issueCode(deps, {
    id,
    purpose: 'register-phone',
    subject: auth.user.id,
    now,
  });
  try {
    await deliverOrVoid(deps, id, now, () =>
      sendPhoneCode(sender, deps.settings.organizationName, {
        to: phoneNumber,
        channel: delivery,
        code,
        purpose: 'Use it to confirm this phone for password reset.',
      }),
    );
  } catch (error) {
    await deps.store.methods.deletePending(auth.user.id, kind);
    throw error;
  }
  return { type: input.type, phoneNumber, delivery, codeExpiresAt };
}

/**
 * POST /me/methods/phone/verify {code}: confirms the pending number. A mobile phone becomes the
 * `sms` and `voice` methods, an office phone the `officePhone` method; each replaces the earlier
 * number of its type.
 */
export async function verifyPhoneRegistration(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  code: string,
): Promise<{ type: PhoneType; phoneNumber: string; methods: MethodView[] }> {
  const pending = (await deps.store.methods.listByUser(auth.user.id))
    .filter((m) => (m.kind === 'sms' || m.kind === 'officePhone') && m.status === 'pending')
    .at(-1);
  if (pending === undefined || (pending.data.kind !== 'sms' && pending.data.kind !== 'officePhone'))
    fail('METHOD_REGISTRATION_NOT_FOUND');
  const phoneNumber = pending.data.phone;
  const now = deps.clock.now();
  await consumeRegistrationCode(deps, pending.id, code, now);
  const type: PhoneType = pending.kind === 'sms' ? 'mobile' : 'office';
  const kinds: readonly MethodName[] = phoneTypes[type].kinds;
  const ids = [pending.id];
  await deps.store.transaction(async (tx) => {
    for (const m of await tx.methods.listByUser(auth.user.id)) {
      if (kinds.includes(m.kind) && m.status === 'active') await tx.methods.delete(m.id);
    }
    await tx.methods.activate(pending.id, now.toISOString());
    if (type === 'mobile') {
      const voiceId = deps.random.uuid();
      ids.push(voiceId);
      await tx.methods.create(
        {
          id: voiceId,
          userId: auth.user.id,
          kind: 'voice',
          status: 'active',
          data: { kind: 'voice', phone: phoneNumber },
        },
        now.toISOString(),
      );
    }
    const shape = phoneShapeOf(phoneNumber);
    if (shape !== undefined) await tx.settings.set(PHONE_SHAPE_KEY, shape, now.toISOString());
    await audit(deps, tx, ctx, {
      activity: SAVED,
      result: 'success',
      details: { method: 'phone', type, methods: kinds },
      ...auditActor(auth),
    });
  });
  return {
    type,
    phoneNumber,
    methods: await Promise.all(ids.map((id) => savedView(deps, id))),
  };
}

/** POST /me/methods/securityQuestions {answers}: registers (replaces) the user's questions. */
export async function registerSecurityQuestions(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  answers: readonly { questionId: string; answer: string }[],
): Promise<MethodView> {
  const policy = await assertKindAllowed(deps, auth, 'securityQuestions');
  const problems = validateSecurityQuestionRegistration(answers, policy.securityQuestions);
  if (problems.length > 0) fail('SECURITY_QUESTIONS_INVALID', { details: { problems } });
  const hashed = await Promise.all(
    answers.map(async (a) => ({
      questionId: a.questionId,
      answerHash: await deps.hasher.hash(normalizeAnswer(a.answer)),
    })),
  );
  const id = deps.random.uuid();
  const now = deps.clock.now().toISOString();
  await deps.store.transaction(async (tx) => {
    for (const m of await tx.methods.listByUser(auth.user.id)) {
      if (m.kind === 'securityQuestions') await tx.methods.delete(m.id);
    }
    await tx.methods.create(
      {
        id,
        userId: auth.user.id,
        kind: 'securityQuestions',
        status: 'active',
        data: { kind: 'securityQuestions', answers: hashed },
      },
      now,
    );
    await audit(deps, tx, ctx, {
      activity: SAVED,
      result: 'success',
      details: { method: 'securityQuestions', count: hashed.length },
      ...auditActor(auth),
    });
  });
  return savedView(deps, id);
}

/** POST /me/methods/confirm: the user reviewed their security info and it is still right. */
export async function confirmMethods(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.store.transaction(async (tx) => {
    await tx.settings.set(confirmationKey(auth.user.id), now, now);
    await audit(deps, tx, ctx, {
      activity: 'User reviewed security info',
      result: 'success',
      ...auditActor(auth),
    });
  });
}

/** DELETE /me/methods/{id}. */
export async function removeMethod(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  id: string,
): Promise<void> {
  const method = await deps.store.methods.findById(id);
  if (method === null || method.userId !== auth.user.id) fail('RESOURCE_NOT_FOUND');
  await deps.store.transaction(async (tx) => {
    // A mobile phone is one number behind two methods (text and call): both go together.
    const mobile = method.data.kind === 'sms' || method.data.kind === 'voice';
    const phone = 'phone' in method.data ? method.data.phone : null;
    const siblings = mobile
      ? (await tx.methods.listByUser(auth.user.id)).filter(
          (m) =>
            m.id !== id &&
            (m.data.kind === 'sms' || m.data.kind === 'voice') &&
            m.data.phone === phone,
        )
      : [];
    await tx.methods.delete(id);
    for (const m of siblings) await tx.methods.delete(m.id);
    await audit(deps, tx, ctx, {
      activity: 'User deleted security info',
      result: 'success',
      details:
        siblings.length === 0
          ? { method: method.kind }
          : { method: method.kind, alsoRemoved: siblings.map((m) => m.kind) },
      ...auditActor(auth),
    });
  });
}
