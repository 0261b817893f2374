import { fail } from '../domain/errors/sspr-error.js';
import { errorRegistry, type ErrorName } from '../domain/errors/registry.js';
import type { AuditActivity } from '../domain/model/audit-event.js';
import { methodNames, type MethodName, type SsprPolicy } from '../domain/model/sspr-policy.js';
import type { User, UserSource } from '../domain/model/user.js';
import { allowedMethods, checkEligibility, countMethods } from '../domain/policy/eligibility.js';
import type { ServiceDeps } from './deps.js';
import { getPolicy } from './policy-service.js';
import { eligibilityFacts, usableMethods } from './user-facts.js';

/** Usage & insights (P9): registration and usage reports, with Entra's meanings. */

const DAY_MS = 24 * 60 * 60_000;
/** Users read per store query while summarising. */
const SUMMARY_PAGE_SIZE = 500;
export const USAGE_MAX_DAYS = 366;
export const USAGE_DEFAULT_DAYS = 30;

export interface RegistrationRow {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly source: UserSource;
  /** SSPR applies to the user: enabled account, policy scope and eligibility. */
  readonly enabled: boolean;
  /** The user has as many of the allowed methods as the policy requires (admins: two). */
  readonly registered: boolean;
  /** Enabled and registered: the user could reset now. */
  readonly capable: boolean;
  /** Methods the user can be verified with (registered, or contact data an admin set). */
  readonly methods: readonly MethodName[];
}

export interface RegistrationReport {
  readonly generatedAt: string;
  readonly summary: {
    readonly users: number;
    readonly registered: number;
    readonly enabled: number;
    readonly capable: number;
  };
  readonly methods: readonly { readonly method: MethodName; readonly users: number }[];
  readonly users: readonly RegistrationRow[];
  readonly nextCursor: string | null;
}

/**
 * One user's row, from the same facts and rules the reset flow and the sign-in registration
 * interrupt use (eligibilityFacts, checkEligibility). Whether an agent is connected right now is
 * an operational state, not the policy: directory users count as enabled whatever it is.
 */
async function registrationRow(
  deps: ServiceDeps,
  policy: SsprPolicy,
  user: User,
): Promise<RegistrationRow> {
  // Phone methods count when a text / voice provider is configured, as in the reset flow.
  const usable = usableMethods(user, await deps.store.methods.listByUser(user.id), policy, {
    phone: deps.sms !== undefined,
  });
  const facts = await eligibilityFacts({}, deps.store, user, policy, usable);
  const verdict = checkEligibility(policy, { ...facts, writebackAvailable: true });
  const enabled = user.accountEnabled && (verdict.ok || verdict.error === 'NOT_ENOUGH_METHODS');
  const required = facts.isAdmin ? 2 : policy.methodsRequired;
  const allowed = allowedMethods(policy, facts.isAdmin);
  // Text and call to one mobile phone are one method (as the reset flow counts them).
  const registered =
    countMethods(allowed.filter((m) => facts.methodsWithData.includes(m))) >= required;
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    source: user.source,
    enabled,
    registered,
    capable: enabled && registered,
    methods: usable.map((u) => u.method),
  };
}

/**
 * GET /admin/reports/registration: a page of users (ordered by UPN) and a summary over every user.
 * The summary reads all users page by page, so memory stays flat.
 */
export async function registrationReport(
  deps: ServiceDeps,
  query: { cursor?: string | undefined; limit: number },
): Promise<RegistrationReport> {
  const policy = await getPolicy(deps.store);
  const generatedAt = deps.clock.now().toISOString();
  const page = await deps.store.users.list({
    limit: query.limit,
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  });
  const users: RegistrationRow[] = [];
  for (const user of page.items) users.push(await registrationRow(deps, policy, user));

  const summary = { users: 0, registered: 0, enabled: 0, capable: 0 };
  const byMethod = new Map<MethodName, number>(methodNames.map((m) => [m, 0]));
  let cursor: string | undefined;
  do {
    const all = await deps.store.users.list({
      limit: SUMMARY_PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const user of all.items) {
      const row = await registrationRow(deps, policy, user);
      summary.users += 1;
      if (row.registered) summary.registered += 1;
      if (row.enabled) summary.enabled += 1;
      if (row.capable) summary.capable += 1;
      for (const m of row.methods) byMethod.set(m, (byMethod.get(m) ?? 0) + 1);
    }
    cursor = all.nextCursor ?? undefined;
  } while (cursor !== undefined);

  return {
    generatedAt,
    summary,
    methods: [...byMethod].map(([method, count]) => ({ method, users: count })),
    users,
    nextCursor: page.nextCursor,
  };
}

export interface UsageCounts {
  resets: number;
  unlocks: number;
  changes: number;
  registrations: number;
  failures: number;
}

export interface UsageReport {
  readonly from: string;
  readonly to: string;
  readonly days: readonly ({ readonly date: string } & Readonly<UsageCounts>)[];
  readonly byMethod: readonly {
    readonly method: MethodName;
    readonly successes: number;
    readonly failures: number;
  }[];
  readonly failureReasons: readonly { readonly code: string; readonly count: number }[];
  readonly totals: Readonly<UsageCounts>;
}

const PROGRESS: AuditActivity = 'Self-service password reset flow activity progress';

/** Entra's activity names → the report's counters (successful events). */
const counters: Partial<Record<AuditActivity, keyof Omit<UsageCounts, 'failures'>>> = {
  'Reset password (self-service)': 'resets',
  'Unlock user account (self-service)': 'unlocks',
  'Change password (self-service)': 'changes',
  'Security info saved for self-service password reset': 'registrations',
};

const zero = (): UsageCounts => ({
  resets: 0,
  unlocks: 0,
  changes: 0,
  registrations: 0,
  failures: 0,
});

const isErrorName = (name: string): name is ErrorName => Object.hasOwn(errorRegistry, name);

/**
 * The error code recorded on a failed event: `details.code` when set, else an SSPR code in the
 * reason ("On-premises: SSPR_5001"), else the error named in it ("… verification (CODE_INVALID)"),
 * else the reason text itself.
 */
export function failureCode(event: {
  readonly code: string | null;
  readonly resultReason: string | null;
}): string {
  if (event.code !== null && event.code !== '') return event.code;
  const reason = event.resultReason ?? '';
  const code = /\bSSPR_[0-9]{3,4}\b/.exec(reason)?.[0];
  if (code !== undefined) return code;
  const name = /\(([A-Z][A-Z0-9_]+)\)$/.exec(reason)?.[1];
  if (name !== undefined && isErrorName(name)) return errorRegistry[name].code;
  return reason === '' ? 'unknown' : reason.slice(0, 200);
}

function methodOf(method: string | null): MethodName | undefined {
  return method !== null && (methodNames as readonly string[]).includes(method)
    ? (method as MethodName)
    : undefined;
}

/** The UTC dates from `from` to `to`, both included, as YYYY-MM-DD. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const last = to.toISOString().slice(0, 10);
  for (let t = Date.parse(from.toISOString().slice(0, 10)); ; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.push(day);
    if (day >= last) return days;
  }
}

/**
 * GET /admin/reports/usage: resets, unlocks, changes, registrations and failures per UTC day,
 * verification outcomes per method, and failure reasons, computed from the audit log (counted in
 * the database, one pass over the range).
 */
export async function usageReport(
  deps: ServiceDeps,
  query: { from?: string | undefined; to?: string | undefined },
): Promise<UsageReport> {
  const to = query.to === undefined ? deps.clock.now() : new Date(query.to);
  const from =
    query.from === undefined
      ? new Date(to.getTime() - USAGE_DEFAULT_DAYS * DAY_MS)
      : new Date(query.from);
  if (from.getTime() > to.getTime()) {
    fail('VALIDATION_FAILED', {
      details: { issues: [{ path: 'querystring.from', message: 'from must not be after to' }] },
    });
  }
  if (to.getTime() - from.getTime() > USAGE_MAX_DAYS * DAY_MS) {
    fail('VALIDATION_FAILED', {
      details: {
        issues: [
          {
            path: 'querystring.from',
            message: `the range is at most ${String(USAGE_MAX_DAYS)} days`,
          },
        ],
      },
    });
  }
  const days = new Map(daysBetween(from, to).map((d) => [d, zero()]));
  const totals = zero();
  const methods = new Map<MethodName, { successes: number; failures: number }>();
  const reasons = new Map<string, number>();

  const groups = await deps.store.audit.countByDay({
    from: from.toISOString(),
    to: to.toISOString(),
    activities: [PROGRESS, ...Object.keys(counters)],
  });
  for (const group of groups) {
    const day = days.get(group.day);
    if (day === undefined) continue;
    const counter = counters[group.activity as AuditActivity];
    if (group.activity === PROGRESS) {
      const method = methodOf(group.method);
      if (method !== undefined) {
        const m = methods.get(method) ?? { successes: 0, failures: 0 };
        if (group.result === 'success') m.successes += group.count;
        else m.failures += group.count;
        methods.set(method, m);
      }
    }
    if (group.result === 'failure') {
      day.failures += group.count;
      totals.failures += group.count;
      const code = failureCode(group);
      reasons.set(code, (reasons.get(code) ?? 0) + group.count);
    } else if (counter !== undefined) {
      day[counter] += group.count;
      totals[counter] += group.count;
    }
  }

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    days: [...days].map(([date, counts]) => ({ date, ...counts })),
    byMethod: methodNames
      .filter((m) => methods.has(m))
      .map((method) => ({ method, ...(methods.get(method) ?? { successes: 0, failures: 0 }) })),
    failureReasons: [...reasons]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    totals,
  };
}
