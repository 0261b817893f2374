import { it } from 'vitest';
import { createTestApp } from '../../test/support/test-app.js';
it('dump', async () => {
  const t = await createTestApp();
  const res = await t.request('GET', '/api/v1/openapi.json');
  const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>();
  console.log(doc.openapi);
  for (const [p, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) console.log(m, p, JSON.stringify(op.requestBody ?? null).slice(0, 150));
  await t.close();
});
