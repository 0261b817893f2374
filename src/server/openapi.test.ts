import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';

interface JsonSchema {
  type?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

interface Operation {
  summary?: string;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  parameters?: { name: string; in: string }[];
  security?: Record<string, unknown>[];
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, unknown> };
}

let t: TestApp;
let doc: OpenApiDocument;
beforeAll(async () => {
  t = await createTestApp();
  const res = await t.request('GET', '/api/v1/openapi.json');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = res.json<OpenApiDocument>();
});
afterAll(async () => {
  await t.close();
});

const operation = (method: string, path: string): Operation | undefined =>
  doc.paths[path]?.[method];

/** Property names of an operation's JSON request body (for a union: of every member). */
function bodyProperties(op: Operation | undefined): string[] {
  const schema = op?.requestBody?.content?.['application/json']?.schema;
  if (schema === undefined) return [];
  const members = schema.oneOf ?? schema.anyOf ?? [schema];
  return [...new Set(members.flatMap((m) => Object.keys(m.properties ?? {})))].sort();
}

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document with both security schemes', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe('OpenSSPR API');
    expect(doc.info.version).toBe('test');
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual([
      'adminToken',
      'session',
    ]);
  });

  // Every route of contract.md that exists today, with the fields its request body documents.
  const withBody: [string, string, string[]][] = [
    ['post', '/api/v1/sspr/flows', ['userId']],
    ['post', '/api/v1/sspr/flows/{flowId}/challenge', ['method']],
    ['post', '/api/v1/sspr/flows/{flowId}/verify', ['answers', 'code', 'method']],
    ['post', '/api/v1/sspr/flows/{flowId}/reset', ['newPassword']],
    ['post', '/api/v1/password/check', ['password']],
    ['post', '/api/v1/auth/sign-in', ['password', 'userId']],
    ['post', '/api/v1/auth/sign-out', ['everywhere']],
    ['post', '/api/v1/me/methods/totp/verify', ['code']],
    ['post', '/api/v1/me/methods/email', ['email']],
    ['post', '/api/v1/me/methods/email/verify', ['code']],
    ['post', '/api/v1/me/methods/securityQuestions', ['answers']],
    ['post', '/api/v1/me/password', ['currentPassword', 'newPassword']],
    ['post', '/api/v1/admin/users', ['displayName', 'password', 'userPrincipalName']],
  ];

  it.each(withBody)('documents %s %s with its request body', (method, path, fields) => {
    const op = operation(method, path);
    expect(op, `${method} ${path}`).toBeDefined();
    expect(op?.summary ?? '').not.toBe('');
    expect(bodyProperties(op)).toEqual(expect.arrayContaining(fields));
  });

  it('documents the other contract routes', () => {
    const routes: [string, string][] = [
      ['get', '/api/v1/sspr/flows/{flowId}'],
      ['post', '/api/v1/sspr/flows/{flowId}/unlock'],
      ['get', '/api/v1/me/methods'],
      ['post', '/api/v1/me/methods/totp'],
      ['post', '/api/v1/me/methods/phone'],
      ['post', '/api/v1/me/methods/passkey'],
      ['delete', '/api/v1/me/methods/{id}'],
      ['get', '/api/v1/admin/policy'],
      ['patch', '/api/v1/admin/policy'],
      ['get', '/api/v1/admin/users'],
      ['get', '/api/v1/admin/users/{id}'],
      ['get', '/api/v1/admin/audit'],
    ];
    const missing = routes.filter(([m, p]) => operation(m, p) === undefined);
    expect(missing).toEqual([]);
  });

  it('documents the required body fields, the PATCH body and the query parameters', () => {
    const signIn = operation('post', '/api/v1/auth/sign-in')?.requestBody?.content?.[
      'application/json'
    ]?.schema;
    expect(signIn?.required?.sort()).toEqual(['password', 'userId']);
    expect(
      operation('patch', '/api/v1/admin/policy')?.requestBody?.content?.['application/json']?.schema
        ?.type,
    ).toBe('object');
    const audit = operation('get', '/api/v1/admin/audit')?.parameters ?? [];
    expect(audit.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'activity', 'user', 'result', 'cursor']),
    );
    const users = operation('get', '/api/v1/admin/users')?.parameters ?? [];
    expect(users.map((p) => p.name)).toEqual(expect.arrayContaining(['search', 'cursor']));
    expect(operation('get', '/api/v1/admin/policy')?.security).toEqual([
      { adminToken: [] },
      { session: [] },
    ]);
  });

  it('does not list itself', () => {
    expect(doc.paths['/api/v1/openapi.json']).toBeUndefined();
  });
});
