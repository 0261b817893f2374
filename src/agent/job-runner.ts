/**
 * Runs the server's jobs against the directory, at most once each.
 *
 * A job is dropped (no answer) once its deadline has passed: the server has already told the user
 * SSPR_0030, so applying it late would surprise them. The secret is opened with the agent's X25519
 * key, bound to the job id. Applied job ids are kept in a bounded LRU: a job id seen again returns
 * the first outcome without touching the directory. Failures travel as `{ name, code, message,
 * details }` of the SsprError; never the password (details that contain it are withheld).
 */
import { errorRegistry } from '../domain/errors/registry.js';
import { SsprError } from '../domain/errors/sspr-error.js';
import type { Clock } from '../domain/ports/clock.js';
import type { Directory } from '../domain/ports/directory.js';
import { open } from '../protocol/envelope.js';
import {
  PROTOCOL_VERSION,
  agentMessageSchema,
  jobSecretSchema,
  type JobMessage,
  type JobResultMessage,
  type JobSecret,
  type WireError,
} from '../protocol/messages.js';
import type { AgentLogger } from './log.js';

export interface JobRunnerOptions {
  readonly directory: Directory;
  /** The agent's X25519 private key (PKCS#8 PEM). */
  readonly encryptionPrivateKey: string;
  readonly clock: Clock;
  readonly log: AgentLogger;
  /** Milliseconds to add to the local clock to get the server's (from its welcome). */
  readonly serverClockOffsetMs?: () => number;
  /** How many job ids to remember (default 10 000). */
  readonly capacity?: number;
}

export interface JobRunner {
  /** The result to send back, or null when the job was dropped (deadline passed). */
  run(job: JobMessage): Promise<JobResultMessage | null>;
}

const protocolError = (detail: string): SsprError =>
  new SsprError('AGENT_PROTOCOL_ERROR', { details: { problem: detail } });

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw protocolError(`the job has no ${what}`);
  return value;
}

function toWire(error: unknown, secrets: readonly string[]): WireError {
  const known = error instanceof SsprError ? error : new SsprError('DIRECTORY_ERROR');
  let details: Record<string, unknown> | undefined =
    known.details === undefined ? undefined : { ...known.details };
  if (details !== undefined) {
    let text: string;
    try {
      text = JSON.stringify(details);
    } catch {
      text = '';
      details = { withheld: 'details were not serialisable' };
    }
    if (secrets.some((s) => s.length > 0 && text.includes(s))) {
      details = { withheld: 'the details quoted a password' };
    }
  }
  return {
    name: known.errorName,
    code: known.code,
    message: known.message.slice(0, 1000),
    ...(details === undefined ? {} : { details }),
  };
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { directory, clock, log } = options;
  const capacity = options.capacity ?? 10_000;
  const offset = options.serverClockOffsetMs ?? (() => 0);
  /** jobId → its outcome (the promise, so a duplicate arriving mid-run waits for the first). */
  const seen = new Map<string, Promise<JobResultMessage | null>>();

  function remember(jobId: string, outcome: Promise<JobResultMessage | null>): void {
    seen.set(jobId, outcome);
    while (seen.size > capacity) {
      const oldest = seen.keys().next();
      if (oldest.done === true) break;
      seen.delete(oldest.value);
    }
  }

  function openSecret(job: JobMessage): JobSecret {
    if (job.secret === undefined) return {};
    let text: string;
    try {
      text = new TextDecoder().decode(open(options.encryptionPrivateKey, job.secret, job.jobId));
    } catch {
      throw protocolError('the job secret cannot be opened with this agent key');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw protocolError('the job secret is not JSON');
    }
    const secret = jobSecretSchema.safeParse(parsed);
    if (!secret.success) throw protocolError('the job secret has an unexpected shape');
    return secret.data;
  }

  async function execute(job: JobMessage, secret: JobSecret): Promise<unknown> {
    const p = job.params;
    switch (job.op) {
      case 'resetPassword':
        await directory.resetPassword(
          required(p.dn, 'dn'),
          required(secret.newPassword, 'new password'),
          { unlock: p.unlock ?? true, mustChange: p.mustChange ?? false },
        );
        return undefined;
      case 'changePassword':
        await directory.changePassword(
          required(p.dn, 'dn'),
          required(secret.oldPassword, 'old password'),
          required(secret.newPassword, 'new password'),
        );
        return undefined;
      case 'verifyPassword':
        await directory.verifyPassword(required(p.dn, 'dn'), required(secret.password, 'password'));
        return undefined;
      case 'unlock':
        await directory.unlock(required(p.dn, 'dn'));
        return undefined;
      case 'setMustChange':
        await directory.setMustChange(required(p.dn, 'dn'), required(p.mustChange, 'mustChange'));
        return undefined;
      case 'findUser':
        return directory.findUser({ by: required(p.by, 'by'), value: required(p.value, 'value') });
      case 'readAccountState':
        return directory.readAccountState(required(p.dn, 'dn'));
      case 'readPasswordPolicy':
        return directory.readPasswordPolicy(required(p.dn, 'dn'));
      case 'checkRights':
        return directory.checkRights();
    }
  }

  async function runOnce(job: JobMessage): Promise<JobResultMessage | null> {
    const now = clock.now().getTime() + offset();
    const deadline = Date.parse(job.deadline);
    if (Number.isNaN(deadline) || now > deadline) {
      log.warn(
        { jobId: job.jobId, op: job.op, deadline: job.deadline },
        'job dropped: its deadline has passed',
      );
      return null;
    }
    const started = Date.now();
    let secrets: string[] = [];
    let result: JobResultMessage;
    try {
      const secret = openSecret(job);
      secrets = Object.values(secret).filter((s): s is string => typeof s === 'string');
      const value = await execute(job, secret);
      result = {
        v: PROTOCOL_VERSION,
        type: 'job.result',
        jobId: job.jobId,
        ok: true,
        result: value,
      };
    } catch (error) {
      result = {
        v: PROTOCOL_VERSION,
        type: 'job.result',
        jobId: job.jobId,
        ok: false,
        error: toWire(error, secrets),
      };
      if (!(error instanceof SsprError)) {
        log.error(
          {
            jobId: job.jobId,
            op: job.op,
            error: error instanceof Error ? error.message : String(error),
          },
          'job failed unexpectedly',
        );
      }
    }
    // The server validates what it receives; so do we, before sending.
    if (!agentMessageSchema.safeParse(result).success) {
      log.error(
        { jobId: job.jobId, op: job.op },
        'job result does not fit the protocol; reporting an error',
      );
      result = {
        v: PROTOCOL_VERSION,
        type: 'job.result',
        jobId: job.jobId,
        ok: false,
        error: {
          name: 'DIRECTORY_ERROR',
          code: errorRegistry.DIRECTORY_ERROR.code,
          message: errorRegistry.DIRECTORY_ERROR.message,
          details: { reason: 'the result does not fit the protocol' },
        },
      };
    }
    log.info(
      {
        jobId: job.jobId,
        op: job.op,
        ok: result.ok,
        code: result.error?.code,
        ms: Date.now() - started,
      },
      result.ok ? 'job applied' : 'job rejected',
    );
    return result;
  }

  return {
    run(job) {
      const previous = seen.get(job.jobId);
      if (previous !== undefined) {
        seen.delete(job.jobId);
        seen.set(job.jobId, previous); // most recently used: kept longest
        log.warn(
          { jobId: job.jobId, op: job.op },
          'duplicate job id: answering with the first outcome',
        );
        return previous;
      }
      const outcome = runOnce(job);
      remember(job.jobId, outcome);
      return outcome;
    },
  };
}
