import type { MethodName } from './sspr-policy.js';

/**
 * A registered (or pending) authentication method. Secret parts are never readable through the
 * API: TOTP secrets are encrypted at rest, security answers are Argon2id hashes.
 */
export type MethodData =
  | { readonly kind: 'totp'; readonly secretEncrypted: string; readonly label: string }
  | { readonly kind: 'email'; readonly email: string }
  | { readonly kind: 'sms' | 'voice'; readonly phone: string }
  | { readonly kind: 'officePhone'; readonly phone: string }
  | {
      readonly kind: 'securityQuestions';
      readonly answers: readonly { readonly questionId: string; readonly answerHash: string }[];
    };

export type MethodStatus = 'pending' | 'active';

export interface AuthMethod {
  readonly id: string;
  readonly userId: string;
  readonly kind: MethodName;
  readonly status: MethodStatus;
  readonly data: MethodData;
  /** TOTP: the highest time step accepted so far (a code cannot be used twice). */
  readonly lastUsedStep: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}
