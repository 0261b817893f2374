/**
 * `sspr admin sync` run in-process through `main(argv, io)` against a listening server whose
 * AgentLink is a fake (its sync() answers a prepared summary).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFakeAgentLink,
  syncSummary,
  type FakeAgentLink,
} from '../../test/fakes/fake-agent-link.js';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import type { SyncSummary } from '../domain/ports/agent-link.js';
import { main } from '../main/program.js';
import { ALLOW_DELETES_KEY } from '../services/directory-sync.js';
import { formatSyncSummary } from './admin-sync.js';

interface Run {
  readonly out: string[];
  readonly err: string[];
  readonly tty: string[];
  readonly exitCode: typeof process.exitCode;
}

let t: TestApp;
let link: FakeAgentLink;
let env: Record<string, string>;

beforeEach(async () => {
  link = createFakeAgentLink({ connected: true });
  t = await createTestApp({ agentLink: link });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  env = { SSPR_SERVER: `http://127.0.0.1:${String(port)}`, SSPR_ADMIN_TOKEN: t.adminToken };
});
afterEach(async () => {
  await t.close();
  process.exitCode = undefined;
});

/** What the fake terminal received in the current run. */
let tty: string[] = [];

async function sspr(argv: string[], options: { tty?: boolean } = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  tty = [];
  process.exitCode = undefined;
  await main(argv, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
    cwd: process.cwd(),
    errTty: options.tty === true ? { write: (text) => tty.push(text) } : undefined,
  });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { out, err, tty, exitCode };
}

const answer = (summary: SyncSummary, delayMs = 0) => {
  link.onSync = () =>
    new Promise((resolve) =>
      setTimeout(() => {
        resolve(summary);
      }, delayMs),
    );
};

describe('sspr admin sync', () => {
  it('asks for a delta, waits with one progress line off a terminal, prints the counts', async () => {
    answer(
      syncSummary({
        syncId: 'sync-42',
        users: { added: 12, updated: 3, deleted: 1 },
        groups: { added: 2, updated: 0, deleted: 0 },
      }),
    );
    const run = await sspr(['admin', 'sync']);
    expect(run.exitCode).toBeUndefined();
    expect(link.syncCalls).toEqual([{ full: false }]);
    expect(run.err).toEqual(['waiting for the delta sync …']);
    expect(run.tty).toEqual([]);
    expect(run.out).toEqual([
      'Delta sync sync-42 (1.0 s)',
      '        added  updated  deleted',
      'users      12        3        1',
      'groups      2        0        0',
    ]);
  });

  it('--full asks for a full sync; on a terminal the elapsed seconds tick, then the line clears', async () => {
    // The run ends once the terminal showed a tick of 1 s or more (however slow the machine).
    link.onSync = async () => {
      const until = Date.now() + 10_000;
      while (!tty.some((line) => / [1-9]\d* s$/.test(line)) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return syncSummary({ full: true });
    };
    const run = await sspr(['admin', 'sync', '--full'], { tty: true });
    expect(run.exitCode).toBeUndefined();
    expect(link.syncCalls).toEqual([{ full: true }]);
    expect(run.err).toEqual([]);
    expect(run.tty.length).toBeGreaterThanOrEqual(3);
    const clearLine = '\r\u001b[2K';
    expect(run.tty[0]?.startsWith(clearLine)).toBe(true);
    expect(run.tty[0]?.slice(clearLine.length)).toMatch(/^. waiting for the full sync … 0 s$/);
    expect(run.tty).toContainEqual(expect.stringMatching(/… [1-9]\d* s$/));
    expect(run.tty.at(-1)).toBe(clearLine);
    expect(run.out[0]).toMatch(/^Full sync/);
  });

  it('prints the summary and exits 1 when the accidental-delete guard refused the run', async () => {
    answer(
      syncSummary({
        error: {
          code: 'SSPR_5104',
          message: 'The sync would delete more users than allowed in one run; nothing was deleted.',
        },
        details: {
          pages: 1,
          unchanged: { users: 0, groups: 0 },
          conflicts: {
            count: 2,
            items: [
              {
                externalId: 'e1',
                userPrincipalName: 'gina@contoso.test',
                dn: 'CN=Gina,DC=contoso,DC=test',
                conflictWith: { id: 'c1', source: 'cloud' },
              },
            ],
          },
          skipped: { criticalSystemObjects: 1, invalid: 0 },
          invalidContacts: 0,
          refusedDeletes: { users: 600, groups: 4 },
          guardOverriddenBy: null,
        },
      }),
    );
    const run = await sspr(['admin', 'sync']);
    expect(run.exitCode).toBe(1);
    expect(run.out.join('\n')).toContain('users       0        0        0');
    expect(run.out.join('\n')).toContain('2 user(s) not synced');
    expect(run.out.join('\n')).toContain('gina@contoso.test, held by a cloud user');
    expect(run.out.join('\n')).toContain('kept 600 user(s) and 4 group(s) from being deleted');
    expect(run.err.at(-1)).toBe(
      'sspr: SSPR_5104: The sync would delete more users than allowed in one run; nothing was deleted.',
    );
  });

  it('--allow-deletes lifts the delete guard for the run, as the admin token', async () => {
    answer(syncSummary({ full: true }));
    const run = await sspr(['admin', 'sync', '--full', '--allow-deletes']);
    expect(run.exitCode).toBeUndefined();
    expect(link.syncCalls).toEqual([{ full: true }]);
    // The fake link does not finish a real run, so the override is still there to see.
    expect(await t.store.settings.get(ALLOW_DELETES_KEY)).toMatchObject({ by: 'token:tests' });
  });

  it('--json prints the summary as it came', async () => {
    const summary = syncSummary({ syncId: 'sync-j' });
    answer(summary);
    const run = await sspr(['admin', 'sync', '--json']);
    expect(run.exitCode).toBeUndefined();
    expect(JSON.parse(run.out.join('\n'))).toEqual(summary);
  });

  it('exits 1 with the code when no agent answers, or without a token', async () => {
    link.current = { ready: false, reason: 'No agent is connected.', agents: [] };
    link.onSync = () => createFakeAgentLink().sync({ full: false });
    const run = await sspr(['admin', 'sync']);
    expect(run.exitCode).toBe(1);
    const message = run.err.join('\n');
    expect(message).toMatch(/^sspr: SSPR_0030: .* \(support code [0-9a-f-]{36}\)$/m);
    expect(message).toContain('no-agent');
    expect(message).toContain('sspr agent');

    env = { SSPR_SERVER: env.SSPR_SERVER ?? '' };
    const noToken = await sspr(['admin', 'sync']);
    expect(noToken.exitCode).toBe(1);
    expect(noToken.err.at(-1)).toContain('no admin token');
  });
});

describe('formatSyncSummary', () => {
  it('leaves out the duration when the run has not finished', () => {
    expect(formatSyncSummary(syncSummary({ finishedAt: null, syncId: 's' }))[0]).toBe(
      'Delta sync s',
    );
  });
});
