// Shared helpers for scripts/samba-dc.mjs and scripts/openldap.mjs: package installs, processes,
// ports, TLS material and a tiny LDAP bind probe. Plain Node, no dependencies.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import process from 'node:process';
import tls from 'node:tls';
import { fileURLToPath, URL } from 'node:url';

export const isRoot = process.getuid?.() === 0;
export const defaultBaseDir = fileURLToPath(new URL('../.test-run/', import.meta.url));
export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** `[tag +1.23s] message` on stderr; `log.timed(label, fn)` adds how long `fn` took. */
export function createLog(tag, sink = (line) => process.stderr.write(`${line}\n`)) {
  const t0 = performance.now();
  const log = (message) =>
    sink(`[${tag} +${((performance.now() - t0) / 1000).toFixed(2)}s] ${message}`);
  log.timed = async (label, fn) => {
    const t = performance.now();
    const result = await fn();
    log(`${label} (${((performance.now() - t) / 1000).toFixed(2)} s)`);
    return result;
  };
  return log;
}

/** Runs a command to completion → { stdout, stderr }; the error names the command and its output. */
export function run(command, args, { env, cwd = '/', input, timeoutMs = 300_000 } = {}) {
  return new Promise((done, fail) => {
    const child = execFile(
      command,
      args,
      { env: env ?? process.env, cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return done({ stdout, stderr });
        const output = `${stderr ?? ''}${stdout ?? ''}`.trim() || error.message;
        const err = new Error(`${command} ${args.join(' ')}: ${output.slice(-3000)}`, {
          cause: error,
        });
        err.stdout = stdout;
        err.stderr = stderr;
        fail(err);
      },
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

// ---------------------------------------------------------------------------------------------
// Debian packages
// ---------------------------------------------------------------------------------------------

/** The packages of `names` that dpkg does not report as installed. */
export async function missingPackages(names) {
  const { stdout } = await run('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...names]).catch(
    (error) => ({ stdout: error.stdout ?? '' }),
  );
  const installed = new Set(
    stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0].split(':')[0]),
  );
  return names.filter((name) => !installed.has(name));
}

let aptQueue = Promise.resolve();
let aptUpdated = false;

function aptGet(args, log) {
  return new Promise((done, fail) => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' };
    const argv = ['-o', 'DPkg::Lock::Timeout=600', '-o', 'Acquire::Retries=3', ...args];
    const child = spawn('apt-get', argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let tail = '';
    const keep = (chunk) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code === 0) return done();
      log(`apt-get ${args.join(' ')} failed:\n${tail}`);
      fail(new Error(`apt-get ${args.join(' ')} failed (exit ${code}): ${tail.slice(-600)}`));
    });
  });
}

/**
 * Makes sure the Debian `packages` are installed. As root: `apt-get update` (once per process)
 * and `apt-get install --no-install-recommends`, with a policy-rc.d that keeps package scripts
 * from starting services (created only for the install when absent). Otherwise throws `hint`.
 * Installs are serialised inside this process; other processes wait on dpkg's lock.
 */
export function ensurePackages({ packages, what, log }) {
  const job = aptQueue.then(async () => {
    const missing = await missingPackages(packages);
    if (missing.length === 0) return false;
    if (!isRoot) {
      throw new Error(
        `${what} is not installed (missing Debian packages: ${missing.join(' ')}). Run as root ` +
          'so the script can install it, or install it yourself: sudo apt-get install -y ' +
          `--no-install-recommends ${packages.join(' ')}`,
      );
    }
    const policy = '/usr/sbin/policy-rc.d';
    const ownPolicy = !existsSync(policy);
    if (ownPolicy) {
      log(`creating ${policy} (exit 101) so package scripts start no services`);
      await writeFile(policy, '#!/bin/sh\n# created by OpenSSPR test scripts\nexit 101\n');
      await chmod(policy, 0o755);
    }
    try {
      if (!aptUpdated) {
        await log.timed('apt-get update', () => aptGet(['update'], log));
        aptUpdated = true;
      }
      await log.timed(`apt-get install ${missing.join(' ')}`, () =>
        aptGet(['install', '-y', '--no-install-recommends', ...missing], log),
      );
    } finally {
      if (ownPolicy) await unlink(policy).catch(() => undefined);
    }
    const still = await missingPackages(packages);
    if (still.length > 0) throw new Error(`apt-get ran, but still missing: ${still.join(' ')}`);
    return true;
  });
  aptQueue = job.catch(() => undefined);
  return job;
}

// ---------------------------------------------------------------------------------------------
// Ports and addresses
// ---------------------------------------------------------------------------------------------

/** True when a TCP connect to host:port succeeds within a second. */
export function answers(host, port) {
  return new Promise((done) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const end = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
    socket.once('timeout', () => end(false));
  });
}

/** True when we could listen on host:port right now (nobody else holds it). */
export function canListen(host, port) {
  return new Promise((done) => {
    const server = net.createServer();
    server.once('error', () => done(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(true)));
  });
}

/** A TCP port the OS says is free on `host`. */
export function freePort(host = '127.0.0.1') {
  return new Promise((done, fail) => {
    const server = net.createServer().once('error', fail);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Addresses currently on the loopback interface (IPv4). */
export async function loopbackAddresses() {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo']);
  return [...stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]);
}

/** Polls `probe` (→ truthy when ready) every `intervalMs` until `timeoutMs`; `check` may throw. */
export async function waitUntil(label, probe, { timeoutMs = 60_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (error?.fatal) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${label}${why}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** True when `pid` runs (not a zombie) and, if given, its command line contains `name`. */
export function isAlive(pid, name) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  if (name === undefined) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return false;
  }
}

function groupMembers(pgid) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Starts a daemon in a new session/process group (it outlives this process), output appended to
 * `logFile` → its pid. `stopDaemon` later ends the whole group.
 */
export function startDaemon(command, args, { logFile, env } = {}) {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: env ?? process.env,
      cwd: '/',
    });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** SIGTERM to the daemon's process group, SIGKILL after `graceMs`; resolves once all are gone. */
export async function stopDaemon(pid, name, { graceMs = 10_000 } = {}) {
  if (!isAlive(pid, name)) return false;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) || groupMembers(pid).length > 0) {
    if (Date.now() > deadline) {
      signal('SIGKILL');
      await sleep(200);
      break;
    }
    await sleep(50);
  }
  return true;
}

/** The last `lines` lines of a log file (for error messages). */
export function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// Files, state and locks
// ---------------------------------------------------------------------------------------------

export async function readJson(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

export async function writeJson(file, value) {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await run('mv', ['-f', temp, file]);
}

/**
 * Guards an `rm -rf` of an instance directory: it must be missing, empty, or hold one of
 * `markers` (files our scripts create), so a mistyped `--dir` never wipes anything else.
 */
export function assertDisposable(dir, markers) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  if (entries.length === 0 || markers.some((m) => existsSync(resolve(dir, m)))) return;
  throw new Error(
    `${dir} exists and is not an instance directory of these scripts (none of ` +
      `${markers.join(', ')}); refusing to replace it. Pick another --dir or remove it yourself.`,
  );
}

/** `cp -a` (keeps owners, modes and the xattrs Samba's sysvol relies on). */
export async function copyTree(from, to) {
  await rm(to, { recursive: true, force: true });
  await mkdir(dirname(to), { recursive: true });
  await run('cp', ['-a', from, to]);
}

/**
 * Runs `fn` holding the lock file `file` (created with O_EXCL, holding our pid). A lock whose
 * holder died is taken over; a live holder is waited for up to `timeoutMs`.
 */
export async function withLock(file, fn, { timeoutMs = 600_000, log } = {}) {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (!isAlive(holder)) {
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${file} is still held by pid ${holder}`);
      if (!told) log?.(`waiting for pid ${holder} (lock ${file})`);
      told = true;
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

/** sha256 (hex) of files' contents: a cache key that changes when the seed scripts change. */
export function contentHash(files, extra = '') {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(file));
  hash.update(extra);
  return hash.digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// TLS material
// ---------------------------------------------------------------------------------------------

/**
 * A private CA and a server certificate for `ips`/`dnsNames` (openssl), written as ca.pem,
 * cert.pem and key.pem (0600) into `dir`.
 */
export async function makeTlsFiles({ dir, commonName, ips = [], dnsNames = [], days = 3650 }) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = (name) => resolve(dir, name);
  const openssl = (args) => run('openssl', args, { cwd: dir });
  await openssl(['genrsa', '-out', f('ca-key.pem'), '2048']);
  await openssl([
    'req', '-x509', '-new', '-key', f('ca-key.pem'), '-sha256', '-days', `${days}`,
    '-subj', `/O=OpenSSPR tests/CN=OpenSSPR test CA ${randomBytes(4).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', f('ca.pem'),
  ]); // prettier-ignore
  await openssl(['genrsa', '-out', f('key.pem'), '2048']);
  await openssl(['req', '-new', '-key', f('key.pem'), '-subj', `/CN=${commonName}`, '-out', f('server.csr')]); // prettier-ignore
  const san = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((name) => `DNS:${name}`)];
  await writeFile(
    f('server.ext'),
    [
      `subjectAltName=${san.join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'),
    '-CAcreateserial', '-days', `${days}`, '-sha256', '-extfile', f('server.ext'), '-out', f('cert.pem'),
  ]); // prettier-ignore
  await Promise.all(['server.csr', 'server.ext', 'ca.srl'].map((n) => rm(f(n), { force: true })));
  await chmod(f('key.pem'), 0o600);
  await chmod(f('ca-key.pem'), 0o600);
  return { caFile: f('ca.pem'), certFile: f('cert.pem'), keyFile: f('key.pem') };
}

/** RFC 2307 `{SSHA}` of a password (what slapd's olcPasswordHash {SSHA} stores). */
export function sshaHash(password) {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

// ---------------------------------------------------------------------------------------------
// A minimal LDAP simple bind (readiness probe; no dependency on ldapts in plain scripts)
// ---------------------------------------------------------------------------------------------

function berLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
const ber = (tag, body) => Buffer.concat([Buffer.from([tag]), berLength(body.length), body]);

/**
 * Simple bind over ldap:// or ldaps:// (certificate verified against `caFile`) → { code, message }.
 * `code` 0 means success; connection or TLS problems reject.
 */
export function ldapBind({ url, dn, password, caFile, timeoutMs = 5000 }) {
  const { protocol, hostname, port } = new URL(url);
  const secure = protocol === 'ldaps:';
  const host = hostname.replace(/^\[|\]$/g, '');
  const request = ber(
    0x30,
    Buffer.concat([
      ber(0x02, Buffer.from([1])),
      ber(
        0x60,
        Buffer.concat([
          ber(0x02, Buffer.from([3])),
          ber(0x04, Buffer.from(dn, 'utf8')),
          ber(0x80, Buffer.from(password, 'utf8')),
        ]),
      ),
    ]),
  );
  const unbind = Buffer.from([0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00]);
  return new Promise((done, fail) => {
    const options = { host, port: Number(port || (secure ? 636 : 389)), timeout: timeoutMs };
    const socket = secure
      ? tls.connect({ ...options, ca: caFile ? readFileSync(caFile) : undefined })
      : net.connect(options);
    let received = Buffer.alloc(0);
    const finish = (error, result) => {
      socket.removeAllListeners('data');
      if (!socket.destroyed) socket.end(unbind);
      socket.destroy();
      if (error) fail(error);
      else done(result);
    };
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const at = received.indexOf(0x61);
      const codeAt = received.indexOf(0x0a, at);
      if (at < 0 || codeAt < 0 || received.length < codeAt + 3) return;
      const code = received[codeAt + 2];
      // matchedDN then diagnosticMessage: two OCTET STRINGs after the result code.
      let i = codeAt + 3;
      const readString = () => {
        if (received[i] !== 0x04) return '';
        let len = received[i + 1];
        let start = i + 2;
        if (len & 0x80) {
          const bytes = len & 0x7f;
          len = received.readUIntBE(i + 2, bytes);
          start += bytes;
        }
        i = start + len;
        return received.subarray(start, start + len).toString('utf8');
      };
      readString();
      finish(undefined, { code, message: readString() });
    });
    socket.once('timeout', () => finish(new Error(`LDAP bind to ${url} timed out`)));
    socket.once('error', (error) => finish(error));
    socket.once('end', () => finish(new Error(`${url} closed the connection during bind`)));
  });
}

// ---------------------------------------------------------------------------------------------
// CLI plumbing
// ---------------------------------------------------------------------------------------------

export function isMain(importMetaUrl) {
  return Boolean(process.argv[1]) && resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}

/** Only the JSON-able connection facts of a handle (no functions). */
export function factsOf(handle) {
  return JSON.parse(JSON.stringify(handle));
}

// ---------------------------------------------------------------------------------------------
// For scripts/test.mjs
// ---------------------------------------------------------------------------------------------

const SERVERS = [
  ['SSPR_TEST_SAMBA', 'Samba AD DC', './samba-dc.mjs', 'Samba', 'samba', 'SAMBA_PACKAGES'],
  ['SSPR_TEST_OPENLDAP', 'OpenLDAP slapd', './openldap.mjs', 'OpenLdap', 'openldap', 'OPENLDAP_PACKAGES'],
]; // prettier-ignore

/**
 * Installs what the directories need (no-op when present) before anything else runs apt-get:
 * PostgreSQL's installer does not wait for dpkg's lock.
 */
export async function installDirectories({ env, log }) {
  for (const [variable, what, module, , tag, packages] of SERVERS) {
    if (env[variable]) continue;
    const list = (await import(module))[packages];
    if (await ensurePackages({ packages: list, what, log: createLog(tag) }))
      log(`${what}: installed`);
  }
}

/** Stops the servers of `<base>/runs/<pid>` directories whose test runner is gone, removes them. */
async function sweepRuns(runsDir, log) {
  let entries = [];
  try {
    entries = readdirSync(runsDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || isAlive(Number(entry))) continue;
    const dir = resolve(runsDir, entry);
    for (const [, what, module, name, tag] of SERVERS) {
      const stop = (await import(module))[`stop${name}`];
      if (await stop({ instanceDir: resolve(dir, tag) }).catch(() => false)) {
        log(`${what}: stopped one left running by test run ${entry}`);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the Samba DC and slapd in parallel (unless `env` already names them), exports their
 * facts as JSON in `env.SSPR_TEST_SAMBA` / `env.SSPR_TEST_OPENLDAP` and the base directory in
 * `env.SSPR_TEST_DIR`, and pushes their stop functions onto `stops` as soon as each is up.
 * Each run gets its own instances in `<base>/runs/<pid>/` (the provisioned template and TLS
 * files are shared), so two runs in one checkout do not stop each other's servers.
 */
export async function startDirectories({ baseDir, env, stops, log }) {
  const base = resolve(env.SSPR_TEST_DIR ?? baseDir);
  env.SSPR_TEST_DIR = base;
  const runsDir = resolve(base, 'runs');
  await sweepRuns(runsDir, log);
  const runDir = resolve(runsDir, String(process.pid));
  stops.push(() => rm(runDir, { recursive: true, force: true }));
  const results = await Promise.allSettled(
    SERVERS.map(async ([variable, what, module, name, tag]) => {
      if (env[variable]) {
        log(`${what}: using ${variable}`);
        return;
      }
      const instanceDir = resolve(runDir, tag);
      const start = (await import(module))[`start${name}`];
      const started = await start({ baseDir: base, instanceDir, log: createLog(tag) });
      stops.push(() => started.stop());
      env[variable] = JSON.stringify(factsOf(started));
      log(`${what}: ready at ${started.ldapsUrl}`);
    }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
