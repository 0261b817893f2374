import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { decodeSecretKey, ensureSecretKey } from './secret-key.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-key-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const config = (dataDir: string, key?: string) => ({ dataDir, secrets: { key } });

describe('decodeSecretKey', () => {
  it('decodes 32 bytes from hex, base64 and base64url', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 250));
    expect(decodeSecretKey(bytes.toString('hex'))).toEqual(bytes);
    expect(decodeSecretKey(bytes.toString('hex').toUpperCase())).toEqual(bytes);
    expect(decodeSecretKey(bytes.toString('base64'))).toEqual(bytes);
    expect(decodeSecretKey(bytes.toString('base64url'))).toEqual(bytes);
    expect(decodeSecretKey(` ${bytes.toString('base64')}\n`)).toEqual(bytes);
  });

  it('rejects other lengths and alphabets', () => {
    expect(decodeSecretKey('ab'.repeat(31))).toBeUndefined();
    expect(decodeSecretKey(Buffer.alloc(31).toString('base64'))).toBeUndefined();
    expect(decodeSecretKey(Buffer.alloc(33).toString('base64'))).toBeUndefined();
    expect(decodeSecretKey('!'.repeat(44))).toBeUndefined();
    expect(decodeSecretKey('')).toBeUndefined();
  });
});

describe('ensureSecretKey', () => {
  it('uses secrets.key when it is set, touching no file', async () => {
    const hex = 'cd'.repeat(32);
    const dataDir = join(dir, 'data');
    const result = await ensureSecretKey(config(dataDir, hex));
    expect(result).toEqual({ key: Buffer.from(hex, 'hex'), source: 'config', path: undefined });
    expect(() => statSync(dataDir)).toThrow();
  });

  it('generates a key into <dataDir>/secrets.key with mode 0600, then reads it back', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = await ensureSecretKey(config(dataDir));
    const path = join(dataDir, 'secrets.key');
    expect(first.source).toBe('generated');
    expect(first.path).toBe(path);
    expect(first.key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(decodeSecretKey(readFileSync(path, 'utf8'))).toEqual(first.key);

    const second = await ensureSecretKey(config(dataDir));
    expect(second).toEqual({ key: first.key, source: 'file', path });
  });

  it('generates a different key for each data dir', async () => {
    const a = await ensureSecretKey(config(join(dir, 'a')));
    const b = await ensureSecretKey(config(join(dir, 'b')));
    expect(a.key.equals(b.key)).toBe(false);
  });

  it('refuses a key file that holds no key', async () => {
    const path = join(dir, 'secrets.key');
    writeFileSync(path, 'not a key\n', { mode: 0o600 });
    await expect(ensureSecretKey(config(dir))).rejects.toThrow(ConfigError);
    await expect(ensureSecretKey(config(dir))).rejects.toThrow(`${path} does not hold`);
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a key file that other users can read',
    async () => {
      const path = join(dir, 'secrets.key');
      writeFileSync(path, `${'ef'.repeat(32)}\n`);
      chmodSync(path, 0o644);
      await expect(ensureSecretKey(config(dir))).rejects.toThrow('chmod 600');
      chmodSync(path, 0o600);
      expect((await ensureSecretKey(config(dir))).key).toEqual(Buffer.from('ef'.repeat(32), 'hex'));
    },
  );
});
