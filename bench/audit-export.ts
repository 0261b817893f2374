/**
 * The audit export (GET /admin/audit/export, CSV and JSON, streamed) against reading the same rows
 * straight from the store, page by page, in the same process: what formatting and HTTP cost on top
 * of the database, and whether memory stays flat. Also the usage report over the same events.
 * SQLite (a temp file) and PostgreSQL (a private cluster).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { auditActivities, type AuditEventInput } from '../src/domain/model/audit-event.js';
import { createServerRuntime, listen, type ServerRuntime } from '../src/main/server-runtime.js';
import { createAdminToken } from '../src/services/admin-service.js';
import { startPrivatePostgres } from './postgres.js';
import { fixed, int, progress, renderTable } from './report.js';

export type AuditStoreName = 'sqlite' | 'postgres';

export interface AuditBenchOptions {
  readonly stores: readonly AuditStoreName[];
  readonly events: number;
}

export interface AuditRow {
  readonly store: AuditStoreName;
  readonly events: number;
  readonly seedMs: number;
  readonly storeReadMs: number;
  readonly csv: Download;
  readonly json: Download;
  readonly usageMs: number;
}

interface Download {
  readonly ms: number;
  readonly bytes: number;
  readonly rows: number;
  /** Peak growth of the process's RSS during the download (server and client share it). */
  readonly rssGrowth: number;
}

const DAY_MS = 86_400_000;
const SPAN_DAYS = 90;
const SEED_BATCH = 5_000;

export async function runAuditBench(options: AuditBenchOptions): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  const root = await mkdtemp(join(tmpdir(), 'sspr-bench-audit-'));
  let postgres: { url: string; stop: () => Promise<void> } | undefined;
  try {
    for (const store of options.stores) {
      let storeUrl = `sqlite:${join(root, 'audit.db')}`;
      if (store === 'postgres') {
        progress('postgres: starting a private cluster (scripts/postgres.mjs)');
        postgres = await startPrivatePostgres(root);
        storeUrl = postgres.url;
      }
      rows.push(await benchStore(store, storeUrl, join(root, `data-${store}`), options.events));
      if (postgres !== undefined) {
        const stopping = postgres;
        postgres = undefined;
        await stopping.stop();
      }
    }
  } finally {
    if (postgres !== undefined) await postgres.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
  return rows;
}

async function benchStore(
  store: AuditStoreName,
  storeUrl: string,
  dataDir: string,
  events: number,
): Promise<AuditRow> {
  const config = loadConfig({
    cwd: dataDir,
    env: {
      SSPR_LISTEN: '127.0.0.1:0',
      SSPR_DATA_DIR: dataDir,
      SSPR_STORE_URL: storeUrl,
      SSPR_DEMO: 'false',
      SSPR_CAPTCHA_ENABLED: 'false',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      SSPR_LOG_LEVEL: 'silent',
    },
  });
  const runtime = await createServerRuntime(config);
  try {
    const seedMs = await seed(runtime, store, events);
    const url = (await listen(runtime, config)).replace('://localhost:', '://127.0.0.1:');
    const { token } = await createAdminToken(runtime.services, 'bench');

    progress(`${store}: reading ${int(events)} events from the store, 1,000 a page`);
    const storeRead = await timed(async () => {
      let cursor: string | undefined;
      let read = 0;
      do {
        const page = await runtime.store.audit.query({
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor }),
        });
        read += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      if (read < events) throw new Error(`the store gave ${String(read)} of ${String(events)}`);
    });

    const csv = await download(`${url}/api/v1/admin/audit/export?format=csv`, token, store);
    const json = await download(`${url}/api/v1/admin/audit/export?format=json`, token, store);
    if (csv.rows - 1 < events) throw new Error(`CSV had ${String(csv.rows - 1)} data rows`);

    progress(`${store}: usage report over ${String(SPAN_DAYS)} days`);
    const to = new Date();
    const from = new Date(to.getTime() - (SPAN_DAYS - 1) * DAY_MS);
    const usageMs = await timed(async () => {
      const response = await fetch(
        `${url}/api/v1/admin/reports/usage?from=${from.toISOString()}&to=${to.toISOString()}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      if (!response.ok) throw new Error(`usage report: HTTP ${String(response.status)}`);
      await response.json();
    });
    return { store, events, seedMs, storeReadMs: storeRead, csv, json, usageMs };
  } finally {
    await runtime.close();
  }
}

/** `events` audit events over the last 90 days: resets, flow steps, changes, some failures. */
async function seed(runtime: ServerRuntime, store: string, events: number): Promise<number> {
  const activities = [
    'Reset password (self-service)',
    'Self-service password reset flow activity progress',
    'Change password (self-service)',
    'Unlock user account (self-service)',
    'Security info saved for self-service password reset',
  ] as const;
  for (const activity of activities) {
    if (!(auditActivities as readonly string[]).includes(activity))
      throw new Error(`unknown activity ${activity}`);
  }
  const now = Date.now();
  return timed(async () => {
    for (let from = 0; from < events; from += SEED_BATCH) {
      const count = Math.min(SEED_BATCH, events - from);
      await runtime.store.transaction(async (tx) => {
        for (let i = 0; i < count; i++) {
          const n = from + i;
          const failed = n % 7 === 0;
          const event: AuditEventInput & { id: string; occurredAt: string } = {
            id: randomUUID(),
            occurredAt: new Date(now - ((n * 7919) % (SPAN_DAYS * DAY_MS))).toISOString(),
            activity: activities[n % activities.length] ?? activities[0],
            category: 'UserManagement',
            result: failed ? 'failure' : 'success',
            resultReason: failed ? 'SSPR_3002 The code is not correct' : null,
            correlationId: randomUUID(),
            actorId: null,
            actorUpn: `user${String(n % 5000)}@contoso.com`,
            targetId: null,
            targetUpn: `user${String(n % 5000)}@contoso.com`,
            ip: '192.0.2.10',
            userAgent: 'Mozilla/5.0 (bench)',
            details: failed ? { method: 'totp', code: 'SSPR_3002' } : { method: 'email' },
          };
          await tx.audit.append(event);
        }
      });
      progress(`${store}: seeded ${int(from + count)}/${int(events)} audit events`);
    }
  });
}

async function download(url: string, token: string, store: string): Promise<Download> {
  const format = url.endsWith('csv') ? 'CSV' : 'JSON';
  progress(`${store}: exporting as ${format}`);
  global.gc?.();
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 25);
  let bytes = 0;
  let rows = 0;
  try {
    const ms = await timed(async () => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok || response.body === null)
        throw new Error(`export: HTTP ${String(response.status)}`);
      for await (const part of response.body as AsyncIterable<Uint8Array>) {
        const chunk = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
      }
    });
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    return { ms, bytes, rows, rssGrowth: rssPeak - rssBefore };
  } finally {
    clearInterval(sampler);
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await work();
  return performance.now() - began;
}

const mib = (bytes: number): string => fixed(bytes / 1024 / 1024, 1);

export function renderAuditTable(rows: readonly AuditRow[]): string {
  return renderTable(
    [
      { header: 'store', align: 'left' },
      { header: 'events' },
      { header: 'store read s' },
      { header: 'rows/s' },
      { header: 'CSV s' },
      { header: 'CSV rows/s' },
      { header: 'CSV MiB' },
      { header: 'JSON s' },
      { header: 'JSON MiB' },
      { header: 'CSV vs store read' },
      { header: 'RSS growth MiB (CSV / JSON)' },
      { header: 'usage report ms' },
    ],
    rows.map((r) => [
      r.store,
      int(r.events),
      fixed(r.storeReadMs / 1000, 1),
      int(r.events / (r.storeReadMs / 1000)),
      fixed(r.csv.ms / 1000, 1),
      int(r.events / (r.csv.ms / 1000)),
      mib(r.csv.bytes),
      fixed(r.json.ms / 1000, 1),
      mib(r.json.bytes),
      `${fixed(r.csv.ms / r.storeReadMs, 2)}×`,
      `${mib(r.csv.rssGrowth)} / ${mib(r.json.rssGrowth)}`,
      int(r.usageMs),
    ]),
  );
}
