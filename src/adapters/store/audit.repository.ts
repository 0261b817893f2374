import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditActivity, AuditEvent, AuditEventInput } from '../../domain/model/audit-event.js';
import type { AuditRepository, Page } from '../../domain/ports/store.js';
import { parseJson, toNumber, type AuditEventsTable, type Database } from './database.js';
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

export function createAuditRepository(db: Kysely<Database>): AuditRepository {
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
      if (q.from !== undefined) query = query.where('occurredAt', '>=', q.from);
      if (q.to !== undefined) query = query.where('occurredAt', '<=', q.to);
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
  };
}
