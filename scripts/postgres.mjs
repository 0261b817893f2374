#!/usr/bin/env node
// A private, throw-away PostgreSQL for the tests: `node scripts/postgres.mjs start|stop`, or
// `import { startPostgres } from './postgres.mjs'`. Plain Node, no dependencies.
// `start` prints the URL on stdout (progress goes to stderr); the server runs until `stop`.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const DATABASE = 'sspr_test';
const defaultBaseDir = fileURLToPath(new URL('../.test-run/', import.meta.url));
const isRoot = process.getuid?.() === 0;
const log = (message) => process.stderr.write(`[postgres] ${message}\n`);
const succeeds = (promise) => promise.then(() => true, () => false); // prettier-ignore

/** Runs a command; as root, `asPostgres` runs it as the unprivileged `postgres` user. */
async function run(command, args, { asPostgres = false } = {}) {
  const sudo = asPostgres && isRoot;
  const argv = sudo ? ['-u', 'postgres', '--', command, ...args] : args;
  try {
    return (await exec(sudo ? 'runuser' : command, argv, { cwd: '/' })).stdout;
  } catch (error) {
    const output = `${error.stderr ?? ''}${error.stdout ?? ''}`.trim() || error.message;
    throw new Error(`${command} ${args.join(' ')}: ${output.slice(-2000)}`, { cause: error });
  }
}

/** apt-get, with its progress on our stderr. */
function aptGet(args) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const { status } = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env });
  if (status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${status})`);
}

function answers(host, port) {
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

/** A port the OS says is free on loopback. */
function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** The newest Debian PostgreSQL bin directory (initdb, pg_ctl, createdb), or null. */
function findBinDir() {
  if (!existsSync(PG_ROOT)) return null;
  const complete = (v) =>
    ['initdb', 'pg_ctl', 'createdb'].every((b) => existsSync(join(PG_ROOT, v, 'bin', b)));
  const [newest] = readdirSync(PG_ROOT).filter(complete).sort((a, b) => Number(b) - Number(a)); // prettier-ignore
  return newest === undefined ? null : join(PG_ROOT, newest, 'bin');
}

async function ensureBinDir() {
  const found = findBinDir();
  if (found) return found;
  if (!isRoot) {
    throw new Error(
      `PostgreSQL server binaries not found in ${PG_ROOT}/*/bin. Install them (Debian/Ubuntu: ` +
        '`sudo apt-get install -y postgresql`) or set SSPR_TEST_PG_URL to a server you run.',
    );
  }
  log('PostgreSQL is not installed: apt-get update, then apt-get install -y postgresql …');
  aptGet(['update']);
  aptGet(['install', '-y', 'postgresql']);
  const installed = findBinDir();
  if (!installed) throw new Error(`postgresql installed, but ${PG_ROOT}/*/bin/initdb is missing`);
  return installed;
}

async function pgCtlStop(binDir, dataDir, mode) {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  const args = ['-D', dataDir, '-m', mode, '-w', 'stop'];
  await run(join(binDir, 'pg_ctl'), args, { asPostgres: true });
}

/** Starts a private cluster in `<baseDir>/pg` (or reuses SSPR_TEST_PG_URL) → { url, stop }. */
export async function startPostgres({ baseDir = defaultBaseDir } = {}) {
  const given = process.env.SSPR_TEST_PG_URL;
  if (given) {
    const { hostname, port } = new URL(given);
    const host = hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    if (await answers(host, Number(port || 5432))) return { url: given, stop: async () => {} };
    log(`nothing answers at SSPR_TEST_PG_URL (${host}:${port || 5432}); starting a private one`);
  }
  const binDir = await ensureBinDir();
  let root = join(resolve(baseDir), 'pg');
  // A stale cluster from a crashed run: stop whatever still runs there, then start afresh.
  await pgCtlStop(binDir, join(root, 'data'), 'immediate').catch(() => undefined);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'run'), { recursive: true });
  if (isRoot) {
    // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` system user.
    await run('chown', ['-R', 'postgres:postgres', root]);
    const reachable = () => succeeds(run('test', ['-w', root], { asPostgres: true }));
    if (!(await reachable())) await chmod(resolve(baseDir), 0o711); // e.g. a mkdtemp directory
    if (!(await reachable())) {
      // The checkout lies below a directory other users cannot enter (e.g. a 0700 mkdtemp):
      // keep the throw-away cluster in the system's temp directory instead.
      await rm(root, { recursive: true, force: true });
      root = await mkdtemp(join(tmpdir(), 'sspr-pg-'));
      await chmod(root, 0o711);
      await mkdir(join(root, 'run'));
      await run('chown', ['-R', 'postgres:postgres', root]);
      log(`the checkout is not reachable by user postgres; the cluster lives in ${root}`);
    }
    if (!(await reachable())) throw new Error(`user postgres cannot reach ${root} (chmod o+x)`);
  }
  const dataDir = join(root, 'data');
  // Unix socket paths are limited to 107 bytes; fall back to a short directory.
  const short = join(root, 'run').length <= 80;
  const socketDir = short ? join(root, 'run') : await mkdtemp(join(tmpdir(), 'sspr-pg-'));
  if (isRoot && !short) await run('chown', ['-R', 'postgres:postgres', socketDir]);
  log(`initdb ${dataDir}`);
  const initdb = ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'];
  await run(join(binDir, 'initdb'), [...initdb, '--no-sync'], { asPostgres: true });
  const port = await freePort();
  const settings = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${socketDir}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 200',
  ];
  await appendFile(join(dataDir, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
  await writeFile(join(dataDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  log(`starting on 127.0.0.1:${port}`);
  const start = ['-D', dataDir, '-l', join(root, 'postgres.log'), '-w', '-t', '60', 'start'];
  await run(join(binDir, 'pg_ctl'), start, { asPostgres: true });
  const stop = () => pgCtlStop(binDir, dataDir, 'fast');
  try {
    const where = ['-h', '127.0.0.1', '-p', `${port}`, '-U', 'postgres'];
    await run(join(binDir, 'createdb'), [...where, DATABASE]);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`, stop };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command] = process.argv.slice(2);
  const baseDir = process.env.SSPR_TEST_DIR ?? defaultBaseDir;
  try {
    if (command === 'start') {
      process.stdout.write(`${(await startPostgres({ baseDir })).url}\n`);
    } else if (command === 'stop') {
      const binDir = findBinDir();
      if (binDir) await pgCtlStop(binDir, join(resolve(baseDir), 'pg', 'data'), 'fast');
    } else {
      log('usage: node scripts/postgres.mjs start|stop  (env SSPR_TEST_DIR, default .test-run/)');
      process.exitCode = 2;
    }
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
