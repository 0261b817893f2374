import { describe, expect, it } from 'vitest';
import { createArgon2Hasher, OWASP_ARGON2ID } from './argon2-hasher.js';

// Light parameters keep the suite fast; one test runs the production defaults.
const light = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

describe('createArgon2Hasher', () => {
  it('uses OWASP parameters and Argon2id by default', async () => {
    expect(OWASP_ARGON2ID).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const hasher = createArgon2Hasher();
    const hashed = await hasher.hash('correct horse battery staple');
    expect(hashed).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(await hasher.verify(hashed, 'correct horse battery staple')).toBe(true);
  });

  it('honours lighter parameters for tests and benchmarks', async () => {
    expect(await light.hash('x')).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });

  it('verifies the right secret only', async () => {
    const hashed = await light.hash('Pässwörd-1');
    expect(hashed).not.toContain('Pässwörd-1');
    expect(await light.verify(hashed, 'Pässwörd-1')).toBe(true);
    expect(await light.verify(hashed, 'Pässwörd-2')).toBe(false);
    expect(await light.verify(hashed, '')).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([light.hash('same'), light.hash('same')]);
    expect(a).not.toBe(b);
  });

  it('verifies hashes made with other parameters (read from the PHC string)', async () => {
    const hashed = await light.hash('secret');
    expect(await createArgon2Hasher().verify(hashed, 'secret')).toBe(true);
  });

  it.each([
    '',
    'not a hash',
    '$argon2id$v=19$m=1024,t=1,p=1$short',
    '$2b$10$abcdefghijklmnopqrstuv',
  ])('returns false (never throws) on the malformed hash %j', async (malformed) => {
    await expect(light.verify(malformed, 'secret')).resolves.toBe(false);
  });

  it('returns false on a truncated hash', async () => {
    const hashed = await light.hash('secret');
    await expect(light.verify(hashed.slice(0, -5), 'secret')).resolves.toBe(false);
  });
});
