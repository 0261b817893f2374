import { SsprError } from '../domain/errors/sspr-error.js';
import { logoAuditValue } from '../domain/model/branding.js';
import { ssprPolicySchema, type SsprPolicy } from '../domain/model/sspr-policy.js';
import type { Store } from '../domain/ports/store.js';
import { audit, type RequestContext } from './audit-log.js';
import type { ServiceDeps } from './deps.js';

const POLICY_KEY = 'sspr-policy';

export async function getPolicy(store: Store): Promise<SsprPolicy> {
  const stored = await store.settings.get(POLICY_KEY);
  const parsed = ssprPolicySchema.safeParse(stored ?? {});
  // A stored document always passed validation when written; fall back to defaults if a later
  // release tightened a rule, rather than locking everyone out.
  return parsed.success ? parsed.data : ssprPolicySchema.parse({});
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396-style deep merge: objects merge, everything else (arrays included) replaces. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    out[key] = deepMerge(base[key], value);
  }
  return out;
}

/** Dotted paths whose values differ, with old and new values (for the audit trail). */
export function diff(
  before: unknown,
  after: unknown,
  path = '',
): { property: string; oldValue: Json; newValue: Json }[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => diff(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [
    { property: path, oldValue: (before ?? null) as Json, newValue: (after ?? null) as Json },
  ];
}

export interface Actor {
  readonly id: string | null;
  readonly upn: string | null;
}

/** Branding keys whose problems answer SSPR_1001 (a field to fix) rather than SSPR_4005. */
const brandingKeys = new Set(['organizationName', 'accentColor', 'logo']);

const isBrandingIssue = (path: readonly PropertyKey[]) =>
  path[0] === 'customization' && brandingKeys.has(String(path[1]));

/** An empty branding value clears it ("" → null), as a cleared form field means. */
function normalizeBranding(patch: unknown): unknown {
  if (!isPlainObject(patch) || !isPlainObject(patch.customization)) return patch;
  const customization = { ...patch.customization };
  for (const key of brandingKeys) {
    const value = customization[key];
    if (typeof value === 'string' && value.trim() === '') customization[key] = null;
  }
  return { ...patch, customization };
}

/** The audit trail keeps a logo's hash, size and type, never the image itself. */
function auditableChanges(changes: ReturnType<typeof diff>): ReturnType<typeof diff> {
  return changes.map((c) =>
    c.property === 'customization.logo'
      ? { ...c, oldValue: logoAuditValue(c.oldValue), newValue: logoAuditValue(c.newValue) }
      : c,
  );
}

/** Applies a deep-merge patch, validates the whole document, stores it and audits old/new values. */
export async function updatePolicy(
  deps: ServiceDeps,
  ctx: RequestContext,
  actor: Actor,
  patch: unknown,
): Promise<SsprPolicy> {
  const outcome = await deps.store.transaction(async (tx) => {
    const before = await getPolicy(tx);
    const parsed = ssprPolicySchema.safeParse(deepMerge(before, normalizeBranding(patch)));
    if (!parsed.success) return { ok: false as const, issues: parsed.error.issues };
    const changes = diff(before, parsed.data);
    if (changes.length > 0) {
      await tx.settings.set(POLICY_KEY, parsed.data, deps.clock.now().toISOString());
      await audit(deps, tx, ctx, {
        activity: 'Self-service password reset policy changes',
        result: 'success',
        actorId: actor.id,
        actorUpn: actor.upn,
        details: { modifiedProperties: auditableChanges(changes) },
      });
    }
    return { ok: true as const, policy: parsed.data };
  });
  if (outcome.ok) return outcome.policy;
  // Audited outside the (empty) transaction so the failed attempt is kept.
  await audit(deps, deps.store, ctx, {
    activity: 'Self-service password reset policy changes',
    result: 'failure',
    resultReason: 'Invalid policy',
    actorId: actor.id,
    actorUpn: actor.upn,
  });
  // A bad logo, colour or name is a field to fix in the form (SSPR_1001); the rest is a policy
  // that does not hold together (SSPR_4005). Both list every problem.
  const branding = outcome.issues.some((i) => isBrandingIssue(i.path));
  throw new SsprError(branding ? 'VALIDATION_FAILED' : 'POLICY_INVALID', {
    details: {
      issues: outcome.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  });
}
