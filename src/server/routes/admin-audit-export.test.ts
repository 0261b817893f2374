import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import {
  auditPage,
  patchPolicy,
  signInWithRoles,
  type AuditItem,
} from '../../../test/support/actions.js';
import { parseCsv } from '../../../test/support/csv.js';
import { auditCsvColumns, EXPORT_PAGE_SIZE } from '../../services/audit-export.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  t.clock.set('2026-02-03T04:05:06.789Z');
});
afterEach(async () => {
  await t.close();
});

const exportOf = (query: Record<string, string>, auth: { cookie?: string } = {}) =>
  t.request('GET', `/api/v1/admin/audit/export?${new URLSearchParams(query).toString()}`, {
    ...(auth.cookie === undefined ? { token: t.adminToken } : { cookie: auth.cookie }),
  });

/** Appends `n` sign-in events straight into the store, one second apart, alternating results. */
async function seed(n: number, startAt = '2026-01-01T00:00:00.000Z'): Promise<void> {
  const start = Date.parse(startAt);
  for (let i = 0; i < n; i++) {
    await t.store.audit.append({
      id: `seed-${String(i)}`,
      occurredAt: new Date(start + i * 1000).toISOString(),
      activity: 'Sign-in activity',
      category: 'Authentication',
      result: i % 2 === 0 ? 'success' : 'failure',
      resultReason: i % 2 === 0 ? null : `=cmd|' /C calc'!A0 #${String(i)}`,
      correlationId: `corr-${String(i)}`,
      actorId: null,
      actorUpn: `user${String(i % 7)}@contoso.com`,
      targetId: null,
      targetUpn: null,
      ip: '192.0.2.10',
      userAgent: 'Zoë’s browser, "quoted"',
      details: { n: i },
    });
  }
}

describe('GET /admin/audit/export', () => {
  it('streams every row as CSV across several store pages, newest first, as an attachment', async () => {
    const rows = EXPORT_PAGE_SIZE * 2 + 345;
    await seed(rows);
    const res = await exportOf({ format: 'csv' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="sspr-audit-20260203-040506.csv"',
    );
    expect(res.headers['cache-control']).toBe('no-store');
    const table = parseCsv(res.body);
    expect(table[0]).toEqual([...auditCsvColumns]);
    // The seeded rows plus the "Create admin token" event of the test app.
    expect(table).toHaveLength(1 + rows + 1);
    const col = (name: (typeof auditCsvColumns)[number]) => auditCsvColumns.indexOf(name);
    const seqs = table.slice(1).map((r) => Number(r[col('seq')]));
    expect(new Set(seqs).size).toBe(rows + 1);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const newest = table[1] ?? [];
    expect(newest[col('correlationId')]).toBe('corr-' + String(rows - 1));
    // A formula is defused, quotes and unicode survive.
    const failed = table.find((r) => r[col('result')] === 'failure') ?? [];
    expect(failed[col('resultReason')]).toMatch(/^'=cmd\|' \/C calc'!A0 #\d+$/);
    expect(failed[col('userAgent')]).toBe('Zoë’s browser, "quoted"');
    expect(JSON.parse(failed[col('details')] ?? '')).toEqual({ n: expect.any(Number) as unknown });
  });

  it('pages a long time range (thousands of rows) exactly once each, newest first', async () => {
    const rows = EXPORT_PAGE_SIZE * 3 + 17;
    await seed(rows);
    // Seeded one second apart from midnight: 10 rows before and 20 after the range.
    const from = new Date(Date.parse('2026-01-01T00:00:10.000Z')).toISOString();
    const to = new Date(Date.parse('2026-01-01T00:00:00.000Z') + (rows - 21) * 1000).toISOString();
    const res = await exportOf({ format: 'json', from, to });
    expect(res.statusCode).toBe(200);
    const items = res.json<AuditItem[]>();
    expect(items).toHaveLength(rows - 30);
    expect(new Set(items.map((e) => e.seq)).size).toBe(rows - 30);
    expect(items.map((e) => e.seq)).toEqual(items.map((e) => e.seq).sort((a, b) => b - a));
    expect(items.every((e) => e.occurredAt >= from && e.occurredAt <= to)).toBe(true);
    // GET /admin/audit pages the same range the same way.
    const viaPages: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: AuditItem[]; nextCursor: string | null } = await auditPage(t, {
        from,
        to,
        limit: '500',
        ...(cursor === null ? {} : { cursor }),
      });
      viaPages.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(viaPages).toEqual(items.map((e) => e.seq));
  });

  it('applies the filters of GET /admin/audit, and JSON is the same objects as its items', async () => {
    await seed(1200);
    await patchPolicy(t, { enabledFor: 'all' });
    await patchPolicy(t, { registration: { reconfirmDays: 30 } });

    const filters = { activity: 'Sign-in activity', result: 'failure', user: 'user3@contoso.com' };
    const res = await exportOf({ format: 'json', ...filters });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="sspr-audit-20260203-040506.json"',
    );
    const exported = res.json<AuditItem[]>();
    // Every 7th user, odd indexes only.
    const expected = Array.from({ length: 1200 }, (_, i) => i).filter(
      (i) => i % 2 === 1 && i % 7 === 3,
    );
    expect(exported).toHaveLength(expected.length);
    expect(
      exported.every((e) => e.result === 'failure' && e.actorUpn === 'user3@contoso.com'),
    ).toBe(true);
    const page = await auditPage(t, { ...filters, limit: '500' });
    expect(exported).toEqual(page.items);

    // Time range and correlation id.
    const range = await exportOf({
      format: 'csv',
      from: '2026-01-01T00:00:10.000Z',
      to: '2026-01-01T00:00:19.000Z',
    });
    expect(parseCsv(range.body)).toHaveLength(1 + 10);
    const byCorrelation = await exportOf({ format: 'json', correlationId: 'corr-42' });
    expect(byCorrelation.json<AuditItem[]>().map((e) => e.details)).toEqual([{ n: 42 }]);
    const policy = await exportOf({
      format: 'json',
      activity: 'Self-service password reset policy changes',
    });
    expect(policy.json<AuditItem[]>().map((e) => e.details.modifiedProperties)).toEqual([
      [{ property: 'registration.reconfirmDays', oldValue: 180, newValue: 30 }],
      [{ property: 'enabledFor', oldValue: 'none', newValue: 'all' }],
    ]);
  });

  it('answers the header only or [] when nothing matches', async () => {
    const csv = await exportOf({ format: 'csv', activity: 'Revoke agent' });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toBe(`${auditCsvColumns.join(',')}\r\n`);
    const json = await exportOf({ format: 'json', activity: 'Revoke agent' });
    expect(json.json()).toEqual([]);
  });

  it('validates the query with stable codes', async () => {
    const queries: Record<string, string>[] = [
      { format: 'xml' },
      { format: 'csv', activity: 'Made up' },
      { format: 'csv', from: 'yesterday' },
      { format: 'csv', result: 'maybe' },
      { format: 'csv', cursor: 'abc' },
      { format: 'csv', user: 'x'.repeat(300) },
    ];
    for (const query of queries) {
      const res = await exportOf(query);
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(errorCode(res)).toBe('SSPR_1001');
    }
    const noAuth = await t.request('GET', '/api/v1/admin/audit/export?format=csv');
    expect(errorCode(noAuth)).toBe('SSPR_2006');
  });

  it('is open to every admin role (a reports reader) and closed to plain users', async () => {
    const reader = await signInWithRoles(t, 'reader@contoso.com', ['reportsReader']);
    const res = await exportOf({ format: 'json' }, { cookie: reader });
    expect(res.statusCode).toBe(200);
    expect(res.json<AuditItem[]>().length).toBeGreaterThan(0);
    const plain = await signInWithRoles(t, 'plain@contoso.com', []);
    const refused = await exportOf({ format: 'csv' }, { cookie: plain });
    expect(refused.statusCode).toBe(403);
    expect(errorCode(refused)).toBe('SSPR_2002');
  });
});
