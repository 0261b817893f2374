/**
 * Composition root of the `sspr` command. Commands that need concrete adapters (serve, demo, the
 * token commands that open the store) are wired here; the rest live in src/cli/.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isSsprError } from '../domain/errors/sspr-error.js';
import { CliError } from '../cli/admin-client.js';
import { registerAdminAuditExport } from '../cli/admin-audit-export.js';
import { registerAdminPolicy } from '../cli/admin-policy.js';
import { registerAdminSync } from '../cli/admin-sync.js';
import { registerConfigValidate } from '../cli/config-validate.js';
import { processIo, type CliIo } from '../cli/io.js';
import { registerTotpCode } from '../cli/totp-code.js';
import { createStore } from '../adapters/store/create-store.js';
import { createNodeRandom } from '../adapters/crypto/node-random.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { createAdminToken } from '../services/admin-service.js';
import {
  DEFAULT_AGENT_TOKEN_TTL_HOURS,
  MAX_AGENT_TOKEN_TTL_HOURS,
  createAgentRegistrationToken,
} from '../services/agent-registration.js';
import { createAgentRuntime, type DirectoryFactory } from './agent-runtime.js';
import { createServerRuntime, listen, VERSION } from './server-runtime.js';
import { createDirectoryFromConfig } from './directory-factory.js';
import { startDemoDirectory, type DemoDirectory } from './demo-ldap.js';
import { printDemoBanner, seedDemo } from './demo.js';

function load(io: CliIo, file: string | undefined, extraEnv: Record<string, string> = {}): Config {
  return loadConfig({ file, env: { ...io.env, ...extraEnv }, cwd: io.cwd });
}

function onSignals(close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      void close().then(() => process.exit(0));
    });
  }
}

/** What `buildProgram` can be given besides the IO (tests, and the composition of `sspr agent`). */
export interface ProgramOptions {
  /** The Directory adapter `sspr agent` writes to. */
  readonly makeDirectory?: DirectoryFactory;
}

export function buildProgram(io: CliIo, options: ProgramOptions = {}): Command {
  const lines = (write: (line: string) => void) => (text: string) => {
    for (const line of text.replace(/\n$/, '').split('\n')) write(line);
  };
  // Set before any subcommand is added: commander copies these settings into a subcommand when it
  // is created, so a later call on the root would leave `admin policy set` & co. calling
  // process.exit() and writing past `io`.
  const program = new Command('sspr')
    .exitOverride()
    .configureOutput({
      writeOut: lines((line) => {
        io.out(line);
      }),
      writeErr: lines((line) => {
        io.err(line);
      }),
    })
    .description('OpenSSPR: self-service password reset with password writeback')
    .version(VERSION)
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the server (portal API, admin API)')
    .option('--config <file>', 'YAML configuration file (or SSPR_CONFIG)')
    .action(async (options: { config?: string }) => {
      const config = load(io, options.config);
      const runtime = await createServerRuntime(config);
      const url = await listen(runtime, config);
      io.err(`sspr server listening on ${url} (public URL ${config.publicUrl})`);
      onSignals(() => runtime.close());
    });

  program
    .command('demo')
    .description(
      'run the product on its embedded default: SQLite, sample users, development outbox',
    )
    .option('--port <n>', 'port to listen on', '8080')
    .option(
      '--with-ldap',
      'also start a private OpenLDAP (slapd) with sample users and a writeback agent',
    )
    .action(async (options: { port: string; withLdap?: boolean }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new CliError(`--port must be 1-65535, not ${options.port}`);
      const config = load(io, undefined, {
        SSPR_DEMO: 'true',
        SSPR_LISTEN: `127.0.0.1:${String(port)}`,
        SSPR_PUBLIC_URL: io.env.SSPR_PUBLIC_URL ?? `http://127.0.0.1:${String(port)}`,
        SSPR_CAPTCHA_ENABLED: io.env.SSPR_CAPTCHA_ENABLED ?? 'false',
        SSPR_LOG_LEVEL: io.env.SSPR_LOG_LEVEL ?? 'warn',
        SSPR_STORE_URL:
          io.env.SSPR_STORE_URL ?? `sqlite:${io.env.SSPR_DATA_DIR ?? './data'}/demo.db`,
      });
      io.err('Starting the OpenSSPR demo …');
      const runtime = await createServerRuntime(config);
      const secrets = await seedDemo(runtime);
      let url: string;
      try {
        url = await listen(runtime, config);
      } catch (error) {
        await runtime.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new CliError(
            `port ${String(port)} is in use; try: npm run demo -- --port ${String(port + 1)}`,
          );
        }
        throw error;
      }
      io.err(`listening on ${url}`);
      let directory: DemoDirectory | undefined;
      if (options.withLdap === true) {
        try {
          directory = await startDemoDirectory(runtime, config, io);
        } catch (error) {
          await runtime.close();
          throw new CliError(
            `--with-ldap: ${error instanceof Error ? error.message : String(error)} (it needs Debian's slapd: run as root to install it, or \`apt-get install slapd ldap-utils\`)`,
          );
        }
      }
      await printDemoBanner(runtime, config, config.publicUrl.replace(/\/+$/, ''), secrets, io);
      for (const line of directory?.lines ?? []) io.out(line);
      onSignals(async () => {
        await directory?.close();
        await runtime.close();
      });
    });

  program
    .command('agent')
    .description(
      'run the writeback agent next to the directory: registers on first start (server.registrationToken), then dials out to server.url',
    )
    .option('--config <file>', 'YAML configuration file (or SSPR_CONFIG)')
    .action(async (command: { config?: string }) => {
      const config = load(io, command.config);
      const runtime = await createAgentRuntime(config, {
        makeDirectory: options.makeDirectory ?? createDirectoryFromConfig,
      });
      io.err(`sspr agent ${runtime.agent.agentId} connecting to ${config.server.url ?? ''}`);
      onSignals(() => runtime.close());
    });

  const admin = program
    .command('admin')
    .description('administration (admin API, or the store for the create commands)');
  const token = admin.command('token').description('admin API tokens');
  token
    .command('create')
    .description('on the server host: create an admin API token (printed alone on the last line)')
    .option('--name <name>', 'a name to recognise the token by', 'cli')
    .option('--config <file>', 'YAML configuration file (or SSPR_CONFIG)')
    .action(async (options: { name: string; config?: string }) => {
      const config = load(io, options.config);
      const store = await createStore({ url: config.store.url });
      try {
        await store.migrate();
        const created = await createAdminToken(
          { store, clock: createSystemClock(), random: createNodeRandom() },
          options.name.slice(0, 100),
        );
        io.err(
          `Admin token "${options.name}" created (id ${created.id}). It is shown once; keep it secret.`,
        );
        io.out(created.token);
      } finally {
        await store.close();
      }
    });
  admin
    .command('agent-token')
    .description('writeback agent registration tokens')
    .command('create')
    .description(
      'on the server host: create a one-time agent registration token (printed alone on the last line)',
    )
    .option(
      '--ttl-hours <n>',
      `hours the token stays valid (1-${String(MAX_AGENT_TOKEN_TTL_HOURS)})`,
      String(DEFAULT_AGENT_TOKEN_TTL_HOURS),
    )
    .option('--config <file>', 'YAML configuration file (or SSPR_CONFIG)')
    .action(async (command: { ttlHours: string; config?: string }) => {
      const ttlHours = Number(command.ttlHours);
      if (!Number.isInteger(ttlHours) || ttlHours < 1 || ttlHours > MAX_AGENT_TOKEN_TTL_HOURS) {
        throw new CliError(
          `--ttl-hours must be a whole number from 1 to ${String(MAX_AGENT_TOKEN_TTL_HOURS)}, not ${command.ttlHours}`,
        );
      }
      const config = load(io, command.config);
      const store = await createStore({ url: config.store.url });
      try {
        await store.migrate();
        const created = await createAgentRegistrationToken(
          { store, clock: createSystemClock(), random: createNodeRandom() },
          { ttlHours },
        );
        io.err(
          `Agent registration token created (id ${created.id}), valid once until ${created.expiresAt}. Give it to the agent as server.registrationToken (or SSPR_SERVER_REGISTRATION_TOKEN_FILE) for its first start; keep it secret.`,
        );
        io.out(created.token);
      } finally {
        await store.close();
      }
    });
  registerAdminPolicy(admin, io);
  registerAdminSync(admin, io);
  registerAdminAuditExport(admin, io);
  registerConfigValidate(program, io);
  registerTotpCode(program, io);
  return program;
}

/** Runs the CLI; every expected failure prints one clear line and exits 1. */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo(),
  options: ProgramOptions = {},
): Promise<void> {
  const program = buildProgram(io, options).exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError) io.err(error.message);
    else if (error instanceof CliError) io.err(`sspr: ${error.message}`);
    else if (isSsprError(error)) io.err(`sspr: ${error.code}: ${error.message}`);
    else io.err(`sspr: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
