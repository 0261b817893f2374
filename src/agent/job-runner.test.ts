import { describe, expect, it } from 'vitest';
import { createFakeDirectory } from '../../test/fakes/fake-directory.js';
import { createFixedClock } from '../../test/fakes/fixed-clock.js';
import { SsprError } from '../domain/errors/sspr-error.js';
import { generateAgentKeys, seal } from '../protocol/envelope.js';
import type { JobMessage, JobSecret } from '../protocol/messages.js';
import { createJobRunner } from './job-runner.js';
import type { AgentLogger } from './log.js';

const DN = 'CN=Alice,OU=Staff,DC=contoso,DC=test';
const keys = generateAgentKeys();

function setup(options: { capacity?: number; offsetMs?: number } = {}) {
  const directory = createFakeDirectory();
  directory.addUser({ dn: DN }, 'Old-Passw0rd!');
  const clock = createFixedClock('2030-01-01T00:00:00.000Z');
  const lines: string[] = [];
  const log: AgentLogger = {
    info: (obj, msg) => lines.push(`${msg} ${JSON.stringify(obj)}`),
    warn: (obj, msg) => lines.push(`${msg} ${JSON.stringify(obj)}`),
    error: (obj, msg) => lines.push(`${msg} ${JSON.stringify(obj)}`),
  };
  const runner = createJobRunner({
    directory,
    encryptionPrivateKey: keys.encryption.privateKey,
    clock,
    log,
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
    serverClockOffsetMs: () => options.offsetMs ?? 0,
  });
  return { directory, clock, runner, lines };
}

let counter = 0;
function job(
  op: JobMessage['op'],
  params: JobMessage['params'],
  secret?: JobSecret,
  overrides: Partial<JobMessage> = {},
): JobMessage {
  counter += 1;
  const jobId = overrides.jobId ?? `job-${String(counter)}`;
  return {
    v: 1,
    type: 'job',
    jobId,
    op,
    params,
    ...(secret === undefined
      ? {}
      : {
          secret: seal(
            keys.encryption.publicKey,
            new TextEncoder().encode(JSON.stringify(secret)),
            jobId,
          ),
        }),
    deadline: '2030-01-01T00:00:10.000Z',
    ...overrides,
  };
}

describe('job runner', () => {
  it('opens the secret and resets the password', async () => {
    const { directory, runner } = setup();
    const result = await runner.run(
      job(
        'resetPassword',
        { dn: DN, unlock: true, mustChange: false },
        { newPassword: 'New-Passw0rd!' },
      ),
    );
    expect(result).toMatchObject({ type: 'job.result', ok: true });
    expect(directory.passwordOf(DN)).toBe('New-Passw0rd!');
  });

  it('applies a duplicate job id once and answers it with the first outcome', async () => {
    const { directory, runner } = setup();
    const first = job(
      'resetPassword',
      { dn: DN, unlock: true, mustChange: false },
      { newPassword: 'Dup-Passw0rd!' },
    );
    const [a, b] = await Promise.all([runner.run(first), runner.run(first)]);
    const c = await runner.run(first);
    expect(a).toEqual(b);
    expect(c).toEqual(a);
    expect(a?.ok).toBe(true);
    expect(directory.callsOf('resetPassword')).toHaveLength(1);
  });

  it('forgets the oldest ids beyond its capacity', async () => {
    const { directory, runner } = setup({ capacity: 2 });
    const jobs = [1, 2, 3].map(() => job('unlock', { dn: DN }));
    for (const j of jobs) await runner.run(j);
    await runner.run(jobs[2]!);
    expect(directory.callsOf('unlock')).toHaveLength(3);
    await runner.run(jobs[0]!);
    expect(directory.callsOf('unlock')).toHaveLength(4);
  });

  it("drops a job whose deadline has passed (by the server's clock)", async () => {
    const { directory, clock, runner, lines } = setup();
    clock.advance(10_001);
    expect(await runner.run(job('unlock', { dn: DN }))).toBeNull();
    expect(directory.callsOf('unlock')).toHaveLength(0);
    expect(lines.some((l) => l.startsWith('job dropped'))).toBe(true);

    // The agent's clock is 20 s behind the server's: the server's deadline still applies.
    const behind = setup({ offsetMs: 20_000 });
    expect(await behind.runner.run(job('unlock', { dn: DN }))).toBeNull();
  });

  it('returns SsprErrors by name and code, never the password', async () => {
    const { directory, runner, lines } = setup();
    const refused = await runner.run(
      job(
        'resetPassword',
        { dn: DN, unlock: true, mustChange: false },
        { newPassword: 'Old-Passw0rd!' },
      ),
    );
    expect(refused).toMatchObject({
      ok: false,
      error: { name: 'DIRECTORY_PASSWORD_IN_HISTORY', code: 'SSPR_5003' },
    });

    directory.failNext(
      'resetPassword',
      new SsprError('DIRECTORY_PASSWORD_REJECTED', {
        details: { directoryText: '0000052D: Constraint violation for Leaky-Passw0rd!' },
      }),
    );
    const leaky = await runner.run(
      job(
        'resetPassword',
        { dn: DN, unlock: true, mustChange: false },
        { newPassword: 'Leaky-Passw0rd!' },
      ),
    );
    expect(leaky?.error).toEqual({
      name: 'DIRECTORY_PASSWORD_REJECTED',
      code: 'SSPR_5009',
      message: expect.any(String) as unknown,
      details: { withheld: 'the details quoted a password' },
    });
    expect(JSON.stringify(leaky)).not.toContain('Leaky-Passw0rd!');
    expect(lines.join('\n')).not.toContain('Passw0rd');

    directory.failNext('unlock', new TypeError('boom'));
    expect((await runner.run(job('unlock', { dn: DN })))?.error).toMatchObject({
      name: 'DIRECTORY_ERROR',
      code: 'SSPR_5013',
    });
  });

  it('refuses a secret sealed for another job or another agent, and missing parameters', async () => {
    const { directory, runner } = setup();
    const other = job('resetPassword', { dn: DN }, { newPassword: 'X-Passw0rd-1!' });
    const moved = { ...job('resetPassword', { dn: DN }), secret: other.secret };
    expect((await runner.run(moved))?.error).toMatchObject({ name: 'AGENT_PROTOCOL_ERROR' });

    const stranger = generateAgentKeys();
    const foreign = job('resetPassword', { dn: DN });
    const sealed = seal(
      stranger.encryption.publicKey,
      new TextEncoder().encode('{"newPassword":"X-Passw0rd-2!"}'),
      foreign.jobId,
    );
    expect((await runner.run({ ...foreign, secret: sealed }))?.error).toMatchObject({
      name: 'AGENT_PROTOCOL_ERROR',
    });

    expect((await runner.run(job('resetPassword', { dn: DN })))?.error).toMatchObject({
      name: 'AGENT_PROTOCOL_ERROR',
      details: { problem: 'the job has no new password' },
    });
    expect((await runner.run(job('findUser', { by: 'upn' })))?.error).toMatchObject({
      details: { problem: 'the job has no value' },
    });
    expect(directory.callsOf('resetPassword')).toHaveLength(0);
  });

  it('returns the values of reads', async () => {
    const { runner } = setup();
    const found = await runner.run(job('findUser', { by: 'accountName', value: 'alice' }));
    expect(found).toMatchObject({ ok: true, result: { dn: DN } });
    const rights = await runner.run(job('checkRights', {}));
    expect(rights).toMatchObject({ ok: true, result: { ok: true } });
    const verify = await runner.run(job('verifyPassword', { dn: DN }, { password: 'wrong' }));
    expect(verify?.error?.name).toBe('INVALID_CREDENTIALS');
  });
});
