// Bundles the dashboard into dist/: app.js (with uPlot), app.css, index.html.
// Everything is served by the gateway itself: nothing is fetched from a CDN.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';

const dist = new URL('./dist/', import.meta.url);
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: { app: 'src/main.ts' },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  outdir: 'dist',
  logLevel: 'warning',
});
await copyFile(new URL('./src/index.html', import.meta.url), new URL('index.html', dist));
