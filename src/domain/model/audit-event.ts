/** Entra's activity names (reference/entra-sspr.md §6.1) plus the project's own for admin actions. */
export const auditActivities = [
  'Reset password (self-service)',
  'Self-service password reset flow activity progress',
  'Unlock user account (self-service)',
  'Change password (self-service)',
  'Blocked from self-service password reset',
  'Security info saved for self-service password reset',
  'User deleted security info',
  'User reviewed security info',
  'Self-service password reset policy changes',
  'Reset password (by admin)',
  'Add user',
  'Create admin token',
  'Sign-in activity',
  'Directory synchronization',
  'Register agent',
  'Revoke agent',
] as const;
export type AuditActivity = (typeof auditActivities)[number];

export type AuditResult = 'success' | 'failure';

export interface AuditEventInput {
  readonly activity: AuditActivity;
  readonly category: 'UserManagement' | 'DirectoryManagement' | 'Policy' | 'Authentication';
  readonly result: AuditResult;
  readonly resultReason: string | null;
  readonly correlationId: string;
  readonly actorId: string | null;
  readonly actorUpn: string | null;
  readonly targetId: string | null;
  readonly targetUpn: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Extra facts (method used, old/new policy values …). Never a password, code or secret. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditEvent extends AuditEventInput {
  readonly id: string;
  readonly seq: number;
  readonly occurredAt: string;
}
