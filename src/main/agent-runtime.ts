import { pino } from 'pino';
import { startAgent, type RunningAgent } from '../agent/agent.js';
import { AgentSetupError, type AgentLogger } from '../agent/log.js';
import type { Config } from '../config/schema.js';
import type { Directory } from '../domain/ports/directory.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { VERSION } from './server-runtime.js';

/** Builds the Directory adapter the agent writes to (the LDAP adapters, from `directory.*`). */
export type DirectoryFactory = (config: Config) => Directory | Promise<Directory>;

export interface AgentRuntime {
  readonly agent: RunningAgent;
  readonly directory: Directory;
  /** Stops the agent, then closes the directory connection. */
  close(): Promise<void>;
}

export interface AgentRuntimeOptions {
  /** The directory adapter for `config.directory` (see `sspr agent` in program.ts). */
  readonly makeDirectory: DirectoryFactory;
  readonly fetchImpl?: typeof fetch;
  /** Defaults to JSON logs (pino) on stdout at `log.level`. */
  readonly log?: AgentLogger;
}

function pinoLogger(config: Config): AgentLogger {
  const logger = pino({ level: config.log.level, base: { component: 'agent' } });
  return {
    info: (obj, msg) => {
      logger.info(obj, msg);
    },
    warn: (obj, msg) => {
      logger.warn(obj, msg);
    },
    error: (obj, msg) => {
      logger.error(obj, msg);
    },
  };
}

/** Composition root of the agent: config → Directory adapter → the agent's link to the server. */
export async function createAgentRuntime(
  config: Config,
  options: AgentRuntimeOptions,
): Promise<AgentRuntime> {
  if (config.server.url === undefined) {
    throw new AgentSetupError(
      'server.url is not set: point it at the OpenSSPR server (its publicUrl), e.g. https://sspr.example.com',
    );
  }
  const directory = await options.makeDirectory(config);
  try {
    const agent = await startAgent({
      config,
      directory,
      log: options.log ?? pinoLogger(config),
      clock: createSystemClock(),
      version: VERSION,
      ...(options.fetchImpl === undefined ? {} : { fetchImpl: options.fetchImpl }),
    });
    return {
      agent,
      directory,
      close: async () => {
        await agent.stop();
        await directory.close();
      },
    };
  } catch (error) {
    await directory.close().catch(() => undefined);
    throw error;
  }
}
