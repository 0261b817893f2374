import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface PostgresTarget {
  /** The server URL (valid once the suite's beforeAll ran). */
  url(): string;
  /** A throw-away schema for this suite, dropped after it. */
  readonly schema: string;
}

/**
 * Gives a describe block a PostgreSQL and a schema of its own. `SSPR_TEST_PG_URL` names the server
 * (`npm test` starts one); without it a local run starts a private cluster with
 * scripts/postgres.mjs, while under CI the suite fails (never skips) and this returns null.
 */
export function postgresForSuite(label: string, schemaPrefix: string): PostgresTarget | null {
  const given = process.env.SSPR_TEST_PG_URL;
  if ((given === undefined || given === '') && process.env.CI !== undefined) {
    it('has a PostgreSQL to test against', () => {
      throw new Error(
        `SSPR_TEST_PG_URL is not set. CI must run the PostgreSQL ${label} tests: start a server ` +
          'with `node scripts/postgres.mjs start` (or run `npm test`) and export its URL.',
      );
    });
    return null;
  }
  const schema = `${schemaPrefix}_${randomBytes(6).toString('hex')}`;
  let url = given ?? '';
  let stopLocal: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (url !== '') return;
    const script = pathToFileURL(join(repoRoot, 'scripts', 'postgres.mjs')).href;
    const { startPostgres } = (await import(script)) as {
      startPostgres: (o: {
        baseDir: string;
      }) => Promise<{ url: string; stop: () => Promise<void> }>;
    };
    const started = await startPostgres({ baseDir: join(repoRoot, '.test-run', schemaPrefix) });
    url = started.url;
    stopLocal = started.stop;
  });

  afterAll(async () => {
    // The store has no "drop schema": do it over a plain connection.
    if (url !== '') {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    }
    await stopLocal?.();
  });

  return { url: () => url, schema };
}
