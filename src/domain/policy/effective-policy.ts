import type { DirectoryPasswordPolicy } from '../ports/directory.js';
import type { EffectivePasswordPolicy } from './password-rules.js';

/**
 * The effective policy of a directory user: the cloud policy combined with the directory's own
 * (domain policy, PSO or ppolicy entry), the stricter value winning on every rule. It is shown to
 * the user before they type and enforced by the server before anything is written, so a
 * directory that skips checks on an administrative reset (Samba: history and minimum age;
 * OpenLDAP's password administrator: quality and history) still gets them.
 */
export function combinePolicies(
  cloud: EffectivePasswordPolicy,
  directory: DirectoryPasswordPolicy | null,
): EffectivePasswordPolicy {
  if (directory === null) return cloud;
  const minLength = Math.min(cloud.maxLength, Math.max(cloud.minLength, directory.minLength));
  return {
    ...cloud,
    minLength,
    // AD complexity: 3 of the character categories and no account name or name parts.
    requiredClasses: directory.complexity
      ? Math.max(cloud.requiredClasses, 3)
      : cloud.requiredClasses,
    ...(directory.complexity ? { forbidAccountName: true } : {}),
    ...(directory.historyCount > 0 ? { historyCount: directory.historyCount } : {}),
    ...(directory.minAgeDays > 0 ? { minAgeDays: directory.minAgeDays } : {}),
  };
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * Minimum password age, enforced by the server: the time a new password may be set, or null
 * when it may be set now. `passwordLastSet` null (never set, or unknown) never blocks.
 */
export function notBefore(
  passwordLastSet: string | null,
  minAgeDays: number,
  now: Date,
): string | null {
  if (passwordLastSet === null || minAgeDays <= 0) return null;
  const allowedAt = Date.parse(passwordLastSet) + minAgeDays * DAY_MS;
  return Number.isFinite(allowedAt) && allowedAt > now.getTime()
    ? new Date(allowedAt).toISOString()
    : null;
}
