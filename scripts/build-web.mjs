// Builds the browser portal: web/portal/main.ts → dist/web/assets/portal.js (esbuild, ESM, minified),
// and copies the static files (dist/web/index.html, dist/web/assets/styles.css).
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = `${root}dist/web/`;
const started = performance.now();

await mkdir(`${out}assets`, { recursive: true });
await build({
  entryPoints: [`${root}web/portal/main.ts`],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outfile: `${out}assets/portal.js`,
  logLevel: 'warning',
});
await copyFile(`${root}web/portal/index.html`, `${out}index.html`);
await copyFile(`${root}web/styles.css`, `${out}assets/styles.css`);
console.log(
  `web portal built in ${String(Math.round(performance.now() - started))} ms → dist/web/`,
);
