/**
 * `npm run bench`: every benchmark of docs/performance.md in one run, tables on stdout, progress
 * on stderr. Exits non-zero when a flow failed (the failures are listed) or a benchmark broke.
 *
 *   npm run bench                              # the full run (about 1.5 minutes on 2 cores)
 *   npm run bench -- --only banned             # one section: banned | http
 *   npm run bench -- --stores sqlite --flows 100 --seconds 10
 */
import { parseArgs } from 'node:util';
import { OWASP_ARGON2ID } from '../src/adapters/crypto/argon2-hasher.js';
import { measureArgon2 } from './argon2.js';
import { renderBannedTable, runBannedBench } from './banned-passwords.js';
import {
  renderFailures,
  renderFlowTable,
  runFlowBench,
  usersNeeded,
  type StoreName,
} from './http-flows.js';
import { fixed, int, machineLine, ms } from './report.js';

const USAGE = `usage: npm run bench -- [--only banned|http] [--stores sqlite,postgres] [--concurrency 32]
                       [--flows 400] [--seconds 30] [--warmup 32] [--users 2000] [--measure-ms 1000]`;

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      stores: { type: 'string', default: 'sqlite,postgres' },
      concurrency: { type: 'string', default: '32' },
      flows: { type: 'string', default: '400' },
      seconds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '32' },
      users: { type: 'string', default: '2000' },
      'measure-ms': { type: 'string', default: '1000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = values.only;
  if (only !== undefined && only !== 'banned' && only !== 'http') {
    throw new Error(`--only must be banned or http\n${USAGE}`);
  }
  const stores = values.stores.split(',').map((s) => s.trim());
  for (const store of stores) {
    if (store !== 'sqlite' && store !== 'postgres') {
      throw new Error(`--stores: unknown store "${store}" (sqlite, postgres)`);
    }
  }
  return {
    banned: only !== 'http',
    http: only !== 'banned',
    flows: {
      stores: stores as StoreName[],
      concurrency: positive('concurrency', values.concurrency),
      maxFlows: positive('flows', values.flows),
      maxSeconds: positive('seconds', values.seconds),
      warmupFlows: positive('warmup', values.warmup),
      users: positive('users', values.users),
    },
    measureMs: positive('measure-ms', values['measure-ms']),
  };
}

async function main(): Promise<number> {
  const o = options();
  if (o.http && o.flows.users < usersNeeded(o.flows)) {
    throw new Error(`--users must be at least ${usersNeeded(o.flows)} for these options`);
  }
  const out = (text = ''): void => {
    process.stdout.write(`${text}\n`);
  };
  const began = performance.now();
  out(`OpenSSPR benchmarks, ${new Date().toISOString()}`);
  out(`Machine: ${machineLine()}`);

  if (o.banned) {
    // First, while no server runs: one core, undisturbed.
    const result = runBannedBench({ measureMs: o.measureMs, warmupMs: o.measureMs / 4 });
    out();
    out('Banned-password checks, single core');
    out(
      `   lists: global ${int(result.globalTerms)} terms (loadCommonPasswords, read in ` +
        `${int(result.loadMs)} ms) + custom ${int(result.customTerms)} terms; index built in ${int(result.indexMs)} ms`,
    );
    out(
      `   evaluatePassword = cloudPasswordPolicy, every rule; checker.check = the banned check alone;`,
    );
    out(
      `   naive Set.has = exact lookup of the whole normalised password; banned = share rejected`,
    );
    for (const { kind, description } of result.kinds) out(`   ${kind}: ${description}`);
    out();
    out(renderBannedTable(result));
  }

  let failed = 0;
  if (o.http) {
    const f = o.flows;
    const hash = await measureArgon2();
    const result = await runFlowBench(f);
    const argon = `m=${OWASP_ARGON2ID.memoryCost} KiB, t=${OWASP_ARGON2ID.timeCost}, p=${OWASP_ARGON2ID.parallelism}`;
    out();
    out('Complete reset flows over HTTP: start → TOTP gate → new password');
    out(
      `   createServerRuntime (Argon2id ${argon}), CAPTCHA off, rate limit off, one user per flow;` +
        ` floor = the anonymous timing floor`,
    );
    out(
      `   concurrency ${f.concurrency}, up to ${f.maxFlows} flows or ${f.maxSeconds} s after ` +
        `${f.warmupFlows} warm-up flows; latencies in ms, measured by the client`,
    );
    out(
      `   Argon2id alone here: ${ms(hash.msPerHash)} ms per hash; ${fixed(hash.hashesPerSecond, 1)} hashes/s ` +
        `with ${hash.parallel} at once (one hash per flow: the flows/s ceiling)`,
    );
    out('   CPU ms/flow = CPU time of the server process (all threads) / flows, measured phase');
    out();
    out(renderFlowTable(result));
    failed = result.failures.length;
    if (failed > 0) {
      out();
      out(`FAILED FLOWS: ${failed}`);
      out(renderFailures(result.failures));
    }
  }
  out();
  out(`Total run time ${((performance.now() - began) / 1000).toFixed(0)} s`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
