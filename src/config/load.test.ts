import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { loadConfig } from './load.js';
import { configKeys, type Config } from './schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const HEX_KEY = 'ab'.repeat(32);
const B64_KEY = Buffer.alloc(32, 7).toString('base64');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(env: Record<string, string | undefined> = {}, file?: string): Config {
  return loadConfig({ env, cwd: dir, file });
}

function issuesOf(env: Record<string, string | undefined> = {}, file?: string): ConfigIssue[] {
  try {
    load(env, file);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function errorOf(env: Record<string, string | undefined> = {}, file?: string): ConfigError {
  try {
    load(env, file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('keys and defaults', () => {
  it('has every key of the contract with its exact name and env variable', () => {
    const expected = [
      ['dataDir', 'SSPR_DATA_DIR'],
      ['listen', 'SSPR_LISTEN'],
      ['publicUrl', 'SSPR_PUBLIC_URL'],
      ['store.url', 'SSPR_STORE_URL'],
      ['secrets.key', 'SSPR_SECRETS_KEY'],
      ['mail.smtp.host', 'SSPR_MAIL_SMTP_HOST'],
      ['mail.smtp.port', 'SSPR_MAIL_SMTP_PORT'],
      ['mail.smtp.secure', 'SSPR_MAIL_SMTP_SECURE'],
      ['mail.smtp.user', 'SSPR_MAIL_SMTP_USER'],
      ['mail.smtp.password', 'SSPR_MAIL_SMTP_PASSWORD'],
      ['mail.smtp.from', 'SSPR_MAIL_SMTP_FROM'],
      ['mail.smtp.tls.rejectUnauthorized', 'SSPR_MAIL_SMTP_TLS_REJECT_UNAUTHORIZED'],
      ['sms.provider', 'SSPR_SMS_PROVIDER'],
      ['captcha.enabled', 'SSPR_CAPTCHA_ENABLED'],
      ['rateLimit.perIpPerMinute', 'SSPR_RATE_LIMIT_PER_IP_PER_MINUTE'],
      ['trustProxy', 'SSPR_TRUST_PROXY'],
      ['organization.name', 'SSPR_ORGANIZATION_NAME'],
      ['log.level', 'SSPR_LOG_LEVEL'],
      ['sessions.ttlMinutes', 'SSPR_SESSIONS_TTL_MINUTES'],
      ['demo', 'SSPR_DEMO'],
      ['server.url', 'SSPR_SERVER_URL'],
      ['server.registrationToken', 'SSPR_SERVER_REGISTRATION_TOKEN'],
      ['directory.kind', 'SSPR_DIRECTORY_KIND'],
      ['directory.urls', 'SSPR_DIRECTORY_URLS'],
      ['directory.bindDn', 'SSPR_DIRECTORY_BIND_DN'],
      ['directory.bindPassword', 'SSPR_DIRECTORY_BIND_PASSWORD'],
      ['directory.baseDn', 'SSPR_DIRECTORY_BASE_DN'],
      ['directory.scope', 'SSPR_DIRECTORY_SCOPE'],
      ['directory.tls.ca', 'SSPR_DIRECTORY_TLS_CA'],
      ['directory.tls.rejectUnauthorized', 'SSPR_DIRECTORY_TLS_REJECT_UNAUTHORIZED'],
    ];
    const actual = new Map(configKeys.map((k) => [k.key, k.env]));
    for (const [key, env] of expected) expect(actual.get(key ?? ''), key).toBe(env);
    expect(actual.has('flows.ttlMinutes')).toBe(false);
  });

  it('gives every key a unique env variable, a description and no clash with a _FILE name', () => {
    const envs = configKeys.map((k) => k.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const env of envs) expect(envs).not.toContain(`${env}_FILE`);
    for (const key of configKeys) expect(key.description.length, key.key).toBeGreaterThan(10);
  });

  it('applies the defaults, resolving paths against cwd', () => {
    const config = load();
    expect(config).toMatchObject({
      dataDir: join(dir, 'data'),
      demo: false,
      listen: '127.0.0.1:8080',
      publicUrl: 'http://127.0.0.1:8080',
      trustProxy: false,
      store: { url: `sqlite:${join(dir, 'data', 'sspr.db')}` },
      organization: { name: 'OpenSSPR' },
      log: { level: 'info' },
      sessions: { ttlMinutes: 480 },
      rateLimit: { perIpPerMinute: 60 },
      captcha: { enabled: true },
      mail: { smtp: { port: 587, secure: false, tls: { rejectUnauthorized: true } } },
      sms: { provider: 'none' },
      directory: { urls: [], scope: [], tls: { rejectUnauthorized: true } },
    });
    expect(config.secrets.key).toBeUndefined();
    expect(config.mail.smtp.host).toBeUndefined();
    expect(config.server.url).toBeUndefined();
    expect(config.directory.kind).toBeUndefined();
  });

  it('freezes the result deeply', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mail.smtp.tls)).toBe(true);
    expect(Object.isFrozen(config.directory.urls)).toBe(true);
    expect(() => {
      (config.mail.smtp as { port: number }).port = 25;
    }).toThrow(TypeError);
  });
});

describe('precedence: defaults < file < env < _FILE', () => {
  it('layers each source over the previous one, key by key', () => {
    const file = write(
      'sspr.yaml',
      [
        'listen: 0.0.0.0:9000',
        'organization: { name: From File }',
        'mail:',
        '  smtp:',
        '    host: smtp.file.test',
        '    from: sspr@file.test',
        '    user: file-user',
        '    password: file-password',
      ].join('\n'),
    );
    write('password.txt', 'file-secret\n');
    const config = load(
      {
        SSPR_ORGANIZATION_NAME: 'From Env',
        SSPR_MAIL_SMTP_USER: 'env-user',
        SSPR_MAIL_SMTP_PASSWORD: 'env-password',
        SSPR_MAIL_SMTP_PASSWORD_FILE: 'password.txt',
      },
      file,
    );
    expect(config.rateLimit.perIpPerMinute).toBe(60); // default
    expect(config.listen).toBe('0.0.0.0:9000'); // file
    expect(config.mail.smtp.host).toBe('smtp.file.test'); // file
    expect(config.organization.name).toBe('From Env'); // env over file
    expect(config.mail.smtp.user).toBe('env-user'); // env over file
    expect(config.mail.smtp.password).toBe('file-secret'); // _FILE over env and file
  });

  it('reads the file named by SSPR_CONFIG when no file is given, and prefers the given one', () => {
    write('a.yaml', 'organization: { name: A }');
    write('b.yaml', 'organization: { name: B }');
    expect(load({ SSPR_CONFIG: 'a.yaml' }).organization.name).toBe('A');
    expect(load({ SSPR_CONFIG: 'a.yaml' }, 'b.yaml').organization.name).toBe('B');
  });

  it('treats an empty env value and a YAML null as not set', () => {
    const file = write('sspr.yaml', 'listen: 127.0.0.1:7000\nmail:\n  smtp:\n    host:\nlog:\n');
    const config = load({ SSPR_LISTEN: '', SSPR_MAIL_SMTP_PORT: '' }, file);
    expect(config.listen).toBe('127.0.0.1:7000');
    expect(config.mail.smtp.port).toBe(587);
    expect(config.mail.smtp.host).toBeUndefined();
    expect(config.log.level).toBe('info');
  });
});

describe('env coercion', () => {
  it('derives the variable names from the schema path', () => {
    const config = load({
      SSPR_STORE_URL: 'postgres://sspr@db.test/sspr',
      SSPR_DIRECTORY_TLS_REJECT_UNAUTHORIZED: 'false',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      SSPR_MAIL_SMTP_PASSWORD: 'pw',
      SSPR_MAIL_SMTP_USER: 'u',
    });
    expect(config.store.url).toBe('postgres://sspr@db.test/sspr');
    expect(config.directory.tls.rejectUnauthorized).toBe(false);
    expect(config.rateLimit.perIpPerMinute).toBe(0);
    expect(config.mail.smtp.password).toBe('pw');
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
    [' NO ', false],
  ])('reads the boolean %j as %s', (text, value) => {
    expect(load({ SSPR_TRUST_PROXY: text }).trustProxy).toBe(value);
    expect(load({ SSPR_CAPTCHA_ENABLED: text }).captcha.enabled).toBe(value);
  });

  it('rejects other boolean words, naming the key and its variable', () => {
    expect(issuesOf({ SSPR_TRUST_PROXY: 'maybe' })).toEqual([
      {
        key: 'trustProxy',
        env: 'SSPR_TRUST_PROXY',
        source: 'env',
        message: 'must be one of true, false, 1, 0, yes, no (got "maybe")',
      },
    ]);
  });

  it('reads whole numbers and rejects anything else', () => {
    expect(load({ SSPR_MAIL_SMTP_PORT: ' 465 ' }).mail.smtp.port).toBe(465);
    expect(load({ SSPR_SESSIONS_TTL_MINUTES: '+30' }).sessions.ttlMinutes).toBe(30);
    for (const bad of ['12abc', '1.5', '0x10', 'sixty']) {
      expect(issuesOf({ SSPR_MAIL_SMTP_PORT: bad })).toEqual([
        expect.objectContaining({ key: 'mail.smtp.port', source: 'env' }),
      ]);
    }
  });

  it('checks the coerced number against the schema bounds', () => {
    expect(issuesOf({ SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '-1' })).toEqual([
      {
        key: 'rateLimit.perIpPerMinute',
        env: 'SSPR_RATE_LIMIT_PER_IP_PER_MINUTE',
        source: 'env',
        message: 'must be at least 0',
      },
    ]);
  });

  it('splits lists on commas, trimming and dropping empty items', () => {
    const config = load({ SSPR_DIRECTORY_URLS: ' ldaps://dc1.test:636, ldap://dc2.test ,,' });
    expect(config.directory.urls).toEqual(['ldaps://dc1.test:636', 'ldap://dc2.test']);
  });

  it('accepts a JSON array for a list, and rejects a broken one', () => {
    expect(load({ SSPR_DIRECTORY_URLS: '["ldap://a.test"]' }).directory.urls).toEqual([
      'ldap://a.test',
    ]);
    expect(issuesOf({ SSPR_DIRECTORY_URLS: '["ldap://a.test"' })).toEqual([
      expect.objectContaining({ key: 'directory.urls', source: 'env' }),
    ]);
    expect(issuesOf({ SSPR_DIRECTORY_URLS: '[1, 2]' })).toEqual([
      expect.objectContaining({ key: 'directory.urls', source: 'env' }),
    ]);
  });

  it('splits the DN list directory.scope on semicolons, since DNs contain commas', () => {
    const config = load({
      SSPR_DIRECTORY_BASE_DN: 'DC=example,DC=com',
      SSPR_DIRECTORY_SCOPE: 'OU=Staff,DC=example,DC=com; OU=IT,DC=example,DC=com',
    });
    expect(config.directory.scope).toEqual([
      'OU=Staff,DC=example,DC=com',
      'OU=IT,DC=example,DC=com',
    ]);
    expect(load({ SSPR_DIRECTORY_SCOPE: 'OU=Staff,DC=example,DC=com' }).directory.scope).toEqual([
      'OU=Staff,DC=example,DC=com',
    ]);
  });

  it('passes enum values through (trimmed) and reports a value outside the enum', () => {
    expect(load({ SSPR_LOG_LEVEL: ' debug ' }).log.level).toBe('debug');
    expect(load({ SSPR_DIRECTORY_KIND: 'openldap' }).directory.kind).toBe('openldap');
    expect(issuesOf({ SSPR_SMS_PROVIDER: 'carrier-pigeon' })).toEqual([
      {
        key: 'sms.provider',
        env: 'SSPR_SMS_PROVIDER',
        source: 'env',
        message: 'must be one of: none, webhook, twilio',
      },
    ]);
  });

  it('keeps strings verbatim', () => {
    expect(load({ SSPR_ORGANIZATION_NAME: ' Contoso, Ltd. ' }).organization.name).toBe(
      ' Contoso, Ltd. ',
    );
  });
});

describe('_FILE secrets', () => {
  it('reads the value from the file, trimming exactly one trailing newline', () => {
    write('one.txt', 's3cret\n');
    write('two.txt', 's3cret\n\n');
    write('crlf.txt', 's3cret\r\n');
    write('none.txt', 's3cret');
    const password = (file: string) =>
      load({ SSPR_MAIL_SMTP_USER: 'u', SSPR_MAIL_SMTP_PASSWORD_FILE: file }).mail.smtp.password;
    expect(password('one.txt')).toBe('s3cret');
    expect(password('two.txt')).toBe('s3cret\n');
    expect(password('crlf.txt')).toBe('s3cret');
    expect(password(join(dir, 'none.txt'))).toBe('s3cret');
  });

  it('works for every string key, not only secrets', () => {
    write('key.txt', `${HEX_KEY}\n`);
    write('url.txt', 'postgresql://sspr:pw@db.test:5432/sspr\n');
    const config = load({ SSPR_SECRETS_KEY_FILE: 'key.txt', SSPR_STORE_URL_FILE: 'url.txt' });
    expect(config.secrets.key).toBe(HEX_KEY);
    expect(config.store.url).toBe('postgresql://sspr:pw@db.test:5432/sspr');
  });

  it('reports a missing file by its path and variable', () => {
    const issues = issuesOf({ SSPR_DIRECTORY_BIND_PASSWORD_FILE: 'nope.txt' });
    expect(issues).toEqual([
      {
        key: 'directory.bindPassword',
        env: 'SSPR_DIRECTORY_BIND_PASSWORD_FILE',
        source: 'env',
        message: `cannot read ${join(dir, 'nope.txt')} (file not found)`,
      },
    ]);
  });

  it('is refused for keys that are not text', () => {
    write('port.txt', '25');
    expect(issuesOf({ SSPR_MAIL_SMTP_PORT_FILE: 'port.txt' })).toEqual([
      {
        key: 'mail.smtp.port',
        env: 'SSPR_MAIL_SMTP_PORT_FILE',
        source: 'env',
        message: 'only text keys can be read from a file; set SSPR_MAIL_SMTP_PORT instead',
      },
    ]);
  });
});

describe('unknown keys', () => {
  it('rejects unknown YAML keys at any depth, suggesting the closest key', () => {
    const file = write(
      'sspr.yaml',
      'listn: 1.2.3.4:80\nmail:\n  smtp:\n    hots: smtp.test\nflows:\n  ttlMinutes: 30\n',
    );
    const issues = issuesOf({}, file);
    expect(issues).toEqual(
      expect.arrayContaining([
        { key: 'listn', source: 'file', message: 'unknown key (did you mean listen?)' },
        {
          key: 'mail.smtp.hots',
          source: 'file',
          message: 'unknown key (did you mean mail.smtp.host?)',
        },
        { key: 'flows', source: 'file', message: 'unknown key' },
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('reports SSPR_* variables that match no key, except the allow-list', () => {
    const issues = issuesOf({
      SSPR_STORE_URI: 'sqlite:x.db',
      SSPR_FROBNICATE: '1',
      SSPR_SERVER: 'http://localhost:8080',
      SSPR_ADMIN_TOKEN: 't',
      SSPR_TEST_ANYTHING: 'x',
      PATH: '/usr/bin',
      HOME: '/root',
    });
    expect(issues).toEqual([
      { key: 'SSPR_FROBNICATE', source: 'env', message: 'not a configuration variable' },
      {
        key: 'SSPR_STORE_URI',
        source: 'env',
        message: 'not a configuration variable (did you mean SSPR_STORE_URL?)',
      },
    ]);
  });
});

describe('the file', () => {
  it('names the path of a missing explicit file', () => {
    const path = join(dir, 'missing.yaml');
    expect(issuesOf({}, 'missing.yaml')).toEqual([
      { key: path, source: 'file', message: 'config file not found' },
    ]);
    expect(errorOf({}, 'missing.yaml').message).toContain(path);
  });

  it('reports YAML syntax errors and a document that is not a mapping', () => {
    const broken = write('broken.yaml', 'listen: [\n');
    expect(issuesOf({}, broken)[0]).toMatchObject({
      key: broken,
      source: 'file',
      message: expect.stringMatching(/^not valid YAML: /) as unknown,
    });
    const list = write('list.yaml', '- a\n- b\n');
    expect(issuesOf({}, list)).toEqual([
      {
        key: list,
        source: 'file',
        message: 'must be a YAML mapping of keys (e.g. `listen: 127.0.0.1:8080`)',
      },
    ]);
  });

  it('does not coerce YAML types: the file says what it means', () => {
    const file = write('sspr.yaml', 'listen: 8080\nrateLimit:\n  perIpPerMinute: 1.5\n');
    expect(issuesOf({}, file)).toEqual([
      {
        key: 'listen',
        env: 'SSPR_LISTEN',
        source: 'file',
        message: 'must be text, not a whole number',
      },
      {
        key: 'rateLimit.perIpPerMinute',
        env: 'SSPR_RATE_LIMIT_PER_IP_PER_MINUTE',
        source: 'file',
        message: 'must be a whole number, not 1.5',
      },
    ]);
  });

  it('reports a section given as a scalar', () => {
    const file = write('sspr.yaml', 'mail: smtp.example.com\n');
    expect(issuesOf({}, file)).toEqual([
      { key: 'mail', source: 'file', message: 'must be a section of keys, not text' },
    ]);
  });
});

describe('every problem at once', () => {
  it('collects file, env and schema problems into one error whose message lists each key', () => {
    const file = write(
      'sspr.yaml',
      [
        'store:',
        '  url: mysql://db/sspr',
        'log:',
        '  level: loud',
        'mail:',
        '  smtp:',
        '    host: smtp.test',
        '    port: 0',
        'directory:',
        '  urls: [ldap://dc1.test, http://dc2.test]',
        'bogus: 1',
      ].join('\n'),
    );
    const error = errorOf(
      { SSPR_TRUST_PROXY: 'maybe', SSPR_LISTEN: 'localhost', SSPR_SECRETS_KEY: 'too-short' },
      file,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('SSPR_9001');
    const lines = [
      'store.url (SSPR_STORE_URL): must start with sqlite: or postgres://',
      'log.level (SSPR_LOG_LEVEL): must be one of: fatal, error, warn, info, debug, trace, silent',
      'mail.smtp.port (SSPR_MAIL_SMTP_PORT): must be at least 1',
      'mail.smtp.from (SSPR_MAIL_SMTP_FROM): is required when mail.smtp.host is set',
      'directory.urls (SSPR_DIRECTORY_URLS): item 2: must be an ldap:// or ldaps:// URL',
      'bogus: unknown key',
      'trustProxy (SSPR_TRUST_PROXY): must be one of true, false, 1, 0, yes, no (got "maybe")',
      'listen (SSPR_LISTEN): must be host:port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080',
      'secrets.key (SSPR_SECRETS_KEY): must be 32 bytes, base64 or hex encoded (generate one with: openssl rand -base64 32)',
    ];
    for (const line of lines) expect(error.message).toContain(`  ${line}\n`.trimEnd());
    expect(error.issues).toHaveLength(lines.length);
    expect(error.message.split('\n')[0]).toBe(
      `The configuration is not valid (${lines.length} problems):`,
    );
  });

  it('attributes each problem to its source', () => {
    const file = write('sspr.yaml', 'mail:\n  smtp:\n    host: smtp.test\n');
    const issues = issuesOf({ SSPR_SESSIONS_TTL_MINUTES: '0' }, file);
    expect(issues).toEqual([
      expect.objectContaining({ key: 'sessions.ttlMinutes', source: 'env' }),
      expect.objectContaining({ key: 'mail.smtp.from', source: 'default' }),
    ]);
  });

  it('never echoes a secret value', () => {
    const error = errorOf({ SSPR_SECRETS_KEY: 'hunter2-not-a-key' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('values', () => {
  it.each([
    '127.0.0.1:8080',
    '0.0.0.0:80',
    'localhost:3000',
    'sspr.example.com:443',
    '[::1]:8080',
    '[::]:0',
  ])('accepts listen %s', (listen) => {
    expect(load({ SSPR_LISTEN: listen }).listen).toBe(listen);
  });

  it.each([
    '8080',
    'localhost',
    ':8080',
    '127.0.0.1:65536',
    '300.1.1.1:80',
    '::1:8080',
    '[nope]:80',
    'a b:80',
  ])('rejects listen %s', (listen) => {
    expect(issuesOf({ SSPR_LISTEN: listen })).toEqual([
      expect.objectContaining({ key: 'listen', source: 'env' }),
    ]);
  });

  it('derives publicUrl from listen, loopback for wildcard hosts, and strips a trailing slash', () => {
    expect(load({ SSPR_LISTEN: 'localhost:3000' }).publicUrl).toBe('http://localhost:3000');
    expect(load({ SSPR_LISTEN: '0.0.0.0:80' }).publicUrl).toBe('http://127.0.0.1:80');
    expect(load({ SSPR_LISTEN: '[::]:8080' }).publicUrl).toBe('http://[::1]:8080');
    expect(load({ SSPR_PUBLIC_URL: 'https://sspr.example.com/' }).publicUrl).toBe(
      'https://sspr.example.com',
    );
    expect(issuesOf({ SSPR_PUBLIC_URL: 'ftp://x.test' })).toEqual([
      expect.objectContaining({ key: 'publicUrl' }),
    ]);
  });

  it('resolves relative paths against cwd and derives the SQLite default from dataDir', () => {
    const config = load({ SSPR_DATA_DIR: 'state' });
    expect(config.dataDir).toBe(join(dir, 'state'));
    expect(config.store.url).toBe(`sqlite:${join(dir, 'state', 'sspr.db')}`);
    expect(load({ SSPR_DATA_DIR: '/var/lib/sspr' }).dataDir).toBe('/var/lib/sspr');
    expect(load({ SSPR_STORE_URL: 'sqlite:db/x.db' }).store.url).toBe(
      `sqlite:${join(dir, 'db', 'x.db')}`,
    );
    expect(load({ SSPR_STORE_URL: 'sqlite:/abs/x.db' }).store.url).toBe('sqlite:/abs/x.db');
    expect(load({ SSPR_STORE_URL: 'sqlite::memory:' }).store.url).toBe('sqlite::memory:');
  });

  it('accepts postgres:// and postgresql:// store URLs and nothing else', () => {
    expect(load({ SSPR_STORE_URL: 'postgres://u:p@h:5432/d' }).store.url).toBe(
      'postgres://u:p@h:5432/d',
    );
    expect(load({ SSPR_STORE_URL: 'postgresql://h/d' }).store.url).toBe('postgresql://h/d');
    for (const bad of ['mysql://h/d', 'sqlite:', 'postgres://', 'data/sspr.db']) {
      expect(issuesOf({ SSPR_STORE_URL: bad })).toEqual([
        {
          key: 'store.url',
          env: 'SSPR_STORE_URL',
          source: 'env',
          message: 'must start with sqlite: or postgres://',
        },
      ]);
    }
  });

  it('resolves a CA file path but keeps PEM text', () => {
    expect(load({ SSPR_DIRECTORY_TLS_CA: 'ca.pem' }).directory.tls.ca).toBe(join(dir, 'ca.pem'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    expect(load({ SSPR_DIRECTORY_TLS_CA: pem }).directory.tls.ca).toBe(pem);
  });

  it('accepts a 32-byte key as hex or base64 only', () => {
    expect(load({ SSPR_SECRETS_KEY: HEX_KEY }).secrets.key).toBe(HEX_KEY);
    expect(load({ SSPR_SECRETS_KEY: B64_KEY }).secrets.key).toBe(B64_KEY);
    for (const bad of ['ab'.repeat(16), Buffer.alloc(16).toString('base64'), 'x'.repeat(44)]) {
      expect(issuesOf({ SSPR_SECRETS_KEY: bad })).toEqual([
        expect.objectContaining({ key: 'secrets.key', source: 'env' }),
      ]);
    }
  });

  it('requires from with an SMTP host and user with a password', () => {
    expect(
      issuesOf({ SSPR_MAIL_SMTP_HOST: 'smtp.test', SSPR_MAIL_SMTP_PASSWORD: 'pw' }).map(
        (i) => i.key,
      ),
    ).toEqual(['mail.smtp.from', 'mail.smtp.user']);
    expect(
      load({
        SSPR_MAIL_SMTP_HOST: 'smtp.test',
        SSPR_MAIL_SMTP_FROM: 'OpenSSPR <sspr@example.com>',
      }).mail.smtp.from,
    ).toBe('OpenSSPR <sspr@example.com>');
    expect(
      issuesOf({ SSPR_MAIL_SMTP_HOST: 'smtp.test', SSPR_MAIL_SMTP_FROM: 'not an address' }),
    ).toEqual([expect.objectContaining({ key: 'mail.smtp.from' })]);
  });

  it('requires each scope DN to lie within baseDn', () => {
    const issues = issuesOf({
      SSPR_DIRECTORY_BASE_DN: 'DC=example,DC=com',
      SSPR_DIRECTORY_SCOPE: 'ou=Staff, dc=EXAMPLE, dc=com;OU=X,DC=other,DC=com;not a dn',
    });
    expect(issues).toEqual([
      {
        key: 'directory.scope',
        env: 'SSPR_DIRECTORY_SCOPE',
        source: 'env',
        message: 'item 3: must be a DN such as OU=Staff,DC=example,DC=com',
      },
      {
        key: 'directory.scope',
        env: 'SSPR_DIRECTORY_SCOPE',
        source: 'env',
        message: 'item 2: must lie within directory.baseDn (DC=example,DC=com)',
      },
    ]);
  });

  it('loads a complete agent configuration from YAML', () => {
    const file = write(
      'agent.yaml',
      [
        'dataDir: /var/lib/sspr-agent',
        'server:',
        '  url: https://sspr.example.com',
        '  registrationToken: tok',
        'directory:',
        '  kind: ad',
        '  urls: [ldaps://dc1.example.com, ldaps://dc2.example.com]',
        '  bindDn: svc-sspr@example.com',
        '  bindPassword: pw',
        '  baseDn: DC=example,DC=com',
        '  scope:',
        '    - OU=Staff,DC=example,DC=com',
        '  tls: { ca: /etc/ssl/ad-ca.pem, rejectUnauthorized: false }',
      ].join('\n'),
    );
    expect(load({}, file)).toMatchObject({
      dataDir: '/var/lib/sspr-agent',
      server: { url: 'https://sspr.example.com', registrationToken: 'tok' },
      directory: {
        kind: 'ad',
        urls: ['ldaps://dc1.example.com', 'ldaps://dc2.example.com'],
        bindDn: 'svc-sspr@example.com',
        baseDn: 'DC=example,DC=com',
        scope: ['OU=Staff,DC=example,DC=com'],
        tls: { ca: '/etc/ssl/ad-ca.pem', rejectUnauthorized: false },
      },
    });
  });
});

describe('DN lists in YAML', () => {
  it('explains the unquoted flow-list trap, where commas split a DN into items', () => {
    const file = write(
      'sspr.yaml',
      'directory:\n  baseDn: DC=example,DC=com\n  scope: [OU=Staff,DC=example,DC=com]\n',
    );
    const issues = issuesOf({}, file);
    expect(issues[0]?.message).toBe(
      'item 1: must lie within directory.baseDn (DC=example,DC=com); in a YAML [a, b] list, quote DNs: commas split items',
    );
    const quoted = write(
      'quoted.yaml',
      'directory:\n  baseDn: DC=example,DC=com\n  scope: ["OU=Staff,DC=example,DC=com"]\n',
    );
    expect(load({}, quoted).directory.scope).toEqual(['OU=Staff,DC=example,DC=com']);
  });
});
