import type { CliIo } from '../../src/cli/io.js';
import { main, type ProgramOptions } from '../../src/main/program.js';

/** What one in-process `sspr …` run printed, and its exit code. */
export interface CliRun {
  readonly out: string[];
  readonly err: string[];
  /** Raw writes to the fake terminal (stderr as a TTY); empty unless `tty` was asked for. */
  readonly tty: string[];
  readonly exitCode: typeof process.exitCode;
}

/**
 * Runs `sspr …argv` in-process through `main(argv, io)`: the environment is exactly `env`, and
 * `process.exitCode` is read and reset, so a test sees each run's own exit code.
 */
export async function runCli(
  argv: readonly string[],
  io: { env: CliIo['env']; cwd: string; tty?: boolean },
  options: ProgramOptions = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const tty: string[] = [];
  process.exitCode = undefined;
  await main(
    argv,
    {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: io.env,
      cwd: io.cwd,
      errTty: io.tty === true ? { write: (text) => tty.push(text) } : undefined,
    },
    options,
  );
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { out, err, tty, exitCode };
}
