/**
 * Complete self-service reset flows per second over real HTTP: start → TOTP gate → new password,
 * against the production composition root in a child process (bench/server-process.ts), on
 * SQLite (a temp file) and PostgreSQL (a private cluster from scripts/postgres.mjs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createNodeRandom } from '../src/adapters/crypto/node-random.js';
import { generateTotpSecret } from '../src/domain/methods/totp.js';
import { createJsonClient } from './http-client.js';
import { startPrivatePostgres } from './postgres.js';
import { driveFlows, type DriveResult, type Step } from './flow-driver.js';
import { countGroups, fixed, int, ms, progress, renderTable } from './report.js';
import type { ChildMessage, SeedUser, StartMessage } from './server-messages.js';
import { percentile } from './stats.js';

export type StoreName = 'sqlite' | 'postgres';

export interface FlowBenchOptions {
  readonly stores: readonly StoreName[];
  readonly concurrency: number;
  readonly maxFlows: number;
  readonly maxSeconds: number;
  /** Flows run before each measurement, not counted (JIT, connection pools, SQLite cache). */
  readonly warmupFlows: number;
  /** Users seeded per store; every flow gets its own (a TOTP code is good once per 30-s step). */
  readonly users: number;
}

export interface FlowRow {
  readonly store: StoreName;
  readonly timingFloorMs: number;
  readonly completed: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** CPU time of the server process during the measured flows (all threads). */
  readonly serverCpuMs: number;
  readonly flowMs: readonly number[];
  readonly stepMs: Readonly<Record<Step, readonly number[]>>;
}

export interface FlowFailure {
  readonly store: StoreName;
  readonly timingFloorMs: number;
  readonly phase: 'warm-up' | 'measured';
  readonly user: string;
  readonly step: Step;
  readonly status: number;
  readonly detail: string;
}

export interface FlowBenchResult {
  readonly rows: readonly FlowRow[];
  readonly failures: readonly FlowFailure[];
}

/** The floors compared per store: the production default (null = as the root sets it) and none. */
const FLOORS: readonly (number | null)[] = [null, 0];
const SERVER_PROCESS = fileURLToPath(new URL('./server-process.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Users needed per store for the options: every server row runs warm-up + measured flows. */
export const usersNeeded = (o: Pick<FlowBenchOptions, 'warmupFlows' | 'maxFlows'>): number =>
  FLOORS.length * (o.warmupFlows + o.maxFlows);

export async function runFlowBench(options: FlowBenchOptions): Promise<FlowBenchResult> {
  if (options.users < usersNeeded(options)) {
    throw new Error(`--users must be at least ${usersNeeded(options)} for these options`);
  }
  const rows: FlowRow[] = [];
  const failures: FlowFailure[] = [];
  const root = await mkdtemp(join(tmpdir(), 'opensspr-bench-'));
  let postgres: { url: string; stop: () => Promise<void> } | undefined;
  // Ctrl+C: `finally` would not run, so stop the cluster and remove the files here. The server
  // processes get the signal too (same process group) or see the IPC channel close.
  // npm and tsx forward the signal again: later ones are ignored until the cleanup is done.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: stopping`);
    void (postgres?.stop() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => rm(root, { recursive: true, force: true }))
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const store of options.stores) {
      let storeUrl: string;
      if (store === 'postgres') {
        progress('postgres: starting a private cluster (scripts/postgres.mjs)');
        postgres = await startPrivatePostgres(root);
        storeUrl = postgres.url;
      } else {
        storeUrl = `sqlite:${join(root, 'sqlite', 'bench.db')}`;
      }
      const users = makeUsers(options.users);
      const secretsKey = randomBytes(32).toString('base64');
      let next = 0;
      for (const [i, floor] of FLOORS.entries()) {
        const seed = i === 0 ? users : [];
        if (seed.length > 0) progress(`${store}: seeding ${seed.length} users with TOTP`);
        const server = await startServer({
          type: 'start',
          storeUrl,
          dataDir: join(root, store),
          secretsKey,
          timingFloorMs: floor,
          seed,
        });
        const label = `${store}, floor ${server.timingFloorMs} ms`;
        const client = createJsonClient(server.url, options.concurrency);
        let measuredRun: DriveResult | undefined;
        try {
          const warm = users.slice(next, next + options.warmupFlows);
          next += warm.length;
          progress(`${label}: warm-up, ${warm.length} flows`);
          const warmRun = await driveFlows(client, warm, {
            concurrency: options.concurrency,
            maxMs: Infinity,
            passwordFor: newPasswordFor,
          });
          for (const f of warmRun.failures)
            failures.push({ ...f, store, timingFloorMs: server.timingFloorMs, phase: 'warm-up' });
          const measured = users.slice(next, next + options.maxFlows);
          progress(
            `${label}: measuring, up to ${measured.length} flows or ${options.maxSeconds} s, concurrency ${options.concurrency}`,
          );
          await server.mark();
          const run = await driveFlows(client, measured, {
            concurrency: options.concurrency,
            maxMs: options.maxSeconds * 1000,
            passwordFor: newPasswordFor,
          });
          next += run.started;
          for (const f of run.failures)
            failures.push({ ...f, store, timingFloorMs: server.timingFloorMs, phase: 'measured' });
          measuredRun = run;
        } finally {
          client.close();
          const stopped = await server.stop();
          if (stopped.mailsSent > 0) {
            progress(`${label}: warning, the server sent ${stopped.mailsSent} mails`);
          }
          if (measuredRun !== undefined) {
            rows.push({
              store,
              timingFloorMs: server.timingFloorMs,
              completed: measuredRun.flowMs.length,
              failed: measuredRun.failures.length,
              elapsedMs: measuredRun.elapsedMs,
              serverCpuMs: stopped.cpuMs,
              flowMs: measuredRun.flowMs,
              stepMs: measuredRun.stepMs,
            });
          }
        }
      }
      if (postgres !== undefined) {
        progress('postgres: stopping the cluster');
        const stopping = postgres;
        postgres = undefined;
        await stopping.stop();
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (postgres !== undefined) await postgres.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
  return { rows, failures };
}

/** Fresh users per store: their UPNs and TOTP secrets (the parent computes the codes). */
function makeUsers(count: number): SeedUser[] {
  const random = createNodeRandom();
  return Array.from({ length: count }, (_, i) => ({
    upn: `bench.user${String(i).padStart(5, '0')}@contoso.com`,
    secret: generateTotpSecret(random),
  }));
}

/** A new password per user that passes the cloud policy and the banned-password check. */
const newPasswordFor = (index: number): string => `Harbor-Kite-${String(index).padStart(4, '0')}!`;

// ---------------------------------------------------------------------------------------------
// The server process and PostgreSQL

interface RunningServer {
  readonly url: string;
  readonly timingFloorMs: number;
  /** Starts counting the server's CPU time. */
  mark(): Promise<void>;
  /** Stops the server; answers how many mails it sent and its CPU time since `mark`. */
  stop(): Promise<{ mailsSent: number; cpuMs: number }>;
}

async function startServer(start: StartMessage): Promise<RunningServer> {
  const child = fork(SERVER_PROCESS, [], {
    execArgv: ['--import', TSX_LOADER],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  try {
    const readying = nextMessage(child, 'ready', 300_000);
    child.send(start);
    const ready = await readying;
    if (ready.type !== 'ready') throw new Error('unreachable');
    return {
      url: ready.url,
      timingFloorMs: ready.timingFloorMs,
      mark: async () => {
        const marking = nextMessage(child, 'marked', 30_000);
        child.send({ type: 'mark' });
        await marking;
      },
      stop: async () => {
        const stopping = nextMessage(child, 'stopped', 30_000).catch(() => undefined);
        if (running()) child.send({ type: 'stop' });
        const answer = await stopping;
        await Promise.race([exited, delay(10_000)]);
        if (running()) child.kill('SIGKILL');
        return answer?.type === 'stopped'
          ? { mailsSent: answer.mailsSent, cpuMs: answer.cpuMs }
          : { mailsSent: 0, cpuMs: Number.NaN };
      },
    };
  } catch (error) {
    if (running()) child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

/** The next message of a type from the server process; rejects on "failed", exit or timeout. */
function nextMessage(
  child: ChildProcess,
  type: ChildMessage['type'],
  timeoutMs: number,
): Promise<ChildMessage> {
  return new Promise<ChildMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`server process: no "${type}" message within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onMessage = (raw: unknown): void => {
      const message = raw as ChildMessage;
      if (message.type === type) {
        cleanup();
        resolve(message);
      } else if (message.type === 'failed') {
        cleanup();
        reject(new Error(`server process failed:\n${message.message}`));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`server process exited (code ${String(code)}) before "${type}"`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A pause that does not keep the process alive on its own. */
const delay = (millis: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, millis).unref();
  });

// ---------------------------------------------------------------------------------------------
// The table

export function renderFlowTable(result: FlowBenchResult): string {
  const pair = (values: readonly number[]): string =>
    `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;
  const rows = result.rows.map((row) => [
    row.store,
    `${row.timingFloorMs} ms`,
    int(row.completed),
    int(row.failed),
    fixed(row.elapsedMs / 1000, 1),
    fixed(row.completed / (row.elapsedMs / 1000), 1),
    ms(row.serverCpuMs / (row.completed + row.failed)),
    pair(row.flowMs),
    pair(row.stepMs.start),
    pair(row.stepMs.verify),
    pair(row.stepMs.reset),
  ]);
  return renderTable(
    [
      { header: 'store', align: 'left' },
      { header: 'floor' },
      { header: 'flows' },
      { header: 'failed' },
      { header: 'time s' },
      { header: 'flows/s' },
      { header: 'CPU ms/flow' },
      { header: 'flow p50 / p99' },
      { header: 'start p50 / p99' },
      { header: 'verify p50 / p99' },
      { header: 'reset p50 / p99' },
    ],
    rows,
  );
}

/** Failures grouped by store, floor, step and answer, with a count; at most `limit` groups. */
export function renderFailures(failures: readonly FlowFailure[], limit = 20): string {
  const rows = countGroups(
    failures,
    (f) => `${f.store}|${f.timingFloorMs}|${f.phase}|${f.step}|${f.status}|${f.detail}`,
    limit,
  ).map(({ item: f, count }) => [
    int(count),
    f.store,
    `${f.timingFloorMs} ms`,
    f.phase,
    f.step,
    String(f.status),
    f.detail.split('\n', 1)[0] ?? '',
    f.user,
  ]);
  return renderTable(
    [
      { header: 'count' },
      { header: 'store', align: 'left' },
      { header: 'floor' },
      { header: 'phase', align: 'left' },
      { header: 'step', align: 'left' },
      { header: 'status' },
      { header: 'answer', align: 'left' },
      { header: 'e.g. user', align: 'left' },
    ],
    rows,
  );
}
