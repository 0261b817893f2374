/**
 * The data-encryption key (`secrets.key`): taken from the configuration, or read from — and on
 * first start generated into — `<dataDir>/secrets.key` with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';
import type { Config } from './schema.js';

export const SECRET_KEY_BYTES = 32;
export const SECRET_KEY_FILE = 'secrets.key';

/** 32 bytes from 64 hex digits or base64 / base64url (43 characters, optional `=`), else undefined. */
export function decodeSecretKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(value) && !/^[A-Za-z0-9_-]{43}=?$/.test(value)) {
    return undefined;
  }
  const key = Buffer.from(value, 'base64');
  return key.length === SECRET_KEY_BYTES ? key : undefined;
}

export interface SecretKey {
  readonly key: Buffer;
  /** `config`: from `secrets.key`; `file`: read from the data dir; `generated`: written just now. */
  readonly source: 'config' | 'file' | 'generated';
  /** The key file, when the key lives in the data dir. */
  readonly path: string | undefined;
}

function keyIssue(source: 'default' | 'file', message: string): ConfigError {
  return new ConfigError([{ key: 'secrets.key', env: 'SSPR_SECRETS_KEY', source, message }]);
}

async function readKeyFile(path: string): Promise<SecretKey> {
  if (process.platform !== 'win32') {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) {
      throw keyIssue(
        'default',
        `${path} is accessible by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
      );
    }
  }
  const key = decodeSecretKey(await readFile(path, 'utf8'));
  if (key === undefined)
    throw keyIssue('default', `${path} does not hold a 32-byte base64 or hex key`);
  return { key, source: 'file', path };
}

/**
 * The key to seal secrets with. Uses `secrets.key` when set; otherwise reads
 * `<dataDir>/secrets.key`, creating it (and the data dir, mode 0700) with a fresh random key
 * when it does not exist. Safe against two processes starting at once (exclusive create).
 */
export async function ensureSecretKey(
  config: Pick<Config, 'dataDir'> & { readonly secrets: Pick<Config['secrets'], 'key'> },
): Promise<SecretKey> {
  if (config.secrets.key !== undefined) {
    const key = decodeSecretKey(config.secrets.key);
    if (key === undefined) throw keyIssue('file', 'is not a 32-byte base64 or hex key');
    return { key, source: 'config', path: undefined };
  }
  const path = join(config.dataDir, SECRET_KEY_FILE);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(SECRET_KEY_BYTES);
  try {
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { key, source: 'generated', path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path);
    throw error;
  }
}
