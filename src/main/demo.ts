import type { Config } from '../config/schema.js';
import type { AuthMethod } from '../domain/model/auth-method.js';
import { generateTotpSecret } from '../domain/methods/totp.js';
import { createAdminToken, createCloudUser } from '../services/admin-service.js';
import { updatePolicy } from '../services/policy-service.js';
import type { CliIo } from '../cli/io.js';
import type { ServerRuntime } from './server-runtime.js';

export interface DemoUser {
  readonly upn: string;
  readonly displayName: string;
  readonly givenName: string;
  readonly surname: string;
  readonly password: string;
  readonly note: string;
  readonly roles?: readonly ['globalAdministrator'];
  readonly email?: string;
  readonly totp?: boolean;
  /** A registered mobile phone (Entra form): the sms and voice methods. */
  readonly mobilePhone?: string;
}

/** Sample cloud-only users. Their passwords meet the cloud policy and are printed on purpose. */
export const demoUsers: readonly DemoUser[] = [
  {
    upn: 'adele.vance@contoso.com',
    displayName: 'Adele Vance',
    givenName: 'Adele',
    surname: 'Vance',
    password: 'Harbor-Kite-4821!',
    note: 'email method (adele@example.org)',
    email: 'adele@example.org',
  },
  {
    upn: 'alex.wilber@contoso.com',
    displayName: 'Alex Wilber',
    givenName: 'Alex',
    surname: 'Wilber',
    password: 'Copper-Moss-7310!',
    note: 'authenticator app',
    totp: true,
  },
  {
    upn: 'megan.bowen@contoso.com',
    displayName: 'Megan Bowen',
    givenName: 'Megan',
    surname: 'Bowen',
    password: 'Quartz-Fern-2957!',
    note: 'no methods yet: SSPR_0014 until she registers',
  },
  {
    upn: 'admin@contoso.com',
    displayName: 'Demo Admin',
    givenName: 'Demo',
    surname: 'Admin',
    password: 'Granite-Owl-6142!',
    note: 'global administrator: two gates (email + app)',
    roles: ['globalAdministrator'],
    email: 'it-admin@example.org',
    totp: true,
  },
  {
    upn: 'lynne.robbins@contoso.com',
    displayName: 'Lynne Robbins',
    givenName: 'Lynne',
    surname: 'Robbins',
    password: 'Meadow-Flint-3846!',
    note: 'mobile phone +1 4255550123 (text or call; codes in the dev outbox)',
    mobilePhone: '+1 4255550123',
  },
];

const ctx = { correlationId: 'demo-seed', ip: null, userAgent: 'sspr demo' };

/** Seeds the demo store once (idempotent) and returns each TOTP user's secret. */
export async function seedDemo(runtime: ServerRuntime): Promise<Map<string, string>> {
  const s = runtime.services;
  const secrets = new Map<string, string>();
  await updatePolicy(
    s,
    ctx,
    { id: null, upn: 'demo' },
    {
      enabledFor: 'all',
      methods: { totp: true, email: true, sms: true, voice: true, securityQuestions: true },
      notifications: { notifyAdminsOnAdminReset: true },
    },
  );
  for (const d of demoUsers) {
    let user = await s.store.users.findByUpn(d.upn);
    user ??= await s.store.users.findById(
      (
        await createCloudUser(
          s,
          ctx,
          { id: null, upn: 'demo' },
          {
            userPrincipalName: d.upn,
            displayName: d.displayName,
            givenName: d.givenName,
            surname: d.surname,
            password: d.password,
            roles: d.roles,
          },
        )
      ).id,
    );
    if (user === null) throw new Error(`demo user ${d.upn} was not created`);
    const methods = await s.store.methods.listByUser(user.id);
    const now = s.clock.now().toISOString();
    if (d.email !== undefined && !methods.some((m) => m.kind === 'email')) {
      await s.store.methods.create(
        {
          id: s.random.uuid(),
          userId: user.id,
          kind: 'email',
          status: 'active',
          data: { kind: 'email', email: d.email },
        },
        now,
      );
    }
    if (d.mobilePhone !== undefined && !methods.some((m) => m.kind === 'sms')) {
      for (const kind of ['sms', 'voice'] as const) {
        await s.store.methods.create(
          {
            id: s.random.uuid(),
            userId: user.id,
            kind,
            status: 'active',
            data: { kind, phone: d.mobilePhone },
          },
          now,
        );
      }
    }
    if (d.totp === true) {
      const existing = methods.find(
        (m): m is AuthMethod & { data: { kind: 'totp' } } =>
          m.data.kind === 'totp' && m.status === 'active',
      );
      if (existing) {
        secrets.set(d.upn, s.secretBox.open(existing.data.secretEncrypted));
      } else {
        const secret = generateTotpSecret(s.random);
        await s.store.methods.create(
          {
            id: s.random.uuid(),
            userId: user.id,
            kind: 'totp',
            status: 'active',
            data: {
              kind: 'totp',
              secretEncrypted: s.secretBox.seal(secret),
              label: 'Authenticator app',
            },
          },
          now,
        );
        secrets.set(d.upn, secret);
      }
    }
  }
  return secrets;
}

/** The "what to try" banner. */
export async function printDemoBanner(
  runtime: ServerRuntime,
  config: Config,
  url: string,
  secrets: Map<string, string>,
  io: CliIo,
): Promise<void> {
  const { token } = await createAdminToken(runtime.services, 'demo');
  const api = `${url}/api/v1`;
  const lines = [
    '',
    'OpenSSPR demo is running (SQLite store, cloud-only users, development outbox).',
    '',
    `  Portal:       ${url}/           (self-service reset and unlock)`,
    `  Account:      ${url}/account    (sign in, security info, change password)`,
    `  Admin center: ${url}/admin      (sign in as admin@contoso.com, below)`,
    `  API:          ${api}`,
    `  OpenAPI:      ${api}/openapi.json`,
    `  Dev outbox:   ${url}/dev/outbox   (every mail, text message and call the demo "sends")`,
    `  Health:       ${url}/healthz`,
    `  Data:         ${config.store.url}`,
    `  Admin token:  ${token}`,
    '',
    'Sample users:',
    ...demoUsers.map((d) => `  ${d.upn.padEnd(26)} password ${d.password.padEnd(19)} ${d.note}`),
    ...[...secrets].map(
      ([upn, secret]) =>
        `  TOTP secret of ${upn}: ${secret}   (current code: npx sspr totp ${secret})`,
    ),
    '',
    'Try a self-service reset for Alex (authenticator app):',
    `  curl -s -X POST ${api}/sspr/flows -H 'content-type: application/json' -d '{"userId":"alex.wilber@contoso.com"}'`,
    `  curl -s -X POST ${api}/sspr/flows/FLOW_ID/verify -H 'content-type: application/json' -d '{"method":"totp","code":"'$(npx sspr totp ${secrets.get('alex.wilber@contoso.com') ?? 'SECRET'})'"}'`,
    `  curl -s -X POST ${api}/sspr/flows/FLOW_ID/reset -H 'content-type: application/json' -d '{"newPassword":"Lantern-Reef-5082!"}'`,
    'Or for Adele (email): POST .../challenge {"method":"email"}, read the code at /dev/outbox, then .../verify {"method":"email","code":"…"}.',
    'Or for Lynne (mobile phone): the same with {"method":"sms"} (a text) or {"method":"voice"} (a call).',
    '',
    'Admin API:',
    `  export SSPR_ADMIN_TOKEN=${token}`,
    `  npx sspr admin policy show --server ${url}`,
    `  npx sspr admin policy set methodsRequired=2 --server ${url}`,
    `  curl -s ${api}/admin/audit -H "authorization: Bearer $SSPR_ADMIN_TOKEN"`,
    '',
    config.captcha.enabled
      ? 'CAPTCHA is on: flows need a solved proof-of-work from GET /api/v1/sspr/captcha.'
      : 'CAPTCHA is off in the demo so curl works; SSPR_CAPTCHA_ENABLED=true turns it on.',
    'Press Ctrl+C to stop. The data stays in the data directory; delete it to start afresh.',
    '',
  ];
  for (const line of lines) io.out(line);
}
