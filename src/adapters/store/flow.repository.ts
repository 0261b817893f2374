import type { Kysely, Selectable } from 'kysely';
import type { Flow, FlowContext, FlowKind, ResetFlowState } from '../../domain/model/flow.js';
import type { MethodName } from '../../domain/model/sspr-policy.js';
import type { FlowRepository } from '../../domain/ports/store.js';
import { parseJson, toNumber, type Database, type FlowsTable } from './database.js';

const toFlow = (row: Selectable<FlowsTable>): Flow => ({
  id: row.id,
  kind: row.kind as FlowKind,
  state: row.state as ResetFlowState,
  userId: row.userId,
  gatesRequired: row.gatesRequired === 2 ? 2 : 1,
  gatesPassed: parseJson(row.gatesPassed) as MethodName[],
  context: parseJson(row.context) as FlowContext,
  submitCount: row.submitCount,
  correlationId: row.correlationId,
  issuedAt: row.issuedAt,
  expiresAt: row.expiresAt,
  completedAt: row.completedAt,
  version: row.version,
});

const toRow = (flow: Flow) => ({
  kind: flow.kind,
  state: flow.state,
  userId: flow.userId,
  gatesRequired: flow.gatesRequired,
  gatesPassed: JSON.stringify(flow.gatesPassed),
  context: JSON.stringify(flow.context),
  submitCount: flow.submitCount,
  correlationId: flow.correlationId,
  issuedAt: flow.issuedAt,
  expiresAt: flow.expiresAt,
  completedAt: flow.completedAt,
  version: flow.version,
});

export function createFlowRepository(db: Kysely<Database>): FlowRepository {
  return {
    async create(flow) {
      await db
        .insertInto('flows')
        .values({ id: flow.id, ...toRow(flow) })
        .execute();
    },

    async findById(id) {
      const row = await db.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toFlow(row) : null;
    },

    async update(flow) {
      const result = await db
        .updateTable('flows')
        .set(toRow(flow))
        .where('id', '=', flow.id)
        .where('version', '=', flow.version - 1)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteExpired(before) {
      const result = await db
        .deleteFrom('flows')
        .where('expiresAt', '<', before)
        .executeTakeFirst();
      return toNumber(result.numDeletedRows);
    },
  };
}
