import { errorRegistry } from '../domain/errors/registry.js';

/** Where the offending value came from: the YAML file, an `SSPR_*` variable, or the built-in default. */
export type ConfigSource = 'file' | 'env' | 'default';

export interface ConfigIssue {
  /** Dotted key (`store.url`), a file path for file-level problems, or an unknown variable's name. */
  key: string;
  source: ConfigSource;
  message: string;
  /** The key's environment variable, when the key is a configuration key. */
  env?: string | undefined;
}

/** `store.url (SSPR_STORE_URL): must start with sqlite: or postgres://` */
export function formatConfigIssue(issue: ConfigIssue): string {
  const name = issue.env === undefined ? issue.key : `${issue.key} (${issue.env})`;
  return `${name}: ${issue.message}`;
}

/** Every problem of a configuration at once; the process must not start with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** SSPR_9001 from the error registry. */
  readonly code: string = errorRegistry.CONFIG_INVALID.code;
  readonly issues: ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      [
        `The configuration is not valid (${count}):`,
        ...issues.map((i) => `  ${formatConfigIssue(i)}`),
      ].join('\n'),
    );
    this.issues = [...issues];
  }
}
