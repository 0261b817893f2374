/**
 * Entra's SSPR throttles (reference/entra-sspr.md §5.1), as pure key and limit rules.
 * The counting lives in the store; services ask these functions what to check.
 */
export const HOUR_MS = 60 * 60_000;
export const DAY_MS = 24 * HOUR_MS;

export const throttleLimits = {
  /** Attempts per gate (method) per hour; the next one blocks that gate for 24 h. */
  gateAttemptsPerHour: 5,
  /** Failed proofs across gates in 24 h; reaching it blocks the user from SSPR for 24 h. */
  failedProofsPerDay: 5,
  /** Emails sent per 10 minutes; the next one blocks email for 24 h. */
  emailsPerTenMinutes: 10,
  emailWindowMs: 10 * 60_000,
  blockMs: DAY_MS,
  /** Sign-in failures in 15 minutes before sign-in is paused for a minute (smart-lockout-like). */
  signInFailuresPerWindow: 10,
  signInWindowMs: 15 * 60_000,
  signInLockMs: 60_000,
} as const;

export const throttleKeys = {
  gate: (subject: string, method: string) => `gate:${subject}:${method}`,
  failedProof: (subject: string) => `fail:${subject}`,
  email: (subject: string) => `email:${subject}`,
  /** Text messages and voice calls: counted like emails, on their own counter. */
  phone: (subject: string) => `phone:${subject}`,
  signInFailure: (subject: string) => `signin:${subject}`,
  /** Prefix that clears every SSPR counter of a subject after a successful reset. */
  subjectPrefix: (subject: string) => subject,
} as const;

export const blockSubjects = {
  user: (subject: string) => `user:${subject}`,
  gate: (subject: string, method: string) => `gate:${subject}:${method}`,
  email: (subject: string) => `email:${subject}`,
  phone: (subject: string) => `phone:${subject}`,
  signIn: (subject: string) => `signin:${subject}`,
} as const;

export function secondsUntil(untilIso: string, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(untilIso) - now.getTime()) / 1000));
}
