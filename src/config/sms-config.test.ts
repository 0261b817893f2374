/** The `sms.*` keys: provider, and the generic webhook's url, token (or header secret), timeout. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { loadConfig } from './load.js';
import { secretKeys, type Config } from './schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-sms-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const load = (env: Record<string, string>): Config => loadConfig({ env, cwd: dir });

function issuesOf(env: Record<string, string>): Pick<ConfigIssue, 'key' | 'message'>[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.issues.map(({ key, message }) => ({ key, message }));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('sms config', () => {
  it('defaults to no provider and a 10 s webhook timeout', () => {
    expect(load({}).sms).toEqual({ provider: 'none', webhook: { timeoutMs: 10_000 } });
  });

  it('reads the webhook keys, the token from a _FILE, and treats the token as a secret', () => {
    writeFileSync(join(dir, 'sms-token'), 'tok-from-file\n');
    const config = load({
      SSPR_SMS_PROVIDER: 'webhook',
      SSPR_SMS_WEBHOOK_URL: 'https://sms-relay.example.com/send',
      SSPR_SMS_WEBHOOK_TOKEN_FILE: 'sms-token',
      SSPR_SMS_WEBHOOK_HEADER: 'X-Api-Key',
      SSPR_SMS_WEBHOOK_TIMEOUT_MS: '2500',
    });
    expect(config.sms).toEqual({
      provider: 'webhook',
      webhook: {
        url: 'https://sms-relay.example.com/send',
        token: 'tok-from-file',
        header: 'X-Api-Key',
        timeoutMs: 2500,
      },
    });
    expect(secretKeys).toContain('sms.webhook.token');
  });

  it('accepts plain http only to a loopback relay', () => {
    for (const url of ['http://127.0.0.1:9000/sms', 'http://localhost:9000/sms', 'http://[::1]/']) {
      expect(
        load({ SSPR_SMS_PROVIDER: 'webhook', SSPR_SMS_WEBHOOK_URL: url }).sms.webhook.url,
      ).toBe(url);
    }
    for (const url of [
      'http://sms-relay.example.com/send',
      'http://10.1.2.3/send',
      'https://user:pass@sms-relay.example.com/send',
      'ftp://sms-relay.example.com/',
    ]) {
      const issues = issuesOf({ SSPR_SMS_PROVIDER: 'webhook', SSPR_SMS_WEBHOOK_URL: url });
      expect(issues.map((i) => i.key)).toEqual(['sms.webhook.url']);
      expect(issues[0]?.message).toMatch(/https:\/\/ URL/);
    }
  });

  it('requires the URL with provider webhook, and a token with a header', () => {
    expect(
      issuesOf({ SSPR_SMS_PROVIDER: 'webhook', SSPR_SMS_WEBHOOK_HEADER: 'X-Api-Key' }),
    ).toEqual([
      { key: 'sms.webhook.url', message: 'is required when sms.provider is webhook' },
      { key: 'sms.webhook.token', message: 'is required when sms.webhook.header is set' },
    ]);
  });

  it('refuses twilio (reserved) with a pointer to webhook, a bad header name and timeout', () => {
    const twilio = issuesOf({ SSPR_SMS_PROVIDER: 'twilio' });
    expect(twilio.map((i) => i.key)).toEqual(['sms.provider']);
    expect(twilio[0]?.message).toContain('use webhook');
    const issues = issuesOf({
      SSPR_SMS_WEBHOOK_HEADER: 'X Api Key',
      SSPR_SMS_WEBHOOK_TOKEN: 'tok',
      SSPR_SMS_WEBHOOK_TIMEOUT_MS: '50',
    }).map((i) => i.key);
    expect(issues.sort()).toEqual(['sms.webhook.header', 'sms.webhook.timeoutMs']);
  });
});
