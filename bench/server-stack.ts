/**
 * The stack under test for the directory benchmarks, as deployed: the server
 * (bench/directory-server-process.ts, the production composition root) in one process, and the
 * real `sspr agent` command (`src/main/cli.ts agent --config …`, which registers with a one-time
 * token and dials the server's WebSocket) in another, bound to the directory as its service
 * account. Both are stopped by `stop()`; their pids are there for /proc measurements.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Op, ReplyMessage, Requests } from './directory-messages.js';

const SERVER_PROCESS = fileURLToPath(new URL('./directory-server-process.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What the agent's `directory.*` configuration needs. */
export interface AgentDirectory {
  readonly kind: 'ad' | 'openldap';
  readonly urls: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDn: string;
  readonly scope: readonly string[];
  /** PEM file of the CA that issued the directory's certificate (verified). */
  readonly caFile: string;
}

export interface Stack {
  readonly url: string;
  readonly timingFloorMs: number;
  readonly serverPid: number;
  readonly agentPid: number;
  call<O extends Op>(
    op: O,
    args: Requests[O]['request'],
    timeoutMs?: number,
  ): Promise<Requests[O]['reply']>;
  /** Stops the agent, then the server: how many mails the server sent (expected: none). */
  stop(): Promise<{ mailsSent: number }>;
  /** The end of the agent's output (for failure reports). */
  agentLog(): string;
}

const delay = (millis: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, millis).unref();
  });

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

const alive = (child: ChildProcess): boolean =>
  child.exitCode === null && child.signalCode === null;

async function end(child: ChildProcess, graceMs: number): Promise<void> {
  if (!alive(child)) return;
  child.kill('SIGTERM');
  await Promise.race([exited(child), delay(graceMs)]);
  if (alive(child)) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** The environment without SSPR_* variables (the config loader refuses unknown ones). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SSPR_')));
}

/**
 * Starts the server (SQLite in `dir`), registers and starts one agent for `directory`, and waits
 * until the agent is connected and reports the directory reachable.
 */
export async function startStack(options: {
  readonly dir: string;
  readonly directory: AgentDirectory;
  readonly timingFloorMs: number | null;
}): Promise<Stack> {
  const { dir, directory } = options;
  const serverDir = join(dir, 'server');
  const agentDir = join(dir, 'agent');
  await mkdir(serverDir, { recursive: true });
  await mkdir(agentDir, { recursive: true });

  const server = fork(SERVER_PROCESS, [], {
    execArgv: ['--import', TSX_LOADER],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: cleanEnv(),
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  server.on('message', (raw: unknown) => {
    const message = raw as ReplyMessage;
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`server process: ${message.error}`));
  });
  server.once('exit', (code, signal) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`server process exited (${String(code ?? signal)})`));
    }
    pending.clear();
  });
  const call = <O extends Op>(
    op: O,
    args: Requests[O]['request'],
    timeoutMs = 120_000,
  ): Promise<Requests[O]['reply']> =>
    new Promise((resolve, reject) => {
      if (!alive(server)) {
        reject(new Error('server process is not running'));
        return;
      }
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`server process: no answer to "${op}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as Requests[O]['reply']);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      server.send({ id, op, args });
    });

  let agent: ChildProcess | undefined;
  const agentLogFile = join(agentDir, 'agent.log');
  const agentLog = (): string => {
    try {
      return readFileSync(agentLogFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no agent log)';
    }
  };
  const stopAll = async (): Promise<{ mailsSent: number }> => {
    if (agent !== undefined) await end(agent, 10_000);
    let answer = { mailsSent: 0 };
    if (alive(server)) {
      answer = await call('stop', {}, 30_000).catch(() => answer);
      await Promise.race([exited(server), delay(10_000)]);
    }
    await end(server, 1_000);
    return answer;
  };

  try {
    const started = await call(
      'start',
      {
        storeUrl: `sqlite:${join(serverDir, 'sspr.db')}`,
        dataDir: serverDir,
        secretsKey: randomBytes(32).toString('base64'),
        timingFloorMs: options.timingFloorMs,
      },
      300_000,
    );
    const { token } = await call('agentToken', {});
    // JSON is YAML: the agent reads it as its configuration file, like `sspr agent --config`.
    const configFile = join(agentDir, 'sspr-agent.yaml');
    await writeFile(
      configFile,
      JSON.stringify(
        {
          dataDir: agentDir,
          log: { level: 'warn' },
          server: { url: started.url, registrationToken: token },
          directory: {
            kind: directory.kind,
            urls: directory.urls,
            bindDn: directory.bindDn,
            bindPassword: directory.bindPassword,
            baseDn: directory.baseDn,
            scope: directory.scope,
            tls: { ca: directory.caFile, rejectUnauthorized: true },
          },
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    const out = openSync(agentLogFile, 'a');
    try {
      agent = spawn(
        process.execPath,
        ['--import', TSX_LOADER, CLI, 'agent', '--config', configFile],
        {
          cwd: agentDir,
          env: cleanEnv(),
          stdio: ['ignore', out, out],
        },
      );
    } finally {
      closeSync(out);
    }
    const spawned = agent;
    const agentDied = exited(spawned).then(() => {
      throw new Error(
        `the agent exited (${String(spawned.exitCode ?? spawned.signalCode)}):\n${agentLog()}`,
      );
    });
    agentDied.catch(() => undefined); // handled here; the race below still sees it
    await Promise.race([call('waitForAgent', { timeoutMs: 60_000 }, 70_000), agentDied]);
    if (server.pid === undefined || spawned.pid === undefined) throw new Error('no pid');
    return {
      url: started.url,
      timingFloorMs: started.timingFloorMs,
      serverPid: server.pid,
      agentPid: spawned.pid,
      call,
      stop: stopAll,
      agentLog,
    };
  } catch (error) {
    const log = agent === undefined ? '' : `\nagent log:\n${agentLog()}`;
    await stopAll().catch(() => undefined);
    throw new Error(`${error instanceof Error ? error.message : String(error)}${log}`, {
      cause: error,
    });
  }
}
