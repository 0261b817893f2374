/**
 * The whole server over the PostgreSQL store (one throw-away schema for this file): a complete
 * authenticator-app reset, eligibility through nested groups, and the audit query.
 * SSPR_TEST_PG_URL names the server (`npm test` starts one); without it a local run starts a
 * private cluster with scripts/postgres.mjs, and CI fails.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../support/test-app.js';
import { postgresForSuite } from '../support/postgres.js';
import {
  PASSWORD,
  auditOf,
  auditPage,
  createUser,
  nextTotp,
  patchPolicy,
  registerTotp,
  signIn,
  startFlow,
} from '../support/actions.js';

const NEW_PASSWORD = 'Velvet-Lamp-93!x';

interface FlowBody {
  flowId: string;
  state: string;
  gatesRequired: number;
  methods: { method: string; hint: string }[];
  supportCode: string;
}

describe('reset flow on PostgreSQL', () => {
  const target = postgresForSuite('integration', 'sspr_it');
  if (target === null) return;
  const { schema } = target;
  const serverUrl = () => target.url();
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp({ storeUrl: serverUrl(), schema });
    await patchPolicy(t, { enabledFor: 'all' });
  });
  afterEach(async () => {
    await t.close();
  });

  /** Rows of one table of this file's schema, read past the store. */
  async function rowsIn(table: string, where = 'true', params: unknown[] = []): Promise<number> {
    const client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
    try {
      const result = await client.query<{ n: string }>(
        `select count(*) as n from "${schema}"."${table}" where ${where}`,
        params,
      );
      return Number(result.rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  it('resets a password with an authenticator app code, end to end', async () => {
    const upn = `ann.${randomBytes(3).toString('hex')}@contoso.com`;
    const user = await createUser(t, upn, { givenName: 'Annabel', surname: 'Leeway' });
    // The user really lives in PostgreSQL, in this file's schema.
    expect(await rowsIn('users', 'id = $1', [user.id])).toBe(1);
    const secret = await registerTotp(t, await signIn(t, upn));

    const start = await startFlow(t, upn);
    expect(start.statusCode, start.body).toBe(201);
    const flow = start.json<FlowBody>();
    expect(flow.methods.map((m) => m.method)).toEqual(['totp']);
    expect(await rowsIn('flows', 'id = $1', [flow.flowId])).toBe(1);

    const wrong = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: '000000' },
    });
    expect(errorCode(wrong)).toBe('SSPR_3004');
    const code = nextTotp(t, secret);
    const verify = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code },
    });
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json<FlowBody>().state).toBe('new_password');

    // The TOTP step is claimed in the store: the same code cannot open a second flow.
    const other = (await startFlow(t, upn)).json<FlowBody>();
    const replay = await t.request('POST', `/api/v1/sspr/flows/${other.flowId}/verify`, {
      body: { method: 'totp', code },
    });
    expect(errorCode(replay)).toBe('SSPR_3006');

    const reset = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json<FlowBody>().state).toBe('completed');

    const old = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: upn, password: PASSWORD },
    });
    expect(errorCode(old)).toBe('SSPR_2003');
    await signIn(t, upn, NEW_PASSWORD, secret);
    const again = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: 'Other-Pass-77!q' },
    });
    expect(errorCode(again)).toBe('SSPR_3003');
  });

  it('honours nested group membership for "selected" (SSPR_0013 outside)', async () => {
    const upn = `gus.${randomBytes(3).toString('hex')}@contoso.com`;
    const user = await createUser(t, upn);
    await registerTotp(t, await signIn(t, upn));
    const group = async (displayName: string) => {
      const res = await t.request('POST', '/api/v1/admin/groups', {
        token: t.adminToken,
        body: { displayName },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string }>().id;
    };
    const outer = await group('SSPR-Enabled-Users');
    const middle = await group('Finance');
    const inner = await group('Finance-Payroll');
    await patchPolicy(t, { enabledFor: 'selected', selectedGroupId: outer });
    expect(errorCode(await startFlow(t, upn))).toBe('SSPR_0013');

    const add = async (groupId: string, body: Record<string, string>) => {
      const res = await t.request('POST', `/api/v1/admin/groups/${groupId}/members`, {
        token: t.adminToken,
        body,
      });
      expect(res.statusCode, res.body).toBe(204);
    };
    // outer ⊃ middle ⊃ inner ∋ user: two levels of nesting.
    await add(inner, { memberId: user.id });
    expect(errorCode(await startFlow(t, upn))).toBe('SSPR_0013');
    await add(middle, { memberId: inner, memberType: 'group' });
    expect(errorCode(await startFlow(t, upn))).toBe('SSPR_0013');
    await add(outer, { memberId: middle, memberType: 'group' });
    const start = await startFlow(t, upn);
    expect(start.statusCode, start.body).toBe(201);
    expect(start.json<FlowBody>().methods.map((m) => m.method)).toEqual(['totp']);
  });

  it('answers audit queries by activity, result, user and page', async () => {
    const upn = `ivy.${randomBytes(3).toString('hex')}@contoso.com`;
    const user = await createUser(t, upn);
    const secret = await registerTotp(t, await signIn(t, upn));
    t.clock.advance(1000);
    const since = t.clock.now().toISOString();
    const flow = (await startFlow(t, upn)).json<FlowBody>();
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: '000000' },
    });
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    const reset = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);

    const resets = await auditOf(t, 'Reset password (self-service)', { user: upn });
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ result: 'success', targetId: user.id, targetUpn: upn });
    const failures = await auditOf(t, 'Self-service password reset flow activity progress', {
      user: user.id,
      result: 'failure',
    });
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.every((e) => e.result === 'failure' && e.targetId === user.id)).toBe(true);

    // The support code shown at the start finds that request's event.
    const byCode = await auditPage(t, { correlationId: flow.supportCode });
    expect(byCode.items).toHaveLength(1);
    expect(byCode.items[0]).toMatchObject({
      targetId: user.id,
      resultReason: 'User started password reset',
    });
    const recent = await auditPage(t, { from: since, user: upn, limit: '500' });
    expect(recent.items.map((e) => e.activity)).toEqual([
      'Reset password (self-service)',
      'Self-service password reset flow activity progress',
      'Self-service password reset flow activity progress',
      'Self-service password reset flow activity progress',
    ]);

    // Cursor paging: newest first, no event twice, the same events as one big page.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { seq: number }[]; nextCursor: string | null } = await auditPage(t, {
        user: upn,
        limit: '2',
        ...(cursor === null ? {} : { cursor }),
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor !== null);
    const all = (await auditPage(t, { user: upn, limit: '500' })).items.map((e) => e.seq);
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThan(2);
    expect([...all].sort((a, b) => b - a)).toEqual(all);
    // The API answered from PostgreSQL: the same events are in this schema's table.
    const mine =
      'actor_id = $1 or target_id = $1 or lower(actor_upn) = $2 or lower(target_upn) = $2';
    expect(await rowsIn('audit_events', mine, [user.id, upn])).toBe(all.length);
  });
});
