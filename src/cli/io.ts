/** What a command may touch of the process: output, environment, working directory. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * stderr when it is a terminal: raw writes (no newline added) for a progress line that
   * rewrites itself with `\r`. Absent when stderr is a file or a pipe: print whole lines instead.
   */
  readonly errTty?: { write(text: string): void } | undefined;
}

export const processIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  errTty: process.stderr.isTTY
    ? {
        write: (text) => {
          process.stderr.write(text);
        },
      }
    : undefined,
});
