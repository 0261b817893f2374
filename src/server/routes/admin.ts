import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerDeps } from '../app.js';
import { contextOf } from '../request-context.js';
import { fail } from '../../domain/errors/sspr-error.js';
import { adminRoles, type AdminRole } from '../../domain/model/user.js';
import { auditActivities } from '../../domain/model/audit-event.js';
import { authenticate } from '../../services/session-service.js';
import { assertAdminSessionStrong } from '../../services/admin-session.js';
import { effectiveRoles } from '../../services/admin-roles.js';
import {
  addGroupMember,
  authenticateAdminToken,
  createCloudUser,
  createGroup,
  getUserDetail,
  listUsers,
  queryAudit,
  removeGroupMember,
} from '../../services/admin-service.js';
import { getPolicy, updatePolicy, type Actor } from '../../services/policy-service.js';
import { getAgentsOverview, requestSync, revokeAgent } from '../../services/agents-admin.js';
import { methodNameSchema, ssprPolicySchema } from '../../domain/model/sspr-policy.js';
import { LOGO_MAX_DATA_URL_LENGTH } from '../../domain/model/branding.js';
import type { AuditQuery } from '../../domain/ports/store.js';
import {
  auditExportStream,
  exportContentType,
  exportFileName,
} from '../../services/audit-export.js';
import { registrationReport, usageReport, USAGE_MAX_DAYS } from '../../services/reports.js';
import { idParams, limits, passwordSchema } from './schemas.js';
import { readSessionToken } from './session-cookie.js';

/** Who may write what, for admins signed in with a session (tokens are full admins). */
const writers: Record<'policy' | 'users' | 'sync', readonly AdminRole[]> = {
  policy: ['globalAdministrator', 'passwordAdministrator'],
  users: ['globalAdministrator', 'userAdministrator'],
  sync: ['globalAdministrator', 'hybridIdentityAdministrator'],
};

interface AdminPrincipal {
  readonly actor: Actor;
  readonly roles: readonly AdminRole[] | 'token';
}

/** Bearer admin token, or an admin session whose user holds an admin role. */
function adminAuth(deps: ServerDeps) {
  const s = deps.services;
  return async (request: FastifyRequest, need?: keyof typeof writers): Promise<AdminPrincipal> => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (match?.[1] === undefined) fail('ADMIN_TOKEN_INVALID');
      const token = await authenticateAdminToken(s, match[1]);
      return { actor: { id: null, upn: `token:${token.name}` }, roles: 'token' };
    }
    // Neither a bearer token nor a session: the admin API answers "token missing" (SSPR_2006).
    const session = readSessionToken(request);
    if (session === undefined) fail('ADMIN_TOKEN_INVALID');
    const auth = await authenticate(s, session);
    const roles = await effectiveRoles(s.store, auth.user.id);
    if (roles.length === 0) fail('FORBIDDEN');
    await assertAdminSessionStrong(s, auth);
    if (need !== undefined && !roles.some((r) => writers[need].includes(r)))
      fail('FORBIDDEN', { details: { needs: writers[need] } });
    return { actor: { id: auth.user.id, upn: auth.user.userPrincipalName }, roles };
  };
}

const createUserBody = z
  .object({
    userPrincipalName: z.string().min(3).max(113),
    displayName: z.string().trim().min(1).max(256),
    givenName: z.string().trim().min(1).max(64).optional(),
    surname: z.string().trim().min(1).max(64).optional(),
    password: passwordSchema,
    email: z.string().min(3).max(254).optional(),
    mobilePhone: z.string().min(3).max(40).optional(),
    officePhone: z.string().min(3).max(40).optional(),
    accountEnabled: z.boolean().optional(),
    roles: z.array(z.enum(adminRoles)).max(adminRoles.length).optional(),
  })
  .strict();

const auditQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    activity: z.enum(auditActivities).optional(),
    user: z.string().min(1).max(limits.userId).optional(),
    result: z.enum(['success', 'failure']).optional(),
    correlationId: z.string().max(100).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

/** The filters of GET /admin/audit as a store query (dates normalised to UTC ISO strings). */
function auditFilters(q: {
  from?: string | undefined;
  to?: string | undefined;
  activity?: AuditQuery['activity'];
  user?: string | undefined;
  result?: AuditQuery['result'];
  correlationId?: string | undefined;
}): Omit<AuditQuery, 'cursor' | 'limit'> {
  return {
    ...(q.from === undefined ? {} : { from: new Date(q.from).toISOString() }),
    ...(q.to === undefined ? {} : { to: new Date(q.to).toISOString() }),
    ...(q.activity === undefined ? {} : { activity: q.activity }),
    ...(q.user === undefined ? {} : { user: q.user }),
    ...(q.result === undefined ? {} : { result: q.result }),
    ...(q.correlationId === undefined ? {} : { correlationId: q.correlationId }),
  };
}

const auditExportQuery = auditQuery
  .omit({ cursor: true, limit: true })
  .extend({ format: z.enum(['csv', 'json']).default('csv') })
  .strict();

const usageCounts = {
  resets: z.number().int().describe('Successful self-service resets'),
  unlocks: z.number().int().describe('Successful self-service unlocks'),
  changes: z.number().int().describe('Successful self-service password changes'),
  registrations: z.number().int().describe('Methods saved (security info registered)'),
  failures: z
    .number()
    .int()
    .describe('Failed self-service events: resets, unlocks, changes, registrations, flow steps'),
};

const registrationReportSchema = z.object({
  generatedAt: z.string(),
  summary: z
    .object({
      users: z.number().int(),
      registered: z.number().int(),
      enabled: z.number().int(),
      capable: z.number().int(),
    })
    .describe('Over every user, not only this page'),
  methods: z
    .array(z.object({ method: methodNameSchema, users: z.number().int() }))
    .readonly()
    .describe('How many users can use each method'),
  users: z
    .array(
      z.object({
        id: z.string(),
        userPrincipalName: z.string(),
        displayName: z.string(),
        source: z.enum(['cloud', 'directory']),
        enabled: z
          .boolean()
          .describe('SSPR applies to the user (enabled account, policy scope, eligibility)'),
        registered: z.boolean().describe('Has as many allowed methods as the policy requires'),
        capable: z.boolean().describe('Enabled and registered'),
        methods: z.array(methodNameSchema).readonly(),
      }),
    )
    .readonly(),
  nextCursor: z.string().nullable(),
});

const usageReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z
    .array(z.object({ date: z.string().describe('UTC date, YYYY-MM-DD'), ...usageCounts }))
    .readonly()
    .describe('Every UTC day of the range, zeros included'),
  byMethod: z
    .array(
      z.object({
        method: methodNameSchema,
        successes: z.number().int(),
        failures: z.number().int(),
      }),
    )
    .readonly()
    .describe('Verification outcomes at the reset gates, per method'),
  failureReasons: z
    .array(z.object({ code: z.string(), count: z.number().int() }))
    .readonly()
    .describe(
      'The error code recorded on failed events (or the recorded reason), most frequent first',
    ),
  totals: z.object(usageCounts),
});

const syncCounts = z.object({
  added: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
});

const syncSummarySchema = z
  .object({
    syncId: z.string(),
    full: z.boolean(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    users: syncCounts,
    groups: syncCounts,
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .describe('Set when the run was refused or failed, e.g. SSPR_5104 (accidental-delete guard)'),
    details: z
      .object({
        pages: z.number().int(),
        unchanged: z.object({ users: z.number().int(), groups: z.number().int() }),
        conflicts: z.object({
          count: z.number().int(),
          items: z
            .array(
              z.object({
                externalId: z.string(),
                userPrincipalName: z.string(),
                dn: z.string(),
                conflictWith: z
                  .object({ id: z.string(), source: z.enum(['cloud', 'directory']) })
                  .nullable(),
              }),
            )
            .readonly(),
        }),
        skipped: z.object({
          criticalSystemObjects: z.number().int(),
          invalid: z.number().int(),
        }),
        invalidContacts: z.number().int(),
        refusedDeletes: z.object({ users: z.number().int(), groups: z.number().int() }).nullable(),
        guardOverriddenBy: z.string().nullable(),
      })
      .optional()
      .describe('UPN conflicts (first 50), skipped objects, deletions the guard refused'),
  })
  .describe('One sync run');

const agentStatusSchema = z.object({
  agentId: z.string(),
  name: z.string(),
  version: z.string(),
  connected: z.boolean(),
  connectedAt: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
  directoryKind: z.enum(['ad', 'openldap']).nullable(),
  directoryReachable: z.boolean(),
  rights: z
    .object({
      ok: z.boolean(),
      checks: z
        .array(z.object({ check: z.string(), ok: z.boolean(), detail: z.string().optional() }))
        .readonly(),
    })
    .nullable(),
  lastSync: syncSummarySchema.nullable(),
});

const agentsOverviewSchema = z.object({
  writeback: z.object({
    ready: z.boolean(),
    reason: z
      .string()
      .nullable()
      .describe('Why writeback is not ready, in words (null when ready)'),
    agents: z.array(agentStatusSchema).readonly(),
  }),
  sync: z.object({
    state: z.object({
      deltaReady: z
        .boolean()
        .describe('False until a full sync completed; the next scheduled sync is then full'),
      lastFullAt: z.string().nullable(),
      lastDeltaAt: z.string().nullable(),
      users: z.number().int().describe('Directory users in the server copy'),
      groups: z.number().int().describe('Directory groups in the server copy'),
    }),
    last: syncSummarySchema.nullable(),
  }),
  warnings: z.array(z.string()).readonly(),
});

/** Admin API (contract.md § Admin). */
export function adminRoutes(deps: ServerDeps): FastifyPluginAsyncZod {
  const s = deps.services;
  const principal = adminAuth(deps);
  return async (app) => {
    const tags = ['admin'];
    const security: { [name: string]: string[] }[] = [{ adminToken: [] }, { session: [] }];

    app.get(
      '/admin/policy',
      {
        schema: {
          tags,
          security,
          summary: 'The SSPR policy document',
          response: { 200: ssprPolicySchema },
        },
      },
      async (request) => {
        await principal(request);
        return getPolicy(s.store);
      },
    );

    app.patch(
      '/admin/policy',
      {
        // Room for a logo data URL (100 KiB decoded) and the rest of the document.
        bodyLimit: LOGO_MAX_DATA_URL_LENGTH + 64 * 1024,
        schema: {
          tags,
          security,
          summary:
            'Change the SSPR policy (deep merge); every change is audited with old and new values',
          description:
            'The body is any part of the policy document; objects merge, arrays and values replace. The merged document must be valid (SSPR_4005 lists every problem).',
          body: z.record(z.string(), z.unknown()),
          response: { 200: ssprPolicySchema },
        },
      },
      async (request) => {
        const p = await principal(request, 'policy');
        // Roles from groups are admin grants: for full admins only (like POST /admin/users roles).
        const administrators = request.body.administrators;
        const grantsRoles =
          typeof administrators === 'object' &&
          administrators !== null &&
          'roleGroups' in administrators;
        if (grantsRoles && p.roles !== 'token' && !p.roles.includes('globalAdministrator')) {
          fail('FORBIDDEN', { details: { needs: ['globalAdministrator'] } });
        }
        return updatePolicy(s, contextOf(request), p.actor, request.body);
      },
    );

    app.post(
      '/admin/users',
      { schema: { tags, security, summary: 'Create a cloud-only user', body: createUserBody } },
      async (request, reply) => {
        const p = await principal(request, 'users');
        // Granting an admin role is for full admins only; a user administrator must not mint them.
        const grants = request.body.roles ?? [];
        if (grants.length > 0 && p.roles !== 'token' && !p.roles.includes('globalAdministrator')) {
          fail('FORBIDDEN', { details: { needs: ['globalAdministrator'] } });
        }
        return reply
          .code(201)
          .send(await createCloudUser(s, contextOf(request), p.actor, request.body));
      },
    );

    app.get(
      '/admin/users',
      {
        schema: {
          tags,
          security,
          summary: 'Search users',
          querystring: z
            .object({
              search: z.string().max(limits.userId).optional(),
              cursor: z.string().max(300).optional(),
              limit: z.coerce.number().int().min(1).max(200).default(50),
            })
            .strict(),
        },
      },
      async (request) => {
        await principal(request);
        return listUsers(s, request.query);
      },
    );

    app.get(
      '/admin/users/:id',
      {
        schema: {
          tags,
          security,
          summary: 'A user by id or UPN, with methods and SSPR state',
          params: idParams,
        },
      },
      async (request) => {
        await principal(request);
        return getUserDetail(s, request.params.id);
      },
    );

    app.get(
      '/admin/groups',
      {
        schema: {
          tags,
          security,
          summary: 'Search groups (cloud and synced directory groups) by display name or DN',
          description:
            'For picking a group by id: the policy (selectedGroupId, eligibility.groupId, administrators.roleGroups) names groups by id.',
          querystring: z
            .object({
              search: z.string().max(256).optional(),
              cursor: z.string().max(600).optional(),
              limit: z.coerce.number().int().min(1).max(200).default(50),
            })
            .strict(),
        },
      },
      async (request) => {
        await principal(request);
        const { search, cursor, limit } = request.query;
        const page = await s.store.groups.list({
          limit,
          ...(search === undefined ? {} : { search }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        return {
          items: page.items.map((g) => ({
            id: g.id,
            displayName: g.displayName,
            source: g.directoryDn === null ? 'cloud' : 'directory',
            directoryDn: g.directoryDn,
          })),
          nextCursor: page.nextCursor,
        };
      },
    );

    app.post(
      '/admin/groups',
      {
        schema: {
          tags,
          security,
          summary: 'Create a group (for scope and eligibility)',
          body: z
            .object({
              displayName: z.string().trim().min(1).max(256),
              id: z.string().min(1).max(200).optional(),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        await principal(request, 'users');
        return reply.code(201).send(await createGroup(s, request.body));
      },
    );

    app.post(
      '/admin/groups/:id/members',
      {
        schema: {
          tags,
          security,
          summary: 'Add a user (id or UPN) or a group to a group; nested groups count',
          params: idParams,
          body: z
            .object({
              memberId: z.string().min(1).max(200),
              memberType: z.enum(['user', 'group']).default('user'),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        await principal(request, 'users');
        await addGroupMember(s, request.params.id, request.body);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/admin/groups/:id/members/:memberId',
      {
        schema: {
          tags,
          security,
          summary: 'Remove a member',
          params: z.object({
            id: z.string().min(1).max(200),
            memberId: z.string().min(1).max(200),
          }),
        },
      },
      async (request, reply) => {
        await principal(request, 'users');
        await removeGroupMember(s, request.params.id, request.params.memberId);
        return reply.code(204).send();
      },
    );

    app.get(
      '/admin/audit',
      {
        schema: {
          tags,
          security,
          summary: 'Audit events, newest first, cursor-paged',
          querystring: auditQuery,
        },
      },
      async (request) => {
        await principal(request);
        const q = request.query;
        return queryAudit(s, {
          limit: q.limit,
          ...auditFilters(q),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        });
      },
    );

    app.get(
      '/admin/audit/export',
      {
        schema: {
          tags,
          security,
          summary: 'Export every matching audit event as CSV or JSON (streamed, newest first)',
          description:
            'The same filters as GET /admin/audit. CSV: a header row, RFC 4180 quoting, `details` as JSON text, and cells a spreadsheet would run as a formula (starting with = + - @, tab, CR or NUL) prefixed with an apostrophe. JSON: one array of the objects GET /admin/audit returns in `items`. The answer is an attachment named sspr-audit-<UTC yyyymmdd-hhmmss>.csv|json; rows are read from the store page by page while the client downloads.',
          querystring: auditExportQuery,
        },
      },
      async (request, reply) => {
        await principal(request);
        const { format, ...filters } = request.query;
        const stream = await auditExportStream(s.store, auditFilters(filters), format);
        return reply
          .header('content-type', exportContentType(format))
          .header(
            'content-disposition',
            `attachment; filename="${exportFileName(format, s.clock.now())}"`,
          )
          .send(stream);
      },
    );

    app.get(
      '/admin/reports/registration',
      {
        schema: {
          tags,
          security,
          summary:
            'Registration report: per user enabled / registered / capable and methods, with a summary and the method mix',
          description:
            "Entra's meanings: enabled = password reset applies to the user (enabled account, policy scope and eligibility); registered = the user has as many of the allowed methods as the policy requires (administrators: two, never security questions); capable = enabled and registered. Users are ordered by UPN and cursor-paged; the summary and `methods` count every user.",
          querystring: z
            .object({
              cursor: z.string().max(300).optional(),
              limit: z.coerce.number().int().min(1).max(500).default(100),
            })
            .strict(),
          response: { 200: registrationReportSchema },
        },
      },
      async (request) => {
        await principal(request);
        return registrationReport(s, request.query);
      },
    );

    app.get(
      '/admin/reports/usage',
      {
        schema: {
          tags,
          security,
          summary:
            'Usage report from the audit log: resets, unlocks, changes, registrations and failures per day',
          description: `\`from\` and \`to\` are ISO date-times; the default is the last 30 days and the range is at most ${String(USAGE_MAX_DAYS)} days (SSPR_1001 otherwise). Days are UTC dates, every one present. Failures are failed self-service events (reset, unlock, change, registration and reset-flow steps such as a wrong code); \`failureReasons\` groups them by the error code recorded on the event.`,
          querystring: z
            .object({
              from: z.iso.datetime({ offset: true }).optional(),
              to: z.iso.datetime({ offset: true }).optional(),
            })
            .strict(),
          response: { 200: usageReportSchema },
        },
      },
      async (request) => {
        await principal(request);
        return usageReport(s, request.query);
      },
    );

    app.get(
      '/admin/agents',
      {
        schema: {
          tags,
          security,
          summary: 'On-premises integration: agents, writeback readiness, directory sync state',
          response: { 200: agentsOverviewSchema },
        },
      },
      async (request) => {
        await principal(request);
        return getAgentsOverview({ store: s.store, agentLink: s.agentLink });
      },
    );

    app.delete(
      '/admin/agents/:id',
      {
        schema: {
          tags,
          security,
          summary: 'Revoke an agent: its key is refused from now on and its connection is closed',
          params: idParams,
        },
      },
      async (request, reply) => {
        const p = await principal(request, 'sync');
        await revokeAgent(s, contextOf(request), p.actor, request.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      '/admin/sync',
      {
        schema: {
          tags,
          security,
          summary: 'Sync users and groups from the directory now (delta, or full) and wait for it',
          description:
            'Answers 200 with the run summary when the run finished, also when it was refused: then `error` is set (SSPR_5104 when the accidental-delete guard kept more than `sync.maxDeletes` users from being deleted; nothing was deleted, and the delta cookie was kept). If the deletions are intended, send `allowDeletes: true` (audited). SSPR_0030 when no agent answers. Every run is audited as "Directory synchronization".',
          body: z
            .object({
              full: z.boolean().optional(),
              allowDeletes: z
                .boolean()
                .optional()
                .describe(
                  'Let this run delete more than `sync.maxDeletes` users (after SSPR_5104, when the deletions are intended); audited',
                ),
            })
            .strict()
            .nullish(),
          response: { 200: syncSummarySchema },
        },
      },
      async (request) => {
        const p = await principal(request, 'sync');
        return requestSync(s, contextOf(request), p.actor, {
          full: request.body?.full ?? false,
          allowDeletes: request.body?.allowDeletes ?? false,
        });
      },
    );
  };
}
