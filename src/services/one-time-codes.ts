import { fail } from '../domain/errors/sspr-error.js';
import {
  CODE_TTL_MS,
  codeMatches,
  generateCode,
  hmacCode,
} from '../domain/methods/one-time-code.js';
import type { OneTimeCode } from '../domain/ports/store.js';
import type { PhoneChannel, SmsSender } from '../domain/ports/sms-sender.js';
import type { ServiceDeps } from './deps.js';

/**
 * One-time codes sent by email, text message or voice call (registration, reset gates, sign-in):
 * issued as an HMAC only, delivered, voided when the delivery fails, and checked in constant time.
 */

/** Attempts allowed on one registration or sign-in code; the next is refused even when right. */
export const CODE_ATTEMPTS = 5;

/** Stores a fresh code for `subject` (only its HMAC) and returns the code and its expiry. */
export async function issueCode(
  deps: Pick<ServiceDeps, 'store' | 'random' | 'settings'>,
  input: { id: string; purpose: OneTimeCode['purpose']; subject: string; now: Date },
): Promise<{ code: string; expiresAt: string }> {
  const code = generateCode(deps.random);
  const expiresAt = new Date(input.now.getTime() + CODE_TTL_MS).toISOString();
  await deps.store.codes.create({
    id: input.id,
    purpose: input.purpose,
    subject: input.subject,
    hmac: hmacCode(deps.settings.codeKey, input.id, code),
    expiresAt,
    createdAt: input.now.toISOString(),
  });
  return { code, expiresAt };
}

/**
 * Runs `send`; when it fails the code is consumed first (never a usable code behind a message that
 * was not delivered) and the error is rethrown.
 */
export async function deliverOrVoid(
  deps: Pick<ServiceDeps, 'store'>,
  codeId: string,
  now: Date,
  send: () => Promise<void>,
): Promise<void> {
  try {
    await send();
  } catch (error) {
    await deps.store.codes.consume(codeId, now.toISOString());
    throw error;
  }
}

/**
 * Checks the code of a pending registration (id = the pending method's id) and consumes it: the
 * attempt counter is bumped before comparing, at most CODE_ATTEMPTS tries, constant-time match.
 */
export async function consumeRegistrationCode(
  deps: Pick<ServiceDeps, 'store' | 'settings'>,
  codeId: string,
  code: string,
  now: Date,
): Promise<void> {
  const row = await deps.store.codes.findById(codeId);
  if (row === null || row.usedAt !== null) fail('METHOD_REGISTRATION_NOT_FOUND');
  const attempts = await deps.store.codes.incrementAttempts(row.id);
  if (now.toISOString() >= row.expiresAt) fail('CODE_EXPIRED');
  if (
    attempts > CODE_ATTEMPTS ||
    !codeMatches(deps.settings.codeKey, row.id, code.trim(), row.hmac)
  )
    fail('CODE_INVALID');
  if (!(await deps.store.codes.consume(row.id, now.toISOString()))) fail('CODE_INVALID');
}

/** What a phone code says: a text, or what a call reads out (the digits again, one by one). */
export function phoneCodeText(
  channel: PhoneChannel,
  organizationName: string,
  code: string,
  purpose: string,
): string {
  if (channel === 'sms')
    return `${organizationName} verification code: ${code}. ${purpose} It expires in 5 minutes.`;
  return (
    `Hello, this is ${organizationName}. Your verification code is ${code}. ` +
    `Again, your code is ${code.split('').join(', ')}. ${purpose} It expires in 5 minutes.`
  );
}

/** Texts a code to a phone, or calls it and reads the code out. */
export async function sendPhoneCode(
  sender: SmsSender,
  organizationName: string,
  message: { to: string; channel: PhoneChannel; code: string; purpose: string },
): Promise<void> {
  await sender.send({
    to: message.to,
    channel: message.channel,
    code: message.code,
    text: phoneCodeText(message.channel, organizationName, message.code, message.purpose),
  });
}
