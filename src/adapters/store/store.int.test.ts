import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeContract } from '../../../test/contracts/store.contract.js';
import { postgresForSuite } from '../../../test/support/postgres.js';
import { isSsprError } from '../../domain/errors/sspr-error.js';
import { createStore, type SqlStore } from './create-store.js';
import { migrationsFor } from './migrations/index.js';

/** Every migration, by name, as schema_migrations lists them once applied. */
const allMigrations = Object.keys(migrationsFor('sqlite'))
  .sort()
  .map((name) => ({ name }));

async function migrated(options: { url: string; schema?: string }): Promise<SqlStore> {
  const store = await createStore(options);
  await store.migrate();
  return store;
}

storeContract('sqlite::memory:', () => migrated({ url: 'sqlite::memory:' }));

describe('SQLite file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sspr-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The parent directories do not exist yet: createStore makes them.
  storeContract('sqlite file', () => migrated({ url: `sqlite:${join(dir, 'a', 'b', 'sspr.db')}` }));

  it('uses WAL and keeps data across reopen; migrate() is idempotent', async () => {
    const file = join(dir, 'reopen', 'sspr.db');
    const first = await migrated({ url: `sqlite:${file}` });
    await first.settings.set('k', { v: 1 }, '2030-01-01T00:00:00.000Z');
    await first.migrate();
    await first.close();
    const raw = new SqliteDatabase(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const names = raw.prepare('select name from schema_migrations order by name').all();
      expect(names).toEqual(allMigrations);
    } finally {
      raw.close();
    }
    const second = await migrated({ url: `sqlite:${file}` });
    expect(await second.settings.get('k')).toEqual({ v: 1 });
    await second.close();
  });

  it('enforces foreign keys', async () => {
    const store = await migrated({ url: 'sqlite::memory:' });
    try {
      const error = await store.sessions
        .create({
          id: 's',
          userId: 'no-such-user',
          tokenHash: 'h',
          pendingSecondFactor: false,
          createdAt: '2030-01-01T00:00:00.000Z',
          expiresAt: '2030-01-01T01:00:00.000Z',
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    } finally {
      await store.close();
    }
  });
});

describe('createStore', () => {
  it('rejects an unknown URL scheme without echoing the URL', async () => {
    const error = await createStore({ url: 'mysql://root:secret@localhost/db' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSsprError(error, 'CONFIG_INVALID')).toBe(true);
    expect(JSON.stringify((error as { details?: unknown }).details)).not.toContain('secret');
  });

  it('maps an unreachable PostgreSQL to STORE_UNAVAILABLE', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const error = await createStore({ url: 'postgres://postgres@127.0.0.1:1/sspr' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSsprError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).cause).toBeDefined();
  });
});

describe('PostgreSQL', () => {
  const target = postgresForSuite('store', 'sspr_test');
  if (target === null) return;
  const { schema } = target;

  storeContract(`postgres (schema ${schema})`, () => migrated({ url: target.url(), schema }));

  it('migrates a second schema in the same database independently', async () => {
    // The first schema already holds schema_migrations; the second must still get its own.
    const second = `${schema}_b`;
    const store = await migrated({ url: target.url(), schema: second });
    try {
      await store.settings.set('only-here', true, '2030-01-01T00:00:00.000Z');
      expect(await store.settings.get('only-here')).toBe(true);
    } finally {
      await store.close();
    }
    const client = new pg.Client({ connectionString: target.url() });
    await client.connect();
    try {
      const applied = await client.query<{ name: string }>(
        `select name from "${second}".schema_migrations order by name`,
      );
      expect(applied.rows).toEqual(allMigrations);
      const leaked = await client.query(
        `select 1 from "${schema}".settings where key = 'only-here'`,
      );
      expect(leaked.rowCount).toBe(0);
    } finally {
      await client.query(`drop schema if exists "${second}" cascade`);
      await client.end();
    }
  });

  it('maps a connection lost mid-session to STORE_UNAVAILABLE', async () => {
    // A TCP proxy in front of the server, cut while the store holds pooled connections.
    const server = new URL(target.url());
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(server.port || 5432), server.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    const viaProxy = new URL(target.url());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String((proxy.address() as net.AddressInfo).port);
    const store = await migrated({ url: viaProxy.href, schema });
    try {
      expect(await store.users.count()).toBeGreaterThanOrEqual(0);
      const closed = new Promise<void>((done) => {
        proxy.close(() => {
          done();
        });
      });
      for (const socket of sockets) socket.destroy();
      await closed;
      const error = await store.users.count().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSsprError(error, 'STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('keeps its tables in the given schema and migrates idempotently', async () => {
    const store = await migrated({ url: target.url(), schema });
    await store.migrate();
    await store.close();
    const client = new pg.Client({ connectionString: target.url() });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by 1',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['users', 'audit_events', 'one_time_codes', 'schema_migrations']),
      );
      const applied = await client.query<{ name: string }>(
        `select name from "${schema}".schema_migrations order by name`,
      );
      expect(applied.rows).toEqual(allMigrations);
    } finally {
      await client.end();
    }
  });
});
