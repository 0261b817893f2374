import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  AuditActivity,
  AuditEvent,
  AuditEventInput,
  AuditResult,
} from '../../domain/model/audit-event.js';
import type { AuditDayCount, AuditRepository, Page } from '../../domain/ports/store.js';
import {
  parseJson,
  toNumber,
  type AuditEventsTable,
  type Database,
  type SqlDialect,
} from './database.js';
import { checkLimit, decodeCursor, encodeCursor, invalidCursor } from './paging.js';

const toEvent = (row: Selectable<AuditEventsTable>): AuditEvent => ({
  id: row.id,
  seq: toNumber(row.seq),
  occurredAt: row.occurredAt,
  activity: row.activity as AuditActivity,
  category: row.category as AuditEventInput['category'],
  result: row.result as AuditEventInput['result'],
  resultReason: row.resultReason,
  correlationId: row.correlationId,
  actorId: row.actorId,
  actorUpn: row.actorUpn,
  targetId: row.targetId,
  targetUpn: row.targetUpn,
  ip: row.ip,
  userAgent: row.userAgent,
  details: parseJson(row.details) as Record<string, unknown>,
});

/** Rows in a time range from which SQLite pages it in seq order rather than by its index. */
const DENSE_RANGE_ROWS = 1000;

/** A string member of the JSON text in `details`, else NULL, in the dialect's JSON functions. */
function detailsString(dialect: SqlDialect, key: 'method' | 'code') {
  // Literals, not parameters: PostgreSQL matches GROUP BY expressions to the select list by text.
  const name = sql.lit(key);
  const path = sql.lit(`$.${key}`);
  return dialect === 'postgres'
    ? sql<
        string | null
      >`case when json_typeof(details::json -> ${name}) = 'string' then details::json ->> ${name} end`
    : sql<
        string | null
      >`case when json_type(details, ${path}) = 'text' then json_extract(details, ${path}) end`;
}

export function createAuditRepository(db: Kysely<Database>, dialect: SqlDialect): AuditRepository {
  /**
   * SQLite keeps no statistics: given a time range it walks the occurred_at index and sorts every
   * row of the range by seq for each page, which makes paging through a long range (an export)
   * quadratic. When the range holds many rows, its filter is written `+occurred_at`, which keeps
   * SQLite off that index: pages then follow the seq order from the cursor, linear overall.
   * (PostgreSQL's planner decides this from its statistics.)
   */
  async function denseSqliteRange(q: { from?: string; to?: string }): Promise<boolean> {
    if (dialect !== 'sqlite' || (q.from === undefined && q.to === undefined)) return false;
    let probe = db.selectFrom('auditEvents').select('seq');
    if (q.from !== undefined) probe = probe.where('occurredAt', '>=', q.from);
    if (q.to !== undefined) probe = probe.where('occurredAt', '<=', q.to);
    const rows = await probe.limit(DENSE_RANGE_ROWS).execute();
    return rows.length >= DENSE_RANGE_ROWS;
  }

  return {
    async append(event): Promise<AuditEvent> {
      const row = await db
        .insertInto('auditEvents')
        .values({
          id: event.id,
          occurredAt: event.occurredAt,
          activity: event.activity,
          category: event.category,
          result: event.result,
          resultReason: event.resultReason,
          correlationId: event.correlationId,
          actorId: event.actorId,
          actorUpn: event.actorUpn,
          targetId: event.targetId,
          targetUpn: event.targetUpn,
          ip: event.ip,
          userAgent: event.userAgent,
          details: JSON.stringify(event.details),
        })
        .returning('seq')
        .executeTakeFirstOrThrow();
      return { ...event, details: { ...event.details }, seq: toNumber(row.seq) };
    },

    async query(q): Promise<Page<AuditEvent>> {
      checkLimit(q.limit);
      let query = db.selectFrom('auditEvents').selectAll();
      const occurredAt = (await denseSqliteRange(q))
        ? sql<string>`+occurred_at`
        : sql<string>`occurred_at`;
      if (q.from !== undefined) query = query.where(occurredAt, '>=', q.from);
      if (q.to !== undefined) query = query.where(occurredAt, '<=', q.to);
      if (q.activity !== undefined) query = query.where('activity', '=', q.activity);
      if (q.result !== undefined) query = query.where('result', '=', q.result);
      if (q.correlationId !== undefined) query = query.where('correlationId', '=', q.correlationId);
      if (q.user !== undefined) {
        const user = q.user;
        const upn = user.toLowerCase();
        query = query.where((eb) =>
          eb.or([
            eb('actorId', '=', user),
            eb('targetId', '=', user),
            eb(sql`lower(actor_upn)`, '=', upn),
            eb(sql`lower(target_upn)`, '=', upn),
          ]),
        );
      }
      if (q.cursor !== undefined) {
        const key = decodeCursor('a', q.cursor);
        query = query.where('seq', '<', /^[0-9]{1,15}$/.test(key) ? Number(key) : invalidCursor());
      }
      const rows = await query
        .orderBy('seq', 'desc')
        .limit(q.limit + 1)
        .execute();
      const items = rows.slice(0, q.limit).map(toEvent);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > q.limit && last ? encodeCursor('a', last.seq) : null,
      };
    },

    async countByDay(q): Promise<readonly AuditDayCount[]> {
      if (q.activities.length === 0) return [];
      const failure = (value: ReturnType<typeof sql<string | null>>) =>
        sql<string | null>`case when result = 'failure' then ${value} end`;
      const day = sql<string>`substr(occurred_at, 1, 10)`;
      const method = detailsString(dialect, 'method');
      const code = failure(detailsString(dialect, 'code'));
      const reason = failure(sql<string | null>`result_reason`);
      const rows = await db
        .selectFrom('auditEvents')
        .select([
          day.as('day'),
          'activity',
          'result',
          method.as('method'),
          code.as('code'),
          reason.as('resultReason'),
          sql<number | string | bigint>`count(*)`.as('count'),
        ])
        .where('occurredAt', '>=', q.from)
        .where('occurredAt', '<=', q.to)
        .where('activity', 'in', [...q.activities])
        .groupBy([day, 'activity', 'result', method, code, reason])
        .execute();
      return rows.map((r) => ({
        day: r.day,
        activity: r.activity,
        result: r.result as AuditResult,
        method: r.method,
        code: r.code,
        resultReason: r.resultReason,
        count: toNumber(r.count),
      }));
    },
  };
}
