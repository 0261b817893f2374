/**
 * `sspr config validate [--config FILE] [--show]`: loads the configuration the way `serve` and
 * `agent` do, and prints either a short summary or every problem (exit code 1). Never prints a
 * secret: secret keys are redacted and a PostgreSQL password is masked.
 */
import type { Command } from 'commander';
import { ConfigError, formatConfigIssue } from '../config/config-error.js';
import { CONFIG_FILE_ENV, loadConfig } from '../config/load.js';
import {
  configKeys,
  redactStoreUrl,
  sqlitePath,
  storeKind,
  type Config,
} from '../config/schema.js';
import { SECRET_KEY_FILE } from '../config/secret-key.js';

export interface ConfigValidateIo {
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

interface ValidateOptions {
  config?: string;
  show?: boolean;
}

const REDACTED = '(set, redacted)';
const NOT_SET = '(not set)';

function valueAt(config: Config, path: readonly string[]): unknown {
  let node: unknown = config;
  for (const segment of path) {
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<string, unknown>)[segment]
        : undefined;
  }
  return node;
}

/** One key's effective value as printed by --show. */
function shown(config: Config, key: (typeof configKeys)[number]): string {
  const value = valueAt(config, key.path);
  if (value === undefined) return NOT_SET;
  if (key.secret) return REDACTED;
  if (key.key === 'store.url' && typeof value === 'string') return redactStoreUrl(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.map(String).join(', ');
  return JSON.stringify(value);
}

function summary(config: Config, file: string | undefined): string[] {
  const kind = storeKind(config.store.url);
  const where = kind === 'sqlite' ? sqlitePath(config.store.url) : redactStoreUrl(config.store.url);
  return [
    'configuration OK',
    `  file: ${file ?? '(none: defaults and SSPR_* environment only)'}`,
    `  store: ${kind} ${where ?? ''}`.trimEnd(),
    `  listen: ${config.listen}`,
    `  publicUrl: ${config.publicUrl}`,
    `  secrets.key: ${
      config.secrets.key === undefined
        ? `not set; the server uses ${config.dataDir}/${SECRET_KEY_FILE} (generated on first start)`
        : REDACTED
    }`,
    ...(config.demo ? ['  demo: on (development outbox; not for production)'] : []),
    ...agentSummary(config),
  ];
}

/** For an agent configuration (server.url set): what `sspr agent` will connect to, and what is missing. */
function agentSummary(config: Config): string[] {
  if (config.server.url === undefined) return [];
  const d = config.directory;
  const missing = (['kind', 'bindDn', 'bindPassword', 'baseDn'] as const)
    .filter((k) => d[k] === undefined)
    .map((k) => `directory.${k}`);
  if (d.urls.length === 0) missing.push('directory.urls');
  return [
    `  agent: server.url ${config.server.url}`,
    `  agent: directory ${d.kind ?? '(kind not set)'} ${d.urls.join(', ') || '(no urls)'}, scope ${d.scope.length === 0 ? 'all of baseDn' : d.scope.join(' | ')}`,
    `  agent: TLS certificate verification ${d.tls.rejectUnauthorized ? 'on' : 'OFF (directory.tls.rejectUnauthorized is false)'}`,
    ...(missing.length === 0 ? [] : [`  agent: missing for \`sspr agent\`: ${missing.join(', ')}`]),
  ];
}

/** Adds `config validate` to the program (creating or reusing the `config` command). */
export function registerConfigValidate(program: Command, io: ConfigValidateIo): void {
  const configCommand =
    program.commands.find((command) => command.name() === 'config') ??
    program.command('config').description('inspect the configuration');
  configCommand
    .command('validate')
    .description('check the configuration file and SSPR_* environment without starting anything')
    .option('--config <file>', `YAML configuration file (default: $${CONFIG_FILE_ENV})`)
    .option('--show', 'also print every effective value, secrets redacted')
    .action((_options: unknown, command: Command) => {
      const options = command.opts<ValidateOptions>();
      let config: Config;
      try {
        config = loadConfig({ file: options.config, env: io.env, cwd: io.cwd });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
        io.err(`configuration is not valid (${count}):`);
        for (const issue of error.issues) io.err(`  ${formatConfigIssue(issue)}`);
        process.exitCode = 1;
        return;
      }
      const file = options.config ?? io.env[CONFIG_FILE_ENV];
      for (const line of summary(config, file === '' ? undefined : file)) io.out(line);
      if (options.show === true) {
        io.out('effective values:');
        for (const key of configKeys) io.out(`  ${key.key} = ${shown(config, key)}`);
      }
    });
}
