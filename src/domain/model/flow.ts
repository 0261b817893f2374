import type { MethodName } from './sspr-policy.js';

export type FlowKind = 'reset';

/** States of the reset flow; transitions live in domain/flows/reset-flow.ts. */
export type ResetFlowState =
  | 'choose_method' // gates still to pass
  | 'new_password' // all gates passed: reset (or unlock) allowed
  | 'completed'
  | 'failed';

/** Server-only state of a pending challenge for one method. Never sent to the client. */
export interface PendingChallenge {
  readonly method: MethodName;
  /** For email/sms/voice: id of the one-time code row. */
  readonly codeId?: string;
  /** For security questions: the question ids asked this round. */
  readonly questionIds?: readonly string[];
  readonly issuedAt: string;
}

export interface FlowContext {
  /** Methods the flow offers, with the registered method id behind each (null for synthetic). */
  readonly offered: readonly {
    readonly method: MethodName;
    readonly methodId: string | null;
    readonly hint: string;
  }[];
  readonly challenges: Readonly<Partial<Record<MethodName, PendingChallenge>>>;
  /** The user id typed at the start, as typed (for audit of unknown users). */
  readonly typedUserId: string;
  readonly isAdmin: boolean;
  /** Where the account's password lives (unknown users look like cloud users). */
  readonly source: 'cloud' | 'directory';
}

export interface Flow {
  readonly id: string;
  readonly kind: FlowKind;
  readonly state: ResetFlowState;
  /** Null when the typed user id is unknown: the flow then behaves like a real one and cannot succeed. */
  readonly userId: string | null;
  readonly gatesRequired: 1 | 2;
  readonly gatesPassed: readonly MethodName[];
  readonly context: FlowContext;
  readonly submitCount: number;
  readonly correlationId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly completedAt: string | null;
  /** Optimistic concurrency: bumped by every update. */
  readonly version: number;
}
