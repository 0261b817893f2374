/**
 * `sspr admin audit export` run in-process through `main(argv, io)` against a listening server:
 * the audit events come from real policy changes through the admin API.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { parseCsv } from '../../test/support/csv.js';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  env = { SSPR_SERVER: `http://127.0.0.1:${String(port)}`, SSPR_ADMIN_TOKEN: t.adminToken };
  dir = await mkdtemp(join(tmpdir(), 'sspr-audit-cli-'));
});
afterEach(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

const sspr = (argv: string[], runEnv = env) => runCli(argv, { env: runEnv, cwd: dir });

async function changePolicy(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/admin/policy',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { registration: { reconfirmDays: 100 + i } },
    });
    expect(response.statusCode).toBe(200);
  }
}

const POLICY_ACTIVITY = 'Self-service password reset policy changes';

describe('sspr admin audit export', () => {
  it('writes every matching event as CSV to the server-chosen file and prints its path', async () => {
    await changePolicy(3);
    const run = await sspr(['admin', 'audit', 'export', '--format', 'csv']);
    expect(run.exitCode).toBeUndefined();
    const path = run.out.at(-1) ?? '';
    expect(path).toMatch(/sspr-audit-\d{8}-\d{6}\.csv$/);
    const rows = parseCsv(await readFile(path, 'utf8'));
    const header = rows[0] ?? [];
    const activity = header.indexOf('activity');
    expect(activity).toBeGreaterThanOrEqual(0);
    const policyRows = rows.slice(1).filter((r) => r[activity] === POLICY_ACTIVITY);
    expect(policyRows).toHaveLength(3);
    expect(run.err.join('\n')).toMatch(/exported \d+ events/);
    // Nothing but the finished file is left behind.
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('applies --activity and --since, and writes JSON to --out', async () => {
    await changePolicy(2);
    const run = await sspr([
      'admin',
      'audit',
      'export',
      '--format',
      'json',
      '--activity',
      POLICY_ACTIVITY,
      '--since',
      '2000-01-01',
      '--out',
      'policy.json',
    ]);
    expect(run.exitCode).toBeUndefined();
    expect(run.out.at(-1)).toBe(join(dir, 'policy.json'));
    const events = JSON.parse(await readFile(join(dir, 'policy.json'), 'utf8')) as {
      activity: string;
    }[];
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.activity === POLICY_ACTIVITY)).toBe(true);

    const future = await sspr([
      'admin',
      'audit',
      'export',
      '--format',
      'json',
      '--since',
      '2999-01-01',
      '--out',
      'none.json',
    ]);
    expect(future.exitCode).toBeUndefined();
    expect(JSON.parse(await readFile(join(dir, 'none.json'), 'utf8'))).toEqual([]);
  });

  it('refuses a bad format or date before calling the server, and reports the server’s code', async () => {
    const badFormat = await sspr(['admin', 'audit', 'export', '--format', 'xml']);
    expect(badFormat.exitCode).toBe(1);
    expect(badFormat.err.join('\n')).toMatch(/--format must be csv or json/);

    const badDate = await sspr(['admin', 'audit', 'export', '--format', 'csv', '--since', 'May']);
    expect(badDate.exitCode).toBe(1);
    expect(badDate.err.join('\n')).toMatch(/--since must be an ISO date/);

    const badActivity = await sspr([
      'admin',
      'audit',
      'export',
      '--format',
      'csv',
      '--activity',
      'Nope',
    ]);
    expect(badActivity.exitCode).toBe(1);
    expect(badActivity.err.join('\n')).toMatch(/SSPR_1\d{3}.*support code/);

    const badToken = await sspr(['admin', 'audit', 'export', '--format', 'csv'], {
      ...env,
      SSPR_ADMIN_TOKEN: 'sspr_wrong',
    });
    expect(badToken.exitCode).toBe(1);
    expect(badToken.err.join('\n')).toMatch(/SSPR_2\d{3}/);
    expect((await readdir(dir)).length).toBe(0);
  });
});
