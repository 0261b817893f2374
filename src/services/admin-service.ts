import { createHash } from 'node:crypto';
import { fail, SsprError } from '../domain/errors/sspr-error.js';
import { parseEmail, parsePhone } from '../domain/methods/contact.js';
import type { AdminRole, User } from '../domain/model/user.js';
import type { AdminToken, AuditQuery, Page } from '../domain/ports/store.js';
import type { AuditEvent } from '../domain/model/audit-event.js';
import { audit, type RequestContext } from './audit-log.js';
import type { ServiceDeps } from './deps.js';
import { effectiveRoles } from './admin-roles.js';
import { assertPasswordAcceptable } from './password-service.js';
import { getPolicy, type Actor } from './policy-service.js';
import { normalizeUserId } from './subjects.js';
import { eligibilityFacts, usableMethods } from './user-facts.js';
import { checkEligibility } from '../domain/policy/eligibility.js';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Entra's user principal name rules (reference/entra-sspr.md §3.1). */
export function validateUpn(raw: string): string {
  const upn = normalizeUserId(raw);
  const at = upn.lastIndexOf('@');
  const local = upn.slice(0, at);
  const domain = upn.slice(at + 1);
  const problems: string[] = [];
  if (at <= 0) problems.push('must have the form name@domain');
  if (upn.length > 113) problems.push('at most 113 characters');
  if (local.length > 64) problems.push('at most 64 characters before @');
  if (domain.length > 48) problems.push('at most 48 characters after @');
  if (!/^[a-z0-9'.\-_!#^~]+$/.test(local))
    problems.push("only letters, digits and ' . - _ ! # ^ ~ before @");
  if (local.endsWith('.')) problems.push('no . right before @');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain))
    problems.push('the domain is not valid');
  if (problems.length > 0) {
    throw new SsprError('VALIDATION_FAILED', {
      details: { issues: problems.map((message) => ({ path: 'userPrincipalName', message })) },
    });
  }
  return upn;
}

/** Creates an admin API token; only its SHA-256 is stored. Returns the token, shown once. */
export async function createAdminToken(
  deps: Pick<ServiceDeps, 'store' | 'clock' | 'random'>,
  name: string,
): Promise<{ id: string; token: string }> {
  const id = deps.random.uuid();
  const token = `sspr_at_${Buffer.from(deps.random.bytes(32)).toString('base64url')}`;
  await deps.store.adminTokens.create(
    { id, name, tokenHash: tokenHash(token) },
    deps.clock.now().toISOString(),
  );
  await audit(
    deps,
    deps.store,
    { correlationId: deps.random.uuid(), ip: null, userAgent: 'sspr cli' },
    {
      activity: 'Create admin token',
      result: 'success',
      details: { tokenId: id, name },
    },
  );
  return { id, token };
}

export async function authenticateAdminToken(
  deps: ServiceDeps,
  token: string,
): Promise<AdminToken> {
  if (!token.startsWith('sspr_at_') || token.length > 200) fail('ADMIN_TOKEN_INVALID');
  const found = await deps.store.adminTokens.findByTokenHash(tokenHash(token));
  if (found === null || found.revokedAt !== null) fail('ADMIN_TOKEN_INVALID');
  await deps.store.adminTokens.touch(found.id, deps.clock.now().toISOString());
  return found;
}

export interface CreateUserInput {
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName?: string | undefined;
  readonly surname?: string | undefined;
  readonly password: string;
  readonly email?: string | undefined;
  readonly mobilePhone?: string | undefined;
  readonly officePhone?: string | undefined;
  readonly accountEnabled?: boolean | undefined;
  readonly roles?: readonly AdminRole[] | undefined;
}

export interface UserView {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly source: User['source'];
  readonly accountEnabled: boolean;
  readonly email: string | null;
  readonly mobilePhone: string | null;
  readonly officePhone: string | null;
  readonly roles: readonly AdminRole[];
  readonly createdAt: string;
  readonly passwordChangedAt: string | null;
  /** Directory users: where the account lives and its state at the last sync; null for cloud users. */
  readonly directory: {
    readonly dn: string | null;
    readonly accountName: string | null;
    readonly externalId: string | null;
    readonly lastSyncedAt: string | null;
    readonly state: User['directoryState'];
  } | null;
}

async function view(deps: ServiceDeps, user: User): Promise<UserView> {
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    givenName: user.givenName,
    surname: user.surname,
    source: user.source,
    accountEnabled: user.accountEnabled,
    email: user.email,
    mobilePhone: user.mobilePhone,
    officePhone: user.officePhone,
    roles: await effectiveRoles(deps.store, user.id),
    createdAt: user.createdAt,
    passwordChangedAt: user.passwordChangedAt,
    directory:
      user.source === 'directory'
        ? {
            dn: user.directoryDn,
            accountName: user.accountName,
            externalId: user.externalId,
            lastSyncedAt: user.lastSyncedAt,
            state: user.directoryState,
          }
        : null,
  };
}

/** POST /admin/users: a cloud-only user whose password meets the cloud policy. */
export async function createCloudUser(
  deps: ServiceDeps,
  ctx: RequestContext,
  actor: Actor,
  input: CreateUserInput,
): Promise<UserView> {
  const upn = validateUpn(input.userPrincipalName);
  const email = input.email === undefined ? null : parseEmail(input.email);
  const mobilePhone = input.mobilePhone === undefined ? null : parsePhone(input.mobilePhone);
  const officePhone = input.officePhone === undefined ? null : parsePhone(input.officePhone);
  const draft = {
    id: deps.random.uuid(),
    userPrincipalName: upn,
    displayName: input.displayName,
    givenName: input.givenName ?? null,
    surname: input.surname ?? null,
    source: 'cloud' as const,
    accountEnabled: input.accountEnabled ?? true,
    passwordHash: null,
    email,
    mobilePhone,
    officePhone,
    externalId: null,
    directoryDn: null,
    accountName: null,
    directoryState: null,
  };
  const now = deps.clock.now().toISOString();
  assertPasswordAcceptable(deps, draft, input.password, await getPolicy(deps.store));
  const passwordHash = await deps.hasher.hash(input.password);
  const user = await deps.store.transaction(async (tx) => {
    const created = await tx.users.create({ ...draft, passwordHash }, now);
    for (const role of input.roles ?? []) await tx.users.addRole(created.id, role);
    await audit(deps, tx, ctx, {
      activity: 'Add user',
      result: 'success',
      actorId: actor.id,
      actorUpn: actor.upn,
      targetId: created.id,
      targetUpn: created.userPrincipalName,
      details: { roles: input.roles ?? [] },
    });
    return created;
  });
  return view(deps, user);
}

export async function findUser(deps: ServiceDeps, idOrUpn: string): Promise<User> {
  const user = idOrUpn.includes('@')
    ? await deps.store.users.findByUpn(normalizeUserId(idOrUpn))
    : await deps.store.users.findById(idOrUpn);
  if (user === null) fail('RESOURCE_NOT_FOUND');
  return user;
}

export async function listUsers(
  deps: ServiceDeps,
  query: { search?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<Page<UserView>> {
  const page = await deps.store.users.list({
    limit: query.limit,
    ...(query.search === undefined ? {} : { search: query.search }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  });
  return {
    items: await Promise.all(page.items.map((u) => view(deps, u))),
    nextCursor: page.nextCursor,
  };
}

/** GET /admin/users/{id}: the user, their methods (no secrets) and whether they can reset now. */
export async function getUserDetail(deps: ServiceDeps, idOrUpn: string) {
  const user = await findUser(deps, idOrUpn);
  const policy = await getPolicy(deps.store);
  const methods = await deps.store.methods.listByUser(user.id);
  const usable = usableMethods(user, methods, policy, { phone: deps.sms !== undefined });
  const facts = await eligibilityFacts(deps, deps.store, user, policy, usable);
  const verdict = checkEligibility(policy, facts);
  return {
    ...(await view(deps, user)),
    methods: methods
      .filter((m) => m.status === 'active')
      .map((m) => ({ id: m.id, method: m.kind, createdAt: m.createdAt })),
    sspr: {
      capable: verdict.ok && user.accountEnabled,
      reason: verdict.ok
        ? null
        : { code: new SsprError(verdict.error).code, reason: verdict.reason },
      usableMethods: usable.map((u) => u.method),
    },
    /** Direct memberships (nested groups count for scope and roles, but are not listed here). */
    groups: (await deps.store.groups.listGroupsOfUser(user.id)).map((g) => ({
      id: g.id,
      displayName: g.displayName,
      source: g.directoryDn === null ? ('cloud' as const) : ('directory' as const),
    })),
  };
}

export async function createGroup(
  deps: ServiceDeps,
  input: { displayName: string; id?: string | undefined },
) {
  return deps.store.groups.create(
    { id: input.id ?? deps.random.uuid(), displayName: input.displayName },
    deps.clock.now().toISOString(),
  );
}

export async function addGroupMember(
  deps: ServiceDeps,
  groupId: string,
  input: { memberId: string; memberType: 'user' | 'group' },
) {
  if ((await deps.store.groups.findById(groupId)) === null) fail('RESOURCE_NOT_FOUND');
  if (input.memberType === 'group') {
    if ((await deps.store.groups.findById(input.memberId)) === null) fail('RESOURCE_NOT_FOUND');
    await deps.store.groups.addMember(groupId, input.memberId, 'group');
  } else {
    const user = await findUser(deps, input.memberId);
    await deps.store.groups.addMember(groupId, user.id, 'user');
  }
}

export async function removeGroupMember(deps: ServiceDeps, groupId: string, memberId: string) {
  if ((await deps.store.groups.findById(groupId)) === null) fail('RESOURCE_NOT_FOUND');
  // Users are addressed by id or UPN (contract.md), as when adding; a group member by its id.
  const id = memberId.includes('@') ? (await findUser(deps, memberId)).id : memberId;
  await deps.store.groups.removeMember(groupId, id);
}

export async function queryAudit(deps: ServiceDeps, query: AuditQuery): Promise<Page<AuditEvent>> {
  return deps.store.audit.query(query);
}
