import type { AuditActivity, AuditEventInput } from '../domain/model/audit-event.js';
import type { Store } from '../domain/ports/store.js';
import type { ServiceDeps } from './deps.js';

/** Who is asking and from where; carried from the HTTP layer into every audited use case. */
export interface RequestContext {
  readonly correlationId: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export type AuditEntry = Partial<AuditEventInput> & {
  readonly activity: AuditActivity;
  readonly result: AuditEventInput['result'];
};

const categories: Partial<Record<AuditActivity, AuditEventInput['category']>> = {
  'Self-service password reset policy changes': 'Policy',
  'Sign-in activity': 'Authentication',
  'Create admin token': 'DirectoryManagement',
};

/** Appends one audit event; `store` may be a transaction so the event commits with the change. */
export async function audit(
  deps: Pick<ServiceDeps, 'clock' | 'random'>,
  store: Store,
  ctx: RequestContext,
  entry: AuditEntry,
): Promise<void> {
  await store.audit.append({
    id: deps.random.uuid(),
    occurredAt: deps.clock.now().toISOString(),
    category: categories[entry.activity] ?? 'UserManagement',
    resultReason: null,
    correlationId: ctx.correlationId,
    actorId: null,
    actorUpn: null,
    targetId: null,
    targetUpn: null,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    details: {},
    ...entry,
  });
}
