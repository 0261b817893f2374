// Builds the browser pages with esbuild (ESM, minified), one bundle per page, and copies the static
// files: web/<page>/main.ts → dist/web/assets/<page>.js, web/<page>/<html> → dist/web/<html>,
// web/styles.css → dist/web/assets/styles.css, web/admin/admin.css → dist/web/assets/admin.css.
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = `${root}dist/web/`;
const started = performance.now();

/** The pages the server serves (src/server/routes/web.ts): `/`, `/account`, `/admin`. */
const pages = [
  { name: 'portal', html: 'index.html' },
  { name: 'account', html: 'account.html' },
  { name: 'admin', html: 'admin.html' },
];

await mkdir(`${out}assets`, { recursive: true });
await build({
  entryPoints: Object.fromEntries(pages.map((p) => [p.name, `${root}web/${p.name}/main.ts`])),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outdir: `${out}assets`,
  logLevel: 'warning',
});
for (const page of pages)
  await copyFile(`${root}web/${page.name}/${page.html}`, `${out}${page.html}`);
await copyFile(`${root}web/styles.css`, `${out}assets/styles.css`);
await copyFile(`${root}web/admin/admin.css`, `${out}assets/admin.css`);
console.log(
  `web pages (${pages.map((p) => p.name).join(', ')}) built in ${String(Math.round(performance.now() - started))} ms → dist/web/`,
);
