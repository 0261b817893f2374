import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { SsprError } from '../errors/sspr-error.js';

/** RFC 5321 limit on a forward path (what a mail relay accepts). */
export const EMAIL_MAX_LENGTH = 254;

/**
 * Digits, spaces and the usual punctuation after a leading `+`, optionally an extension
 * (`x123`, `ext. 123`). Anything else — letters, a number without `+country`, text around the
 * number — is refused before libphonenumber-js sees it (it would otherwise extract a number from
 * surrounding text or map letters to digits).
 */
const PHONE_INPUT = /^\+[0-9 ().-]{4,40}(?:\s*(?:x|ext\.?)\s*[0-9]{1,10})?$/iu;

/**
 * Normalises a phone number to Entra's form `+<country code> <national number>` (e.g.
 * `+1 4255550100`, or `+1 4255550100x123` with an extension). Accepts `+14255550100`,
 * `+1 (425) 555-0100`, `+48 601 234 567`. Throws SsprError INVALID_PHONE when the country code is
 * missing or the number is not valid for its country.
 */
export function parsePhone(input: string): string {
  const trimmed = input.trim();
  if (!PHONE_INPUT.test(trimmed)) throw new SsprError('INVALID_PHONE');
  const parsed = parsePhoneNumberFromString(trimmed);
  if (parsed === undefined || !parsed.isValid()) throw new SsprError('INVALID_PHONE');
  const base = `+${parsed.countryCallingCode} ${parsed.nationalNumber}`;
  return parsed.ext === undefined ? base : `${base}x${parsed.ext}`;
}

const emailSchema = z.email();

/**
 * Validates and normalises an email address: trimmed, at most 254 characters, a sane
 * `local@domain.tld` syntax (zod's email), domain lower-cased (the local part is kept: it is
 * case-sensitive in principle). Throws SsprError INVALID_EMAIL otherwise.
 */
export function parseEmail(input: string): string {
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > EMAIL_MAX_LENGTH) {
    throw new SsprError('INVALID_EMAIL');
  }
  if (!emailSchema.safeParse(trimmed).success) throw new SsprError('INVALID_EMAIL');
  const at = trimmed.lastIndexOf('@');
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

/**
 * Hint for an email address: the first two characters of the local part (one when it is that
 * short), five asterisks whatever its length, then the domain: `jo*****@contoso.com`.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '*****';
  const local = Array.from(email.slice(0, at)); // code points, not UTF-16 units
  const shown = local.length > 2 ? 2 : 1;
  return `${local.slice(0, shown).join('')}*****@${email.slice(at + 1)}`;
}

/**
 * Hint for a phone number in Entra form: the country code, one bullet per hidden digit, and the
 * last two digits (`+48 601234567` → `+48 ••••••• 67`). An extension is not shown.
 */
export function maskPhone(phone: string): string {
  const match = /^\+([0-9]{1,3}) ([0-9]+)/u.exec(phone);
  const country = match?.[1];
  const national = match?.[2];
  if (country === undefined || national === undefined || national.length < 3) return '••••••••';
  return `+${country} ${'•'.repeat(national.length - 2)} ${national.slice(-2)}`;
}
