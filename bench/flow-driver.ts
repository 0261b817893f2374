/**
 * Drives complete self-service reset flows over HTTP (start → TOTP gate → new password), a fixed
 * number at a time, and times each step. Shared by the cloud-flow bench (bench/http-flows.ts) and
 * the writeback bench (bench/writeback.ts).
 */
import { totpCodeAt } from '../src/domain/methods/totp.js';
import type { JsonClient, JsonResponse } from './http-client.js';
import { runBounded } from './pool.js';
import { ticker } from './workers.js';

export const STEPS = ['start', 'verify', 'reset'] as const;
export type Step = (typeof STEPS)[number];

const API = '/api/v1/sspr/flows';

export interface FlowUser {
  readonly upn: string;
  /** Base32 TOTP secret: the driver computes the codes. */
  readonly secret: string;
}

/** One flow that did not complete: at which step, with which answer. */
export interface FlowStepFailure {
  readonly user: string;
  readonly step: Step;
  readonly status: number;
  readonly detail: string;
}

export interface DriveResult {
  /** Flows started (completed + failed). */
  readonly started: number;
  readonly elapsedMs: number;
  readonly flowMs: number[];
  readonly stepMs: Record<Step, number[]>;
  readonly failures: FlowStepFailure[];
}

export interface DriveOptions {
  readonly concurrency: number;
  /** Time budget; Infinity runs every user. */
  readonly maxMs: number;
  /** The new password of the flow with this index (it must pass the effective policy). */
  readonly passwordFor: (index: number) => string;
  /** Added to the user's position to give the password index (default 0). */
  readonly indexOffset?: number;
}

/** Runs one flow per user, `concurrency` at a time, until the users or the time run out. */
export async function driveFlows(
  client: JsonClient,
  users: readonly FlowUser[],
  options: DriveOptions,
): Promise<DriveResult> {
  const flowMs: number[] = [];
  const stepMs: Record<Step, number[]> = { start: [], verify: [], reset: [] };
  const failures: FlowStepFailure[] = [];
  const stopTicker = Number.isFinite(options.maxMs)
    ? ticker(() => `${String(flowMs.length)} flows done, ${String(failures.length)} failed`)
    : () => undefined;
  try {
    const { started, elapsedMs } = await runBounded({
      concurrency: options.concurrency,
      maxTasks: users.length,
      maxMs: options.maxMs,
      task: async (index) => {
        const user = users[index];
        if (user === undefined) return;
        const password = options.passwordFor((options.indexOffset ?? 0) + index);
        const outcome = await oneFlow(client, user, password);
        if ('failure' in outcome) {
          failures.push(outcome.failure);
          return;
        }
        flowMs.push(outcome.total);
        for (const step of STEPS) stepMs[step].push(outcome.steps[step]);
      },
    });
    return { started, elapsedMs, flowMs, stepMs, failures };
  } finally {
    stopTicker();
  }
}

type FlowOutcome =
  | { readonly total: number; readonly steps: Record<Step, number> }
  | { readonly failure: FlowStepFailure };

async function oneFlow(client: JsonClient, user: FlowUser, password: string): Promise<FlowOutcome> {
  const steps: Record<Step, number> = { start: 0, verify: 0, reset: 0 };
  const timed = async (step: Step, path: string, body: unknown): Promise<JsonResponse> => {
    const begin = performance.now();
    const response = await client.post(path, body);
    steps[step] = performance.now() - begin;
    return response;
  };
  const failed = (step: Step, status: number, detail: string): FlowOutcome => ({
    failure: { user: user.upn, step, status, detail },
  });
  let step: Step = 'start';
  try {
    const started = await timed('start', API, { userId: user.upn });
    const flowId = field(started.body, 'flowId');
    if (started.status !== 201 || flowId === undefined) {
      return failed(step, started.status, describeBody(started.body));
    }
    step = 'verify';
    const code = totpCodeAt(user.secret, new Date());
    const verified = await timed('verify', `${API}/${flowId}/verify`, { method: 'totp', code });
    if (verified.status !== 200 || field(verified.body, 'state') !== 'new_password') {
      return failed(step, verified.status, describeBody(verified.body));
    }
    step = 'reset';
    const reset = await timed('reset', `${API}/${flowId}/reset`, { newPassword: password });
    if (reset.status !== 200 || field(reset.body, 'state') !== 'completed') {
      return failed(step, reset.status, describeBody(reset.body));
    }
  } catch (error) {
    return failed(step, 0, error instanceof Error ? error.message : String(error));
  }
  return { total: steps.start + steps.verify + steps.reset, steps };
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The error code and message of an error answer (with the failed policy rules), else the body. */
function describeBody(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: { code?: unknown; message?: unknown; details?: unknown } })
      .error;
    const rules = (error.details as { rules?: { id?: string; ok?: boolean }[] } | undefined)?.rules;
    const failing = rules?.filter((r) => r.ok === false);
    const details =
      failing !== undefined
        ? ` failed rules: ${JSON.stringify(failing)}`
        : error.details === undefined
          ? ''
          : ` ${JSON.stringify(error.details)}`;
    return `${String(error.code)} ${String(error.message)}${details}`.slice(0, 300);
  }
  return JSON.stringify(body).slice(0, 200);
}
