/**
 * End to end against a real Samba AD DC: HTTP flow → server → agent (real WebSocket, real AD
 * adapter over LDAPS with certificate verification) → directory; every result proven with an
 * independent client (Kerberos `kinit` against Samba's KDC).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSamba, type SambaFacts } from '../support/directories.js';
import {
  enableAllAndSync,
  passGate,
  registerTotp,
  sambaConnection,
  startHybrid,
  type Hybrid,
} from '../support/hybrid.js';

const samba = useSamba({ isolated: true });
let h: Hybrid;
let f: SambaFacts;

/** Kerberos sign-in as a real client would: rc 0 when the KDC accepts the password. */
function kinit(principal: string, password: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('kinit', [principal], {
      env: {
        ...process.env,
        KRB5_CONFIG: f.krb5Conf,
        KRB5CCNAME: `FILE:${join(tmpdir(), `sspr-kinit-${randomBytes(6).toString('hex')}`)}`,
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('close', (code) => {
      resolve({ ok: code === 0, output });
    });
    child.stdin.end(`${password}\n`);
  });
}

const principal = (user: { upn: string }) => user.upn.replace(/@.*/, `@${f.realm}`);

beforeAll(async () => {
  f = samba();
  h = await startHybrid(sambaConnection(f));
  const sync = await enableAllAndSync(h);
  expect(sync.json<{ users: { added: number }; error: unknown }>().error).toBeNull();
}, 180_000);

afterAll(async () => {
  await h.close();
});

describe('hybrid writeback to Samba AD', () => {
  it('synced the users in scope only (OU=Staff and below), with their state', async () => {
    const users = await h.request('GET', '/api/v1/admin/users?limit=200', { token: h.adminToken });
    const upns = users.json<{
      items: { userPrincipalName: string; source: string; accountEnabled: boolean }[];
    }>().items;
    const names = upns.filter((u) => u.source === 'directory').map((u) => u.userPrincipalName);
    expect(names).toEqual(
      expect.arrayContaining([f.users.alice.upn, f.users.bob.upn, f.users.carol.upn]),
    );
    expect(names).not.toContain(f.users.frank.upn); // Contractors: out of scope
    expect(upns.find((u) => u.userPrincipalName === f.users.dave.upn)?.accountEnabled).toBe(false);
  });

  it('resets a password through the HTTP flow; kinit proves the new one and refuses the old', async () => {
    const alice = f.users.alice;
    const secret = await registerTotp(h, alice.upn, alice.password);
    const ready = await passGate(h, alice.upn, secret);
    expect(ready.state).toBe('new_password');
    // The user's effective policy (cloud + domain policy), shown before typing.
    const ids = ready.passwordPolicy.map((r) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining(['length.min', 'complexity.accountName', 'history']),
    );
    const newPassword = `Harbor-${randomBytes(3).toString('hex')}-Kite9!`;
    const reset = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await kinit(principal(alice), newPassword)).ok).toBe(true);
    const old = await kinit(principal(alice), alice.password);
    expect(old.ok).toBe(false);
    expect(old.output).toMatch(/Password incorrect|Preauthentication failed/i);
  });

  it('enforces the PSO (14 characters for Finance-Team) before writing', async () => {
    const carol = f.users.carol;
    const secret = await registerTotp(h, carol.upn, carol.password);
    const ready = await passGate(h, carol.upn, secret);
    expect(ready.passwordPolicy.find((r) => r.id === 'length.min')?.params).toEqual({ min: 14 });
    const short = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: 'Qz7!mVx2pL' },
    });
    expect(short.statusCode).toBe(422);
    expect(
      short.json<{ error: { code: string; details: { failed: string[] } } }>().error.details.failed,
    ).toContain('length.min');
    expect((await kinit(principal(carol), carol.password)).ok).toBe(true); // nothing written
  });

  it('refuses a protected account (adminCount=1) with SSPR_0029', async () => {
    const erin = f.users.erin;
    const secret = await registerTotp(h, erin.upn, erin.password);
    const ready = await passGate(h, erin.upn, secret);
    const res = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: 'Copper-Moss-7310!q' },
    });
    expect(res.json<{ error: { code: string } }>().error.code).toBe('SSPR_0029');
    expect((await kinit(principal(erin), erin.password)).ok).toBe(true);
  });

  it('unlocks a locked account (unlock only); the same password then works again', async () => {
    const bob = f.users.bob;
    const secret = await registerTotp(h, bob.upn, bob.password);
    // Lock bob out as a user typing wrong passwords would: bad binds up to the threshold.
    const ca = await readFile(f.caFile, 'utf8');
    for (let i = 0; i < f.domainPolicy.lockoutThreshold; i++) {
      const client = new Client({ url: f.ldapsUrl, tlsOptions: { ca: [ca] } });
      await client.bind(bob.dn, `Wrong-${String(i)}-Password!`).catch(() => undefined);
      await client.unbind().catch(() => undefined);
    }
    expect((await kinit(principal(bob), bob.password)).ok).toBe(false); // locked
    const locked = await h.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: bob.upn, password: bob.password },
    });
    expect(locked.json<{ error: { code: string } }>().error.code).toBe('SSPR_5008');
    const ready = await passGate(h, bob.upn, secret);
    expect(ready.allowUnlock).toBe(true);
    const unlock = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/unlock`);
    expect(unlock.statusCode, unlock.body).toBe(200);
    expect((await kinit(principal(bob), bob.password)).ok).toBe(true);
  });
});
