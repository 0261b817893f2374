/**
 * `npm run demo -- --with-ldap` as a user runs it: the demo process starts a private slapd and an
 * agent, syncs, and a reset through the API is written to slapd (proven with `ldapwhoami`).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
let dir = '';
let child: ChildProcess | undefined;
let out = '';
let api = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-demo-ldap-'));
  const port = await freePort();
  api = `http://127.0.0.1:${String(port)}/api/v1`;
  child = spawn(
    process.execPath,
    [
      '--import',
      join(root, 'node_modules/tsx/dist/esm/index.mjs'),
      join(root, 'src/main/cli.ts'),
      'demo',
      '--with-ldap',
      '--port',
      String(port),
    ],
    {
      cwd: dir,
      env: { ...process.env, SSPR_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const started = Date.now();
  while (!out.includes('Directory (OpenLDAP')) {
    if (child.exitCode !== null || Date.now() - started > 120_000) {
      throw new Error(`the demo did not come up:\n${err}\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 150_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('demo --with-ldap', () => {
  it('syncs the OpenLDAP users and writes a self-service reset back to slapd', async () => {
    expect(out).toMatch(/synced: [1-9]\d* users/);
    const ldapsUrl = /Directory \(OpenLDAP, (ldaps:\/\/[^,]+),/.exec(out)?.[1] ?? '';
    const start = await post('/sspr/flows', { userId: 'alice@example.org' });
    expect(start.status).toBe(201);
    const { flowId, methods } = (await start.json()) as {
      flowId: string;
      methods: { method: string }[];
    };
    expect(methods.map((m) => m.method)).toContain('email');
    expect((await post(`/sspr/flows/${flowId}/challenge`, { method: 'email' })).status).toBe(200);
    const outbox = (await (await fetch(`${api}/dev/outbox`)).json()) as {
      messages: { to: string; text: string }[];
    };
    const code = /\b(\d{8})\b/.exec(
      outbox.messages.find((m) => m.to === 'alice@example.org')?.text ?? '',
    )?.[1];
    expect(code).toBeDefined();
    expect((await post(`/sspr/flows/${flowId}/verify`, { method: 'email', code })).status).toBe(
      200,
    );
    const reset = await post(`/sspr/flows/${flowId}/reset`, { newPassword: 'Lantern-Reef-5082!' });
    expect(reset.status).toBe(200);
    // An independent client: OpenLDAP's own ldapwhoami over LDAPS, trusting the demo's CA.
    const env = { ...process.env, LDAPTLS_CACERT: join(dir, 'data/ldap/openldap.tls/ca.pem') };
    const dn = 'uid=alice,ou=staff,ou=people,dc=example,dc=org';
    const ok = await run(
      'ldapwhoami',
      ['-x', '-H', ldapsUrl, '-D', dn, '-w', 'Lantern-Reef-5082!'],
      { env },
    );
    expect(ok.stdout).toContain(`dn:${dn}`);
    await expect(
      run('ldapwhoami', ['-x', '-H', ldapsUrl, '-D', dn, '-w', 'Alice!Passw0rd-2024'], { env }),
    ).rejects.toThrow(/Invalid credentials/);
  });
});
