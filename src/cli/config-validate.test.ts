import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configKeys } from '../config/schema.js';
import { registerConfigValidate } from './config-validate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-cli-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

interface Run {
  out: string[];
  err: string[];
  exitCode: typeof process.exitCode;
}

async function run(
  args: string[],
  env: Record<string, string | undefined> = {},
  program = new Command(),
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  program.exitOverride();
  registerConfigValidate(program, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
    cwd: dir,
  });
  await program.parseAsync(args, { from: 'user' });
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { out, err, exitCode };
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SECRETS = {
  key: Buffer.alloc(32, 9).toString('base64'),
  smtp: 'smtp-pa55word',
  bind: 'bind-pa55word',
  token: 'registration-t0ken',
  pg: 'pg-pa55word',
};

describe('sspr config validate', () => {
  it('prints configuration OK with the store kind and listen address, exit code unset', async () => {
    const file = write('sspr.yaml', 'listen: 0.0.0.0:9090\n');
    const result = await run(['config', 'validate', '--config', file]);
    expect(result.err).toEqual([]);
    expect(result.exitCode).toBeUndefined();
    expect(result.out[0]).toBe('configuration OK');
    expect(result.out).toContain(`  file: ${file}`);
    expect(result.out).toContain(`  store: sqlite ${join(dir, 'data', 'sspr.db')}`);
    expect(result.out).toContain('  listen: 0.0.0.0:9090');
    expect(result.out).toContain('  publicUrl: http://127.0.0.1:9090');
    expect(result.out).toContain(
      `  secrets.key: not set; the server uses ${join(dir, 'data')}/secrets.key (generated on first start)`,
    );
  });

  it('works from the environment alone, and mentions demo mode', async () => {
    const result = await run(['config', 'validate'], {
      SSPR_STORE_URL: 'postgres://sspr@db.test:5432/sspr',
      SSPR_DEMO: 'yes',
    });
    expect(result.out).toContain('  file: (none: defaults and SSPR_* environment only)');
    expect(result.out).toContain('  store: postgres postgres://sspr@db.test:5432/sspr');
    expect(result.out).toContain('  demo: on (development outbox; not for production)');
  });

  it('summarises an agent configuration and names what `sspr agent` still needs', async () => {
    const partial = await run(['config', 'validate'], {
      SSPR_SERVER_URL: 'https://sspr.example.com',
      SSPR_DIRECTORY_KIND: 'ad',
      SSPR_DIRECTORY_URLS: 'ldaps://dc1.example.com,ldaps://dc2.example.com',
    });
    expect(partial.out).toContain('  agent: server.url https://sspr.example.com');
    expect(partial.out).toContain(
      '  agent: directory ad ldaps://dc1.example.com, ldaps://dc2.example.com, scope all of baseDn',
    );
    expect(partial.out).toContain('  agent: TLS certificate verification on');
    expect(partial.out).toContain(
      '  agent: missing for `sspr agent`: directory.bindDn, directory.bindPassword, directory.baseDn',
    );
    const server = await run(['config', 'validate']);
    expect(server.out.some((line) => line.includes('agent:'))).toBe(false);
  });

  it('never prints a secret, in the summary or with --show', async () => {
    write('smtp-password', `${SECRETS.smtp}\n`);
    const file = write(
      'sspr.yaml',
      [
        'mail:',
        '  smtp:',
        '    host: smtp.test',
        '    from: sspr@example.com',
        '    user: sspr',
        'directory:',
        `  bindPassword: ${SECRETS.bind}`,
        'server:',
        `  registrationToken: ${SECRETS.token}`,
      ].join('\n'),
    );
    const result = await run(['config', 'validate', '--config', file, '--show'], {
      SSPR_SECRETS_KEY: SECRETS.key,
      SSPR_MAIL_SMTP_PASSWORD_FILE: 'smtp-password',
      SSPR_STORE_URL: `postgresql://sspr:${SECRETS.pg}@db.test/sspr`,
    });
    expect(result.exitCode).toBeUndefined();
    const output = result.out.join('\n');
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    expect(result.out).toContain('  secrets.key: (set, redacted)');
    expect(result.out).toContain('  store: postgres postgresql://sspr:***@db.test/sspr');
    for (const key of [
      'secrets.key',
      'mail.smtp.password',
      'directory.bindPassword',
      'server.registrationToken',
    ]) {
      expect(result.out).toContain(`  ${key} = (set, redacted)`);
    }
    expect(result.out).toContain('  store.url = postgresql://sspr:***@db.test/sspr');
  });

  it('--show lists every key with its effective value', async () => {
    const result = await run(['config', 'validate', '--show'], {
      SSPR_DIRECTORY_URLS: 'ldap://a.test,ldap://b.test',
    });
    const shown = result.out.filter((line) => line.includes(' = '));
    expect(shown).toHaveLength(configKeys.length);
    expect(result.out).toContain('  rateLimit.perIpPerMinute = 60');
    expect(result.out).toContain('  captcha.enabled = true');
    expect(result.out).toContain('  mail.smtp.host = (not set)');
    expect(result.out).toContain('  directory.urls = ldap://a.test, ldap://b.test');
    expect(result.out).toContain('  directory.scope = (none)');
  });

  it('prints every problem and sets exit code 1', async () => {
    const file = write('sspr.yaml', 'store:\n  url: mysql://db/sspr\nlistn: x\n');
    const result = await run(['config', 'validate', '--config', file], {
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: 'lots',
      SSPR_MAIL_SMTP_PASSWORD: SECRETS.smtp,
    });
    expect(result.exitCode).toBe(1);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual([
      'configuration is not valid (4 problems):',
      '  rateLimit.perIpPerMinute (SSPR_RATE_LIMIT_PER_IP_PER_MINUTE): must be a whole number (got "lots")',
      '  store.url (SSPR_STORE_URL): must start with sqlite: or postgres://',
      '  mail.smtp.user (SSPR_MAIL_SMTP_USER): is required when mail.smtp.password is set',
      '  listn: unknown key (did you mean listen?)',
    ]);
    expect(result.err.join('\n')).not.toContain(SECRETS.smtp);
  });

  it('names a missing config file', async () => {
    const result = await run(['config', 'validate', '--config', 'nope.yaml']);
    expect(result.exitCode).toBe(1);
    expect(result.err).toEqual([
      'configuration is not valid (1 problem):',
      `  ${join(dir, 'nope.yaml')}: config file not found`,
    ]);
  });

  it('joins an existing `config` command instead of adding a second one', async () => {
    const program = new Command();
    program.command('config').description('already there');
    const result = await run(['config', 'validate'], {}, program);
    expect(result.out[0]).toBe('configuration OK');
    expect(program.commands.filter((c) => c.name() === 'config')).toHaveLength(1);
  });
});
