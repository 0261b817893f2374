/**
 * Loads the configuration: defaults < YAML file < `SSPR_*` environment < `SSPR_*_FILE` secrets.
 * Every problem is collected and thrown at once as a ConfigError.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, type ConfigSource } from './config-error.js';
import {
  configKeys,
  configSchema,
  defaultPublicUrl,
  sqlitePath,
  type Config,
  type ConfigKey,
  type ParsedConfig,
} from './schema.js';

/** `SSPR_*` variables that are not configuration keys but are used by the CLI or the tests. */
export const ENV_ALLOW_LIST: readonly string[] = ['SSPR_CONFIG', 'SSPR_SERVER', 'SSPR_ADMIN_TOKEN'];
export const ENV_ALLOW_PREFIXES: readonly string[] = ['SSPR_TEST_'];

/** The variable naming the YAML file when no file is given explicitly. */
export const CONFIG_FILE_ENV = 'SSPR_CONFIG';

export interface LoadConfigOptions {
  /** YAML file (relative to cwd). Falls back to `SSPR_CONFIG`; no file means defaults + env. */
  file?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

type Tree = Record<string, unknown>;

const keyByName = new Map(configKeys.map((k) => [k.key, k]));

const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function loadConfig(options: LoadConfigOptions): Config {
  const issues: ConfigIssue[] = [];
  const sources = new Map<string, ConfigSource>();
  const { cwd, env } = options;

  const fileOption = options.file ?? nonEmpty(env[CONFIG_FILE_ENV]);
  const raw =
    fileOption === undefined
      ? {}
      : readYaml(resolve(cwd, fileOption), options.file === undefined, issues, sources);
  applyEnv(raw, env, cwd, issues, sources);
  issues.push(...unknownEnv(env));

  const result = configSchema.safeParse(raw, { error: messages });
  if (!result.success) issues.push(...fromZod(result.error.issues, sources));
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return deepFreeze(resolveConfig(result.data, cwd));
}

// ---------------------------------------------------------------------------------------------
// File

function readYaml(
  path: string,
  fromEnv: boolean,
  issues: ConfigIssue[],
  sources: Map<string, ConfigSource>,
): Tree {
  const fileIssue = (message: string): void => {
    issues.push({
      key: path,
      source: fromEnv ? 'env' : 'file',
      env: fromEnv ? CONFIG_FILE_ENV : undefined,
      message,
    });
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fileIssue(
      code === 'ENOENT' ? 'config file not found' : `cannot read the config file (${code})`,
    );
    return {};
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) fileIssue(`not valid YAML: ${firstLine(error.message)}`);
    return {};
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isTree(value)) {
    fileIssue('must be a YAML mapping of keys (e.g. `listen: 127.0.0.1:8080`)');
    return {};
  }
  const tree = withoutNulls(value);
  recordSources(tree, [], sources);
  return tree;
}

const firstLine = (text: string): string => text.split('\n', 1)[0] ?? text;

/** `key:` with no value (YAML null) means "not set". */
function withoutNulls(tree: Tree): Tree {
  const out: Tree = {};
  for (const [name, value] of Object.entries(tree)) {
    if (value === null) continue;
    out[name] = isTree(value) ? withoutNulls(value) : value;
  }
  return out;
}

function recordSources(tree: Tree, path: string[], sources: Map<string, ConfigSource>): void {
  for (const [name, value] of Object.entries(tree)) {
    const at = [...path, name];
    sources.set(at.join('.'), 'file');
    if (isTree(value)) recordSources(value, at, sources);
  }
}

// ---------------------------------------------------------------------------------------------
// Environment

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

function applyEnv(
  raw: Tree,
  env: LoadConfigOptions['env'],
  cwd: string,
  issues: ConfigIssue[],
  sources: Map<string, ConfigSource>,
): void {
  for (const key of configKeys) {
    const fileVar = `${key.env}_FILE`;
    const filePath = nonEmpty(env[fileVar]);
    const text = nonEmpty(env[key.env]);
    let value: unknown;
    if (filePath !== undefined) {
      if (key.kind !== 'string') {
        issues.push({
          key: key.key,
          env: fileVar,
          source: 'env',
          message: `only text keys can be read from a file; set ${key.env} instead`,
        });
        continue;
      }
      const secretPath = resolve(cwd, filePath);
      try {
        value = readFileSync(secretPath, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        issues.push({
          key: key.key,
          env: fileVar,
          source: 'env',
          message: `cannot read ${secretPath} (${code === 'ENOENT' ? 'file not found' : code})`,
        });
        continue;
      }
    } else if (text !== undefined) {
      const coerced = coerce(key, text);
      if ('error' in coerced) {
        issues.push({ key: key.key, env: key.env, source: 'env', message: coerced.error });
        continue;
      }
      value = coerced.value;
    } else {
      continue;
    }
    if (setAt(raw, key.path, value)) sources.set(key.key, 'env');
  }
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** An environment string as the schema's type: numbers, booleans, comma-separated lists. */
export function coerce(key: ConfigKey, text: string): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  const shown = key.secret ? '' : ` (got ${JSON.stringify(text)})`;
  switch (key.kind) {
    case 'string':
      return { value: text };
    case 'enum':
      return { value: trimmed };
    case 'integer':
      return /^[+-]?\d+$/.test(trimmed)
        ? { value: Number(trimmed) }
        : { error: `must be a whole number${shown}` };
    case 'number':
      return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(trimmed)
        ? { value: Number(trimmed) }
        : { error: `must be a number${shown}` };
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (TRUE.has(lower)) return { value: true };
      if (FALSE.has(lower)) return { value: false };
      return { error: `must be one of true, false, 1, 0, yes, no${shown}` };
    }
    case 'list': {
      if (trimmed.startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(trimmed);
          if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) {
            return { value: parsed };
          }
        } catch {
          // reported below
        }
        return { error: 'must be a JSON array of strings when it starts with [' };
      }
      const items = text
        .split(key.listSeparator)
        .map((item) => item.trim())
        .filter((item) => item !== '');
      return { value: items };
    }
  }
}

function setAt(tree: Tree, path: readonly string[], value: unknown): boolean {
  let node = tree;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (next === undefined) {
      const created: Tree = {};
      node[segment] = created;
      node = created;
    } else if (isTree(next)) {
      node = next;
    } else {
      return false; // the file's value there is not a section: that is reported by the schema
    }
  }
  const leaf = path.at(-1);
  if (leaf === undefined) return false;
  node[leaf] = value;
  return true;
}

function isAllowed(name: string): boolean {
  return ENV_ALLOW_LIST.includes(name) || ENV_ALLOW_PREFIXES.some((p) => name.startsWith(p));
}

function unknownEnv(env: LoadConfigOptions['env']): ConfigIssue[] {
  const known = new Set(configKeys.flatMap((k) => [k.env, `${k.env}_FILE`]));
  return Object.keys(env)
    .filter((name) => name.startsWith('SSPR_') && env[name] !== undefined)
    .filter((name) => !known.has(name) && !isAllowed(name))
    .sort()
    .map((name) => {
      const hint = suggest(name, [...known]);
      return {
        key: name,
        source: 'env' as const,
        message: `not a configuration variable${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Schema issues

const NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  int: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a section of keys',
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section of keys';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return typeof value;
}

/** Plain messages for the schema's built-in checks (the refinements carry their own). */
const messages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    // A number given for a number key is safe to echo (secrets are text).
    const given =
      typeof issue.input === 'number' && (issue.expected === 'int' || issue.expected === 'number')
        ? String(issue.input)
        : typeOf(issue.input);
    return `must be ${NAMES[issue.expected] ?? issue.expected}, not ${given}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of: ${issue.values.map(String).join(', ')}`;
  }
  if (issue.code === 'too_small') {
    if (issue.origin === 'string') return 'must not be empty';
    if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} items`;
    return `must be at least ${String(issue.minimum)}`;
  }
  if (issue.code === 'too_big') {
    if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
    if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
    return `must be at most ${String(issue.maximum)}`;
  }
  return undefined;
};

const knownPaths: readonly string[] = [
  ...new Set(configKeys.flatMap((k) => k.path.map((_, i) => k.path.slice(0, i + 1).join('.')))),
];

function sourceOf(key: string, sources: Map<string, ConfigSource>): ConfigSource {
  return sources.get(key) ?? 'default';
}

function fromZod(
  zodIssues: readonly z.core.$ZodIssue[],
  sources: Map<string, ConfigSource>,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of zodIssues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const name of issue.keys) {
        const key = [...path, name].join('.');
        const hint = suggest(key, knownPaths);
        out.push({
          key,
          source: 'file',
          message: `unknown key${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
        });
      }
      continue;
    }
    const leaf = leafOf(path);
    if (leaf === undefined) {
      const key = path.length === 0 ? '(root)' : path.join('.');
      out.push({ key, source: sourceOf(key, sources), message: issue.message });
      continue;
    }
    const index = issue.path[leaf.key.path.length];
    const item = typeof index === 'number' ? `item ${index + 1}: ` : '';
    out.push({
      key: leaf.key.key,
      env: leaf.key.env,
      source: sourceOf(leaf.key.key, sources),
      message: `${item}${issue.message}`,
    });
  }
  return out;
}

function leafOf(path: readonly string[]): { key: ConfigKey } | undefined {
  for (let length = path.length; length > 0; length--) {
    const key = keyByName.get(path.slice(0, length).join('.'));
    if (key !== undefined) return { key };
  }
  return undefined;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
function suggest(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 4));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Resolution

const isPem = (value: string): boolean => value.trimStart().startsWith('-----BEGIN');

/** Paths made absolute against cwd; derived defaults (`publicUrl`, `store.url`) filled in. */
function resolveConfig(parsed: ParsedConfig, cwd: string): Config {
  const dataDir = resolve(cwd, parsed.dataDir);
  const ca = parsed.directory.tls.ca;
  const sqlite = sqlitePath(parsed.store.url ?? '');
  let storeUrl = parsed.store.url ?? `sqlite:${join(dataDir, 'sspr.db')}`;
  if (sqlite !== undefined && sqlite !== ':memory:' && !isAbsolute(sqlite)) {
    storeUrl = `sqlite:${resolve(cwd, sqlite)}`;
  }
  return {
    ...parsed,
    dataDir,
    publicUrl: (parsed.publicUrl ?? defaultPublicUrl(parsed.listen)).replace(/\/+$/, ''),
    store: { ...parsed.store, url: storeUrl },
    directory: {
      ...parsed.directory,
      tls: {
        ...parsed.directory.tls,
        ca: ca === undefined || isPem(ca) ? ca : resolve(cwd, ca),
      },
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
