/** A private PostgreSQL cluster for a benchmark (scripts/postgres.mjs), never a shared test server. */

type StartPostgres = (options: {
  baseDir: string;
}) => Promise<{ url: string; stop: () => Promise<void> }>;

export async function startPrivatePostgres(
  root: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  // The benchmark wants its own cluster, never a shared test server named by the environment.
  delete process.env.SSPR_TEST_PG_URL;
  const script = new URL('../scripts/postgres.mjs', import.meta.url).href;
  const { startPostgres } = (await import(script)) as { startPostgres: StartPostgres };
  // The cluster lives in <root>/pg; the script opens root (a 0700 mkdtemp) to the postgres user.
  return startPostgres({ baseDir: root });
}
