import { createHmac } from 'node:crypto';
import type { ServiceDeps } from './deps.js';

/** Normalises a typed user id (UPN) for lookups and pseudonyms. */
export function normalizeUserId(typed: string): string {
  return typed.normalize('NFKC').trim().toLowerCase();
}

/**
 * The throttle subject of a flow: the user's id, or for an unknown id a keyed pseudonym of it, so
 * unknown ids are throttled exactly like known ones and the typed text is never stored.
 */
export function throttleSubject(
  deps: Pick<ServiceDeps, 'settings'>,
  userId: string | null,
  typedUserId: string,
): string {
  if (userId !== null) return `u:${userId}`;
  const mac = createHmac('sha256', deps.settings.codeKey)
    .update(`unknown-user:${normalizeUserId(typedUserId)}`)
    .digest('base64url');
  return `x:${mac.slice(0, 32)}`;
}

/** Deterministic pseudo-random bits for the unknown-user emulation (stable across attempts). */
export function pseudonymBits(deps: Pick<ServiceDeps, 'settings'>, typedUserId: string): number {
  const mac = createHmac('sha256', deps.settings.codeKey)
    .update(`synthetic:${normalizeUserId(typedUserId)}`)
    .digest();
  return mac.readUInt32BE(0);
}
