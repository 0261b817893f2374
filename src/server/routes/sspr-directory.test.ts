import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import { nextTotp, patchPolicy, registerTotp, startFlow } from '../../../test/support/actions.js';
import { createFakeDirectory, type FakeDirectory } from '../../../test/fakes/fake-directory.js';
import { createDirectAgentLink } from '../../../test/fakes/direct-agent-link.js';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { DirectoryUser } from '../../domain/ports/directory.js';

interface FlowBody {
  flowId: string;
  state: string;
  methods: { method: string }[];
  allowUnlock: boolean;
  passwordPolicy?: { id: string; params?: Record<string, unknown>; checkedBy: string }[];
}

const DN = 'CN=Dana Diaz,OU=Staff,DC=example,DC=test';
const UPN = 'dana@example.test';
const OLD = 'Initial-Passw0rd';
const NEW = 'Velvet-Lamp-93!x';

let t: TestApp;
let directory: FakeDirectory;
let link: ReturnType<typeof createDirectAgentLink>;
let danaUser: DirectoryUser;

beforeEach(async () => {
  directory = createFakeDirectory();
  danaUser = directory.addUser(
    {
      dn: DN,
      userPrincipalName: UPN,
      accountName: 'dana',
      givenName: 'Dana',
      surname: 'Diaz',
      displayName: 'Dana Diaz',
      externalId: 'guid-dana',
    },
    OLD,
  );
  link = createDirectAgentLink(directory);
  t = await createTestApp({ agentLink: link });
  await patchPolicy(t, { enabledFor: 'all' });
  // As the sync would: the directory user in the server's store.
  await t.store.directorySync.upsertUsers([danaUser], t.clock.now().toISOString(), {
    newId: () => t.services.random.uuid(),
    prepopulateContacts: true,
  });
});
afterEach(async () => {
  await t.close();
});

/** Signs in with the directory password (checked by a bind through the agent) and adds TOTP. */
async function withTotp(): Promise<string> {
  const signIn = await t.request('POST', '/api/v1/auth/sign-in', {
    body: { userId: UPN, password: OLD },
  });
  expect(signIn.statusCode, signIn.body).toBe(200);
  expect(directory.callsOf('verifyPassword')).toHaveLength(1);
  const cookie = signIn.cookies.find((c) => c.name === 'sspr_session')?.value ?? '';
  return registerTotp(t, cookie);
}

async function passGate(secret: string): Promise<FlowBody> {
  const flow = (await startFlow(t, UPN)).json<FlowBody>();
  const verify = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
    body: { method: 'totp', code: nextTotp(t, secret) },
  });
  expect(verify.statusCode, verify.body).toBe(200);
  return verify.json<FlowBody>();
}

describe('reset for a directory user (writeback through the agent)', () => {
  it("shows the effective policy, writes back, unlocks and never leaves 'must change'", async () => {
    const secret = await withTotp();
    const ready = await passGate(secret);
    expect(ready.state).toBe('new_password');
    const rules = ready.passwordPolicy ?? [];
    expect(rules.map((r) => r.id)).toEqual(
      expect.arrayContaining(['length.min', 'complexity.accountName', 'history']),
    );
    expect(rules.find((r) => r.id === 'history')?.params).toEqual({ count: 3 });

    const reset = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json<FlowBody>().state).toBe('completed');
    expect(directory.passwordOf(DN)).toBe(NEW);
    expect(directory.callsOf('resetPassword')[0]?.args).toEqual([
      DN,
      NEW,
      { unlock: true, mustChange: false },
    ]);
    // The new password works for sign-in through the directory.
    const signIn = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: UPN, password: NEW },
    });
    expect(signIn.statusCode).toBe(200);
    const audit = await t.request(
      'GET',
      '/api/v1/admin/audit?activity=Reset%20password%20(self-service)&result=success',
      { token: t.adminToken },
    );
    expect(
      audit.json<{ items: { details: { onPremisesAgent?: string } }[] }>().items[0]?.details
        .onPremisesAgent,
    ).toBe('OpenSSPR agent');
  });

  it('explains a directory refusal rule by rule and keeps the flow for another try', async () => {
    const secret = await withTotp();
    const ready = await passGate(secret);
    directory.failNext(
      'resetPassword',
      new SsprError('DIRECTORY_PASSWORD_IN_HISTORY', { details: { directoryText: 'x' } }),
    );
    const refused = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    expect(refused.statusCode).toBe(422);
    expect(errorCode(refused)).toBe('SSPR_5003');
    expect(refused.json<{ error: { details: { rule: string } } }>().error.details.rule).toBe(
      'history',
    );
    expect(directory.passwordOf(DN)).toBe(OLD);
    const again = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: 'Other-Lamp-77!q' },
    });
    expect(again.statusCode, again.body).toBe(200);
  });

  it('enforces the account-name rule and its own history before anything is written', async () => {
    const secret = await withTotp();
    let ready = await passGate(secret);
    const named = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: 'Dana-Velvet-93!' },
    });
    expect(errorCode(named)).toBe('SSPR_4001');
    expect(directory.callsOf('resetPassword')).toHaveLength(0);
    // A password set through OpenSSPR is remembered (hashed) and refused again within the history.
    await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    ready = await passGate(secret);
    const reused = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    expect(errorCode(reused)).toBe('SSPR_5003');
    expect(
      reused.json<{ error: { details: { checkedBy: string } } }>().error.details.checkedBy,
    ).toBe('server');
    expect(directory.callsOf('resetPassword')).toHaveLength(1);
  });

  it('enforces the minimum password age itself (SSPR_5004) without calling the directory', async () => {
    const secret = await withTotp();
    const ready = await passGate(secret);
    directory.readPasswordPolicy = async () => ({
      source: 'domain',
      minLength: 7,
      complexity: true,
      historyCount: 0,
      minAgeDays: 1,
      maxAgeDays: 0,
      lockoutThreshold: 0,
      lockoutDurationMinutes: 0,
      notEnforcedOnReset: ['history', 'minAge'],
    });
    const state = await directory.readAccountState(DN);
    directory.readAccountState = async () => ({
      ...state,
      passwordLastSet: t.clock.now().toISOString(),
    });
    const res = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    expect(res.statusCode).toBe(422);
    expect(errorCode(res)).toBe('SSPR_5004');
    expect(directory.callsOf('resetPassword')).toHaveLength(0);
  });

  it('refuses protected accounts with SSPR_0029', async () => {
    const secret = await withTotp();
    const ready = await passGate(secret);
    const state = await directory.readAccountState(DN);
    directory.readAccountState = async () => ({ ...state, protected: true });
    const res = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    expect(errorCode(res)).toBe('SSPR_0029');
    expect(res.json<{ error: { details: { reason: string } } }>().error.details.reason).toBe(
      'protectedAccount',
    );
    expect(directory.callsOf('resetPassword')).toHaveLength(0);
  });

  it('unlocks only, when the policy allows it', async () => {
    const secret = await withTotp();
    await patchPolicy(t, { onPremises: { allowUnlockWithoutReset: true } });
    const ready = await passGate(secret);
    expect(ready.allowUnlock).toBe(true);
    const res = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/unlock`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<FlowBody>().state).toBe('completed');
    expect(directory.callsOf('unlock')[0]?.args).toEqual([DN]);
    expect(directory.passwordOf(DN)).toBe(OLD);
    const audit = await t.request(
      'GET',
      '/api/v1/admin/audit?activity=Unlock%20user%20account%20(self-service)',
      { token: t.adminToken },
    );
    expect(audit.json<{ items: { result: string }[] }>().items[0]?.result).toBe('success');
  });

  it('answers SSPR_0030 at the start when no agent is connected, and SSPR_0010 when writeback is off', async () => {
    await withTotp();
    link.connected = false;
    expect(errorCode(await startFlow(t, UPN))).toBe('SSPR_0030');
    link.connected = true;
    await patchPolicy(t, { onPremises: { writeback: false } });
    expect(errorCode(await startFlow(t, UPN))).toBe('SSPR_0010');
  });

  it('a dropped agent during the reset leaves nothing half-done', async () => {
    const secret = await withTotp();
    const ready = await passGate(secret);
    directory.failNext('resetPassword', new SsprError('ON_PREMISES_CONNECTIVITY'));
    const res = await t.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: NEW },
    });
    expect(res.statusCode).toBe(503);
    expect(errorCode(res)).toBe('SSPR_0030');
    const flow = await t.request('GET', `/api/v1/sspr/flows/${ready.flowId}`);
    expect(flow.json<FlowBody>().state).toBe('new_password');
    const failed = await t.request(
      'GET',
      '/api/v1/admin/audit?activity=Reset%20password%20(self-service)&result=failure',
      { token: t.adminToken },
    );
    expect(failed.json<{ items: unknown[] }>().items).toHaveLength(1);
  });
});

describe('change for a directory user', () => {
  it('changes with the old password through the agent; a wrong one is SSPR_2008', async () => {
    const signIn = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: UPN, password: OLD },
    });
    const cookie = signIn.cookies.find((c) => c.name === 'sspr_session')?.value ?? '';
    const wrong = await t.request('POST', '/api/v1/me/password', {
      cookie,
      body: { currentPassword: 'Nope-Nope-123!', newPassword: NEW },
    });
    expect(errorCode(wrong)).toBe('SSPR_2008');
    const ok = await t.request('POST', '/api/v1/me/password', {
      cookie,
      body: { currentPassword: OLD, newPassword: NEW },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(directory.callsOf('changePassword')[0]?.args).toEqual([DN, OLD, NEW]);
    expect(directory.passwordOf(DN)).toBe(NEW);
  });
});

describe('POST /password/check for a signed-in directory user', () => {
  it("checks against the user's effective policy (directory rules included), not the user id", async () => {
    const signIn = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: UPN, password: OLD },
    });
    const cookie = signIn.cookies.find((c) => c.name === 'sspr_session')?.value ?? '';
    type Check = { rules: { id: string; ok: boolean }[]; policy: { id: string }[] };
    // The account name inside the password breaks a directory rule only this user has.
    const mine = await t.request('POST', '/api/v1/password/check', {
      cookie,
      body: { password: 'Dana-Lamp-93!x' },
    });
    expect(mine.statusCode, mine.body).toBe(200);
    const answer = mine.json<Check>();
    expect(answer.policy.map((r) => r.id)).toEqual(
      expect.arrayContaining(['complexity.accountName', 'history']),
    );
    expect(answer.rules.find((r) => r.id === 'complexity.accountName')?.ok).toBe(false);
    // Anonymous, naming the user: the cloud policy only (no account or PSO is revealed).
    const anonymous = await t.request('POST', '/api/v1/password/check', {
      body: { password: 'Dana-Lamp-93!x', userId: UPN },
    });
    const ids = anonymous.json<Check>().policy.map((r) => r.id);
    expect(ids).not.toContain('complexity.accountName');
    expect(ids).not.toContain('history');
  });
});

describe('admin warnings about the directory policy', () => {
  it('warns about a minimum password age above 0 and rules a DC skips on resets', async () => {
    const quiet = await t.request('GET', '/api/v1/admin/agents', { token: t.adminToken });
    expect(quiet.statusCode, quiet.body).toBe(200);
    expect(quiet.json<{ warnings: string[] }>().warnings).toEqual([]);
    directory.readPasswordPolicy = async () => ({
      source: 'pso:sspr-strict',
      minLength: 14,
      complexity: true,
      historyCount: 3,
      minAgeDays: 1,
      maxAgeDays: 0,
      lockoutThreshold: 0,
      lockoutDurationMinutes: 0,
      notEnforcedOnReset: ['history', 'minAge'],
    });
    const res = await t.request('GET', '/api/v1/admin/agents', { token: t.adminToken });
    const warnings = res.json<{ warnings: string[] }>().warnings;
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('minimum password age is 1 day(s) (pso:sspr-strict)');
    expect(warnings[1]).toContain(
      "does not enforce history and minAge on the agent's administrative resets",
    );
  });
});

describe('DELETE /admin/agents/{id}', () => {
  it('revokes a registered agent (204), 404 for an unknown one, and needs a token or admin role', async () => {
    const agent = await t.store.agents.create(
      {
        id: 'agent-x',
        name: 'dc1',
        signingPublicKey: 'pem',
        encryptionPublicKey: 'pem',
        version: '1',
      },
      t.clock.now().toISOString(),
    );
    expect(errorCode(await t.request('DELETE', `/api/v1/admin/agents/${agent.id}`))).toBe(
      'SSPR_2006',
    );
    const res = await t.request('DELETE', `/api/v1/admin/agents/${agent.id}`, {
      token: t.adminToken,
    });
    expect(res.statusCode).toBe(204);
    expect((await t.store.agents.findById(agent.id))?.revokedAt).not.toBeNull();
    const unknown = await t.request('DELETE', '/api/v1/admin/agents/nope', { token: t.adminToken });
    expect(errorCode(unknown)).toBe('SSPR_1010');
  });
});

describe('GET /admin/users/{id} for a directory user', () => {
  it('shows where the account lives and that it can reset', async () => {
    await withTotp();
    const res = await t.request('GET', `/api/v1/admin/users/${UPN}`, { token: t.adminToken });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      source: string;
      directory: { dn: string; accountName: string; externalId: string } | null;
      sspr: { capable: boolean };
    }>();
    expect(body.source).toBe('directory');
    expect(body.directory).toMatchObject({ dn: DN, accountName: 'dana', externalId: 'guid-dana' });
    expect(body.sspr.capable).toBe(true);
  });
});
