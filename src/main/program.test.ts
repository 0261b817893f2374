/**
 * The `sspr` command, run in-process through `main(argv, io)` with captured output, against a
 * store in a temporary directory and a server listening on loopback.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { loadConfig } from '../config/load.js';
import { totpCodeAt } from '../domain/methods/totp.js';
import { createAdminToken } from '../services/admin-service.js';
import { createServerRuntime, type ServerRuntime } from './server-runtime.js';

type Env = Record<string, string | undefined>;

let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-cli-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

/** Runs `sspr …argv` in-process; the environment is exactly `env`. */
const sspr = (argv: string[], env: Env = {}) => runCli(argv, { env, cwd: dir });

/** What `sspr serve` would build from this environment (quiet, no timing floor). */
async function runtimeFor(env: Env): Promise<ServerRuntime> {
  const config = loadConfig({
    env: { ...env, SSPR_LOG_LEVEL: 'silent', SSPR_CAPTCHA_ENABLED: 'false' },
    cwd: dir,
  });
  const runtime = await createServerRuntime(config, { timingFloorMs: 0 });
  cleanups.push(() => runtime.close());
  return runtime;
}

function get(runtime: ServerRuntime, url: string, token: string): Promise<LightMyRequestResponse> {
  return runtime.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

describe('sspr admin token create', () => {
  it('prints the token alone on the last stdout line, and the token opens the admin API', async () => {
    const dbFile = join(dir, 'store', 'sspr.db');
    const env = { SSPR_DATA_DIR: join(dir, 'data'), SSPR_STORE_URL: `sqlite:${dbFile}` };
    const run = await sspr(['admin', 'token', 'create', '--name', 'ci'], env);
    expect(run.err.join('\n')).toContain('Admin token "ci" created');
    expect(run.exitCode).toBeUndefined();
    expect(run.out).toHaveLength(1);
    const token = run.out.at(-1) ?? '';
    expect(token).toMatch(/^sspr_at_[A-Za-z0-9_-]{43}$/);
    expect(run.err.join('\n')).not.toContain(token);
    expect(existsSync(dbFile)).toBe(true);

    // A server over the same store accepts it; a slightly different token is refused.
    const runtime = await runtimeFor(env);
    const policy = await get(runtime, '/api/v1/admin/policy', token);
    expect(policy.statusCode, policy.body).toBe(200);
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await get(runtime, '/api/v1/admin/policy', forged)).statusCode).toBe(401);
    const audit = await get(
      runtime,
      `/api/v1/admin/audit?activity=${encodeURIComponent('Create admin token')}`,
      token,
    );
    const events = audit.json<{ items: { details: { name?: string } }[] }>().items;
    expect(events.map((e) => e.details.name)).toEqual(['ci']);
  });

  it('uses <dataDir>/sspr.db when only SSPR_DATA_DIR is set; each call mints a new token', async () => {
    const env = { SSPR_DATA_DIR: join(dir, 'd') };
    const first = await sspr(['admin', 'token', 'create'], env);
    const second = await sspr(['admin', 'token', 'create'], env);
    expect([first.exitCode, second.exitCode]).toEqual([undefined, undefined]);
    expect(existsSync(join(dir, 'd', 'sspr.db'))).toBe(true);
    expect(first.out.at(-1)).not.toBe(second.out.at(-1));
    const runtime = await runtimeFor(env);
    for (const token of [first.out.at(-1) ?? '', second.out.at(-1) ?? '']) {
      expect((await get(runtime, '/api/v1/admin/policy', token)).statusCode).toBe(200);
    }
  });
});

describe('sspr admin policy (against a listening server)', () => {
  let runtime: ServerRuntime;
  let server: string;
  let env: Env;

  beforeEach(async () => {
    runtime = await runtimeFor({ SSPR_DATA_DIR: dir, SSPR_LISTEN: '127.0.0.1:0' });
    await runtime.app.listen({ host: '127.0.0.1', port: 0 });
    const address = runtime.app.server.address() as net.AddressInfo;
    server = `http://127.0.0.1:${String(address.port)}`;
    const { token } = await createAdminToken(runtime.services, 'cli-test');
    env = { SSPR_SERVER: server, SSPR_ADMIN_TOKEN: token };
  });

  async function currentPolicy(): Promise<Record<string, unknown>> {
    const res = await get(runtime, '/api/v1/admin/policy', env.SSPR_ADMIN_TOKEN ?? '');
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Record<string, unknown>>();
  }

  async function policyChanges(): Promise<{ result: string; details: unknown }[]> {
    const activity = encodeURIComponent('Self-service password reset policy changes');
    const res = await get(
      runtime,
      `/api/v1/admin/audit?activity=${activity}`,
      env.SSPR_ADMIN_TOKEN ?? '',
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: { result: string; details: unknown }[] }>().items;
  }

  it('show prints the policy document as JSON', async () => {
    const run = await sspr(['admin', 'policy', 'show'], env);
    expect(run.err).toEqual([]);
    expect(run.exitCode).toBeUndefined();
    const shown = JSON.parse(run.out.join('\n')) as Record<string, unknown>;
    expect(shown).toEqual(await currentPolicy());
    expect(shown).toMatchObject({ enabledFor: expect.any(String) as unknown, methodsRequired: 1 });
  });

  it('set changes the policy, prints the result, and the change is in the audit log', async () => {
    const run = await sspr(
      [
        'admin',
        'policy',
        'set',
        'enabledFor=all',
        'methodsRequired=2',
        'methods.securityQuestions=true',
      ],
      env,
    );
    expect(run.err.join('\n')).toContain('policy updated');
    expect(run.exitCode).toBeUndefined();
    const printed = JSON.parse(run.out.join('\n')) as Record<string, unknown>;
    const expected = {
      enabledFor: 'all',
      methodsRequired: 2,
      methods: expect.objectContaining({ securityQuestions: true }) as unknown,
    };
    expect(printed).toMatchObject(expected);
    expect(await currentPolicy()).toMatchObject(expected);

    const changes = await policyChanges();
    expect(changes).toHaveLength(1);
    expect(changes[0]?.result).toBe('success');
    expect(changes[0]?.details).toMatchObject({
      modifiedProperties: expect.arrayContaining([
        expect.objectContaining({ property: 'enabledFor', newValue: 'all' }),
        expect.objectContaining({ property: 'methodsRequired', oldValue: 1, newValue: 2 }),
        expect.objectContaining({ property: 'methods.securityQuestions', newValue: true }),
      ]) as unknown,
    });
  });

  it('--server and --token override the environment', async () => {
    const run = await sspr(
      [
        'admin',
        'policy',
        'set',
        'enabledFor=none',
        '--server',
        `${server}/`,
        '--token',
        env.SSPR_ADMIN_TOKEN ?? '',
      ],
      { SSPR_SERVER: 'http://127.0.0.1:1', SSPR_ADMIN_TOKEN: 'sspr_at_wrong' },
    );
    expect(run.err).toContain('policy updated (the change is in the audit log)');
    expect(run.exitCode).toBeUndefined();
    expect(await currentPolicy()).toMatchObject({ enabledFor: 'none' });
  });

  it('refuses an assignment without "=" before calling the server (exit 1)', async () => {
    const before = await currentPolicy();
    const run = await sspr(['admin', 'policy', 'set', 'enabledFor', 'methodsRequired=2'], env);
    expect(run.exitCode).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toEqual([
      'sspr: "enabledFor" is not KEY=VALUE (e.g. enabledFor=all, methodsRequired=2)',
    ]);
    expect(await currentPolicy()).toEqual(before);
    expect(await policyChanges()).toEqual([]);
  });

  it('reports the server refusing the change (SSPR_4005) with its support code (exit 1)', async () => {
    const before = await currentPolicy();
    const run = await sspr(['admin', 'policy', 'set', 'methodsRequired=3'], env);
    expect(run.exitCode).toBe(1);
    expect(run.out).toEqual([]);
    const message = run.err.join('\n');
    expect(message).toMatch(/^sspr: SSPR_4005: .*\(support code [0-9a-f-]{36}\)/);
    expect(message).toContain('methodsRequired');
    expect(await currentPolicy()).toEqual(before);
    expect((await policyChanges()).map((e) => e.result)).toEqual(['failure']);
  });

  it('names SSPR_ADMIN_TOKEN when no token is given (exit 1)', async () => {
    const run = await sspr(['admin', 'policy', 'show'], { SSPR_SERVER: server });
    expect(run.exitCode).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(/^sspr: no admin token: .*SSPR_ADMIN_TOKEN/);
  });

  it('reports an unknown token with the server code (exit 1)', async () => {
    const run = await sspr(['admin', 'policy', 'show'], {
      ...env,
      SSPR_ADMIN_TOKEN: 'sspr_at_unknown',
    });
    expect(run.exitCode).toBe(1);
    expect(run.err.join('\n')).toMatch(/^sspr: SSPR_2006: /);
  });

  it('says which server it could not reach (exit 1)', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise<void>((resolve) =>
      closed.close(() => {
        resolve();
      }),
    );
    const nowhere = `http://127.0.0.1:${String(port)}`;
    const run = await sspr(['admin', 'policy', 'show'], { ...env, SSPR_SERVER: nowhere });
    expect(run.exitCode).toBe(1);
    expect(run.err.join('\n')).toContain(`cannot reach ${nowhere}`);
  });
});

describe('configuration errors', () => {
  it('config validate names the bad key and exits 1', async () => {
    const run = await sspr(['config', 'validate'], { SSPR_STORE_URL: 'mysql://x' });
    expect(run.exitCode).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err.join('\n')).toContain('store.url (SSPR_STORE_URL)');
  });

  it('serve stops before starting anything, naming the bad key (exit 1)', async () => {
    const run = await sspr(['serve'], {
      SSPR_DATA_DIR: join(dir, 'data'),
      SSPR_STORE_URL: 'mysql://x',
    });
    expect(run.exitCode).toBe(1);
    expect(run.err.join('\n')).toContain('SSPR_STORE_URL');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('admin token create refuses an unknown SSPR_ variable (exit 1)', async () => {
    const run = await sspr(['admin', 'token', 'create'], {
      SSPR_DATA_DIR: dir,
      SSPR_STORE_URI: 'sqlite:x.db',
    });
    expect(run.exitCode).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err.join('\n')).toContain('SSPR_STORE_URI');
  });
});

describe('sspr totp', () => {
  it('prints the current code of a base32 secret', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const before = totpCodeAt(secret, new Date());
    const run = await sspr(['totp', secret]);
    const lenient = await sspr(['totp', 'jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp']);
    const after = totpCodeAt(secret, new Date());
    expect(run.exitCode).toBeUndefined();
    expect(run.out).toHaveLength(1);
    expect(run.out[0]).toMatch(/^\d{6}$/);
    expect([before, after]).toContain(run.out[0]);
    expect([before, after]).toContain(lenient.out[0]);
  });
});

describe('other commands and mistakes', () => {
  it('demo --port refuses a bad port (exit 1)', async () => {
    const run = await sspr(['demo', '--port', '70000'], { SSPR_DATA_DIR: join(dir, 'data') });
    expect(run.exitCode).toBe(1);
    expect(run.err).toEqual(['sspr: --port must be 1-65535, not 70000']);
  });

  it('an unknown command exits non-zero and says so', async () => {
    const run = await sspr(['frobnicate']);
    expect(run.exitCode).not.toBe(0);
    expect(run.exitCode).toBeDefined();
    expect(run.err.join('\n')).toContain("unknown command 'frobnicate'");
  });

  it('mistakes inside subcommands return an exit code instead of ending the process', async () => {
    const unknown = await sspr(['admin', 'policy', 'frobnicate']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err.join('\n')).toContain("unknown command 'frobnicate'");
    const missing = await sspr(['admin', 'policy', 'set'], { SSPR_ADMIN_TOKEN: 'sspr_at_x' });
    expect(missing.exitCode).toBe(1);
    expect(missing.err.join('\n')).toContain("missing required argument 'assignments'");
    const option = await sspr(['admin', 'token', 'create', '--nmae', 'x']);
    expect(option.exitCode).toBe(1);
    expect(option.err.join('\n')).toContain("unknown option '--nmae'");
  });

  it('--version prints the package version (exit 0)', async () => {
    const run = await sspr(['--version']);
    expect(run.exitCode).toBe(0);
    expect(run.out).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown]);
  });
});
